"""CoNLL-style BIO files of posts <-> :class:`~exports.posts.Post`, byte for byte.

CMNER: ``WID:<id>`` then one ``<char>\\t<tag>`` line per character; Twitter-2015/2017 and MNER-MI:
``IMGID:<id>`` then ``<token>\\t<tag>`` lines. Posts are separated by blank lines. What a writer needs to
give back the same bytes is kept in :class:`BioLayout` (the header prefix, the line ending, the blank lines
after each post, whether the file ends with a line ending) and, for a post whose tags are not a valid BIO
sequence, in ``Post.tags``.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from exports.posts import Post, entities_of

PREFIXES = ("WID:", "IMGID:")


class BioFormatError(ValueError):
    """A BIO file that cannot be read; names the file, line and post."""


@dataclass
class BioLayout:
    prefix: str = "WID:"
    newline: str = "\n"
    blanks: dict[str, int] = field(default_factory=dict)  # post id -> blank lines after it (default 1)
    final_newline: bool = True
    head_blanks: int = 0  # blank lines before the first post
    header_lines: dict[str, int] = field(default_factory=dict)  # post id -> line of its header (for messages; not written)


@dataclass
class BioProblem:
    line: int
    post: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.post}: {self.field}: {self.message} (line {self.line})"


def read_bio(path: str | Path, problems: list[BioProblem] | None = None) -> tuple[list[Post], BioLayout]:
    """The posts of a BIO file (or a gzipped one, ``.gz``) and its layout; tag problems (an ``I-`` after ``O``,
    unknown tags) are appended to ``problems`` and the post keeps its tags as written.

    Raises:
        BioFormatError: the file is not UTF-8 or not a BIO file (a line that is neither a header nor ``token\\ttag``).
    """
    try:
        raw = Path(path).read_bytes()
        if str(path).endswith(".gz"):
            import gzip

            raw = gzip.decompress(raw)
        text = raw.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BioFormatError(f"{path}: {exc}") from None
    return parse_bio(text, str(path), problems)


def parse_bio(text: str, where: str = "posts", problems: list[BioProblem] | None = None) -> tuple[list[Post], BioLayout]:
    newline = "\r\n" if "\r\n" in text else "\n"
    lines = text.split(newline)
    layout = BioLayout(newline=newline, final_newline=text.endswith(newline))
    if layout.final_newline:
        lines.pop()
    posts: list[Post] = []
    current: tuple[str, int, list[str], list[str]] | None = None  # id, header line, tokens, tags
    blank = 0

    def close() -> None:
        if current is None:
            return
        pid, line, tokens, tags = current
        if not tokens:
            raise BioFormatError(f"{where}:{line}: {pid}: the post has no token")
        entities, bad = entities_of(tags)
        for i, message in bad:
            if problems is not None:
                problems.append(BioProblem(line + 1 + i, pid, f"tags[{i}]", message))
        try:
            posts.append(Post(pid, tuple(tokens), tuple(entities), tags=tuple(tags) if bad else None))
        except ValueError as exc:
            raise BioFormatError(f"{where}:{line}: {exc}") from None

    for n, line in enumerate(lines, start=1):
        prefix = next((p for p in PREFIXES if line.startswith(p)), None)
        if prefix is not None:
            if current is not None:
                layout.blanks[current[0]] = blank
                close()
            elif blank:
                layout.head_blanks = blank
            layout.prefix = prefix
            pid = line[len(prefix):]
            if not pid:
                raise BioFormatError(f"{where}:{n}: a post header without an id")
            if any(p.id == pid for p in posts):
                raise BioFormatError(f"{where}:{n}: {pid}: a second post with this id")
            current, blank = (pid, n, [], []), 0
            layout.header_lines[pid] = n
        elif line == "":
            blank += 1
        else:
            token, sep, tag = line.rpartition("\t")
            if not sep or current is None:
                raise BioFormatError(f"{where}:{n}: expected a '{'/'.join(PREFIXES)}<id>' header or 'token<TAB>tag', got {line[:40]!r}")
            if blank:
                raise BioFormatError(f"{where}:{n}: {current[0]}: a blank line inside the post")
            current[2].append(token)
            current[3].append(tag)
    if current is not None:
        layout.blanks[current[0]] = blank
        close()
    return posts, layout


def format_bio(posts: Iterable[Post], layout: BioLayout | None = None) -> str:
    """The BIO file of the posts (with ``layout``: the same bytes as the file it was read from)."""
    layout = layout or BioLayout()
    nl = layout.newline
    lines: list[str] = [""] * layout.head_blanks
    for post in posts:
        lines.append(f"{layout.prefix}{post.id}")
        lines.extend(f"{tok}\t{tag}" for tok, tag in zip(post.tokens, post.bio()))
        lines.extend([""] * layout.blanks.get(post.id, 1))
    out = nl.join(lines)
    return out + nl if layout.final_newline else out


def write_bio(path: str | Path, posts: Iterable[Post], layout: BioLayout | None = None) -> None:
    from exports.io import atomic_writer

    data = format_bio(posts, layout)
    with atomic_writer(path) as fh:  # writes the line endings as given (no translation)
        fh.write(data)
