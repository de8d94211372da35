"""The second task type's data model: a multi-image social-media post with typed entity spans (CMNER, MNER-MI).

A :class:`Post` holds its tokens (characters for CMNER, words for Twitter / MNER-MI), its entities as typed
spans over the tokens (``[start, end)``, types PER / LOC / ORG / MISC), its images in order and an optional
URL; it is validated when built. :mod:`exports.bio` reads and writes the CoNLL-style BIO files byte for byte.
"""
from __future__ import annotations

from dataclasses import dataclass, field

TYPES = ("PER", "LOC", "ORG", "MISC")


@dataclass(frozen=True)
class Entity:
    start: int  # first token
    end: int  # one past the last token
    type: str

    def __post_init__(self) -> None:
        if self.type not in TYPES:
            raise ValueError(f"entities: type {self.type!r} is not one of {', '.join(TYPES)}")
        if not 0 <= self.start < self.end:
            raise ValueError(f"entities: span [{self.start}, {self.end}) is empty or negative")


@dataclass(frozen=True)
class Post:
    id: str
    tokens: tuple[str, ...]
    entities: tuple[Entity, ...] = ()
    images: tuple[str, ...] = ()
    url: str | None = None
    tags: tuple[str, ...] | None = field(default=None, compare=False)  # the file's own tags, kept only when they differ from the entities'

    def __post_init__(self) -> None:
        object.__setattr__(self, "tokens", tuple(self.tokens))
        object.__setattr__(self, "entities", tuple(sorted(self.entities, key=lambda e: (e.start, e.end))))
        object.__setattr__(self, "images", tuple(self.images))
        if not self.id:
            raise ValueError("id: a post needs an id")
        if not self.tokens:
            raise ValueError(f"{self.id}: tokens: the post is empty")
        last = 0
        for e in self.entities:
            if e.end > len(self.tokens):
                raise ValueError(f"{self.id}: entities: span [{e.start}, {e.end}) runs past the {len(self.tokens)} tokens")
            if e.start < last:
                raise ValueError(f"{self.id}: entities: span [{e.start}, {e.end}) overlaps the one before")
            last = e.end
        if self.tags is not None and len(self.tags) != len(self.tokens):
            raise ValueError(f"{self.id}: tags: {len(self.tags)} tags for {len(self.tokens)} tokens")

    def bio(self) -> list[str]:
        """The BIO tags of the entities (the file's own tags when it had tags the entities cannot give back)."""
        if self.tags is not None:
            return list(self.tags)
        return entity_tags(len(self.tokens), self.entities)

    def text_of(self, e: Entity, sep: str = "") -> str:
        return sep.join(self.tokens[e.start : e.end])


def entity_tags(n: int, entities: tuple[Entity, ...] | list[Entity]) -> list[str]:
    tags = ["O"] * n
    for e in entities:
        tags[e.start] = f"B-{e.type}"
        for i in range(e.start + 1, e.end):
            tags[i] = f"I-{e.type}"
    return tags


def entities_of(tags: list[str] | tuple[str, ...]) -> tuple[list[Entity], list[tuple[int, str]]]:
    """Entities of a BIO sequence, and its problems ``(token index, message)``.

    Like seqeval's default (non-strict) reading, an ``I-X`` after ``O`` or after another type starts an
    entity; such tags are reported as problems.
    """
    out: list[Entity] = []
    problems: list[tuple[int, str]] = []
    start, kind = None, None
    for i, tag in enumerate([*tags, "O"]):
        prefix, _, t = tag.partition("-")
        if i < len(tags) and (tag != "O" and (prefix not in ("B", "I") or t not in TYPES)):
            problems.append((i, f"unknown tag {tag!r}; expected O or B-/I- + {'/'.join(TYPES)}"))
            prefix, t = "O", ""
        continues = prefix == "I" and kind == t
        if start is not None and not continues:
            out.append(Entity(start, i, kind))
            start, kind = None, None
        if prefix == "B" or (prefix == "I" and not continues):
            if prefix == "I":
                before = tags[i - 1] if i else "the start"
                problems.append((i, f"{tag} after {before}: an entity must start with B-"))
            start, kind = i, t
    return out, problems


def to_json(post: Post) -> dict:
    """A post as one line of the posts JSONL: ``{"id", "tokens", "entities": [[start, end, type]], "images", "url"?}``."""
    out = {"id": post.id, "tokens": list(post.tokens), "entities": [[e.start, e.end, e.type] for e in post.entities], "images": list(post.images)}
    if post.url:
        out["url"] = post.url
    return out


def from_json(record: object) -> Post:
    """Raises:
        ValueError: naming the field.
    """
    if not isinstance(record, dict):
        raise ValueError(f"expected a post object, got {type(record).__name__}")
    pid = record.get("id")
    if not isinstance(pid, str) or not pid:
        raise ValueError(f"id: expected a non-empty string, got {pid!r}")
    tokens = record.get("tokens")
    if not isinstance(tokens, list) or not all(isinstance(t, str) and t for t in tokens):
        raise ValueError(f"{pid}: tokens: expected a list of non-empty strings")
    entities = record.get("entities", [])
    if not isinstance(entities, list) or not all(isinstance(e, list) and len(e) == 3 and isinstance(e[0], int) and isinstance(e[1], int) for e in entities):
        raise ValueError(f"{pid}: entities: expected [start, end, type] triples")
    images = record.get("images", [])
    if not isinstance(images, list) or not all(isinstance(i, str) for i in images):
        raise ValueError(f"{pid}: images: expected a list of paths or URLs")
    url = record.get("url")
    try:
        return Post(pid, tuple(tokens), tuple(Entity(s, e, t) for s, e, t in entities), tuple(images), url if isinstance(url, str) else None)
    except ValueError as exc:
        raise ValueError(str(exc) if str(exc).startswith(pid) else f"{pid}: {exc}") from None
