"""Dialogue -> CoNLL-2012 (text and coreference only), and a reader of the coreference column.

One ``#begin document (<doc_key>); part 000`` block per dialogue, one turn per
sentence (blank line between turns), one token per line with the 12 columns of the
CoNLL-2012 ``*_conll`` files::

    doc_key  part  word_index  word  POS  parse  lemma  frameset  sense  speaker  NE  coref

Unknown columns are ``-``; ``speaker`` is the turn's speaker; ``coref`` uses the
cluster's index in the dialogue: ``(3)`` a one-token mention, ``(3`` / ``3)`` its
first / last token, several joined by ``|``. The reference scorer v8.01 reads only
the first and last columns. Whitespace inside a token is written as ``_`` (a column
cannot hold it), so the word column is for reading, not a lossless copy of the text.
"""
from __future__ import annotations

import logging
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import TextIO

from exports.dialogue import Dialogue, Span

log = logging.getLogger(__name__)
_WS = re.compile(r"\s")


def crossing_spans(dialogue: Dialogue) -> list[tuple[int, Span, Span]]:
    """Pairs of crossing (overlapping, not nested) spans of one cluster: ``(cluster, a, b)``.

    CoNLL brackets cannot tell ``[1, 2] + [2, 3]`` from ``[1, 3] + [2, 2]``; the reference
    scorer reads them the second way.
    """
    out = []
    for cid, cluster in enumerate(dialogue.clusters):
        for a in cluster.spans:
            for b in cluster.spans:
                if a[0] < b[0] <= a[1] < b[1]:
                    out.append((cid, a, b))
    return out


def document_lines(dialogue: Dialogue) -> Iterator[str]:
    """The lines of one CoNLL document, from ``#begin`` to ``#end`` (no newlines).

    Crossing spans of one cluster are written as they are, with a warning (see
    :func:`crossing_spans`).
    """
    for cid, a, b in crossing_spans(dialogue):
        log.warning(
            "%s: cluster %d has crossing spans %s and %s; CoNLL brackets will read them as %s and %s",
            dialogue.doc_key, cid, list(a), list(b), [a[0], b[1]], [b[0], a[1]],
        )
    opens: dict[int, list[int]] = defaultdict(list)
    closes: dict[int, list[int]] = defaultdict(list)
    singles: dict[int, list[int]] = defaultdict(list)
    for cid, cluster in enumerate(dialogue.clusters):
        for start, end in cluster.spans:
            if start == end:
                singles[start].append(cid)
            else:
                opens[start].append(cid)
                closes[end].append(cid)
    key = dialogue.doc_key
    yield f"#begin document ({key}); part 000"
    offset = 0
    for ti, turn in enumerate(dialogue.turns):
        if ti:
            yield ""
        for wi, token in enumerate(turn.tokens):
            i = offset + wi
            parts = [f"({c}" for c in opens.get(i, ())]
            parts += [f"({c})" for c in singles.get(i, ())]
            parts += [f"{c})" for c in closes.get(i, ())]
            coref = "|".join(parts) or "-"
            word = _WS.sub("_", token)
            speaker = _WS.sub("_", turn.speaker)
            yield f"{key}\t0\t{wi}\t{word}\t-\t-\t-\t-\t-\t{speaker}\t-\t{coref}"
        offset += len(turn.tokens)
    yield ""
    yield "#end document"


def write(dialogues: Iterable[Dialogue], out: TextIO) -> int:
    """Write dialogues as one CoNLL-2012 file; returns the number of documents."""
    n = 0
    for dialogue in dialogues:
        for line in document_lines(dialogue):
            out.write(line)
            out.write("\n")
        n += 1
    return n


_BEGIN = re.compile(r"#begin document \((.*)\); part (\d+)")


def read_clusters(lines: Iterable[str]) -> dict[str, list[list[Span]]]:
    """Clusters per document from the last column of a CoNLL-2012 file.

    Token offsets count every token of the document (sentences concatenated), so they
    equal the release format's offsets. Clusters come in order of their id.

    Raises:
        ValueError: an unbalanced bracket or a token outside a document, with its line number.
    """
    docs: dict[str, list[list[Span]]] = {}
    doc = None
    stacks: dict[int, list[int]] = defaultdict(list)
    found: dict[int, list[Span]] = {}
    tok = 0
    for lineno, raw in enumerate(lines, start=1):
        line = raw.rstrip("\n")
        m = _BEGIN.match(line)
        if m:
            doc = m.group(1) if m.group(2) == "000" else f"{m.group(1)}_{m.group(2)}"
            stacks, found, tok = defaultdict(list), {}, 0
            continue
        if line.startswith("#end document"):
            if doc is None:
                raise ValueError(f"line {lineno}: '#end document' outside a document")
            open_ = [c for c, s in stacks.items() if s]
            if open_:
                raise ValueError(f"line {lineno}: document {doc}: cluster(s) {open_} opened but not closed")
            docs[doc] = [found[c] for c in sorted(found)]
            doc = None
            continue
        if not line.strip() or line.startswith("#"):
            continue
        if doc is None:
            raise ValueError(f"line {lineno}: token line outside a document")
        coref = line.split()[-1]
        if coref != "-":
            for part in coref.split("|"):
                m2 = re.fullmatch(r"(\()?(\d+)(\))?", part)
                if not m2:
                    raise ValueError(f"line {lineno}: bad coreference field {coref!r}")
                cid = int(m2.group(2))
                if m2.group(1) and m2.group(3):
                    found.setdefault(cid, []).append((tok, tok))
                elif m2.group(1):
                    stacks[cid].append(tok)
                else:
                    if not stacks[cid]:
                        raise ValueError(f"line {lineno}: document {doc}: cluster {cid} closed but not opened")
                    found.setdefault(cid, []).append((stacks[cid].pop(), tok))
        tok += 1
    if doc is not None:
        raise ValueError(f"document {doc}: no '#end document'")
    return docs
