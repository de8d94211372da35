"""``<Labels name="entity">`` on the post's ``<Text name="text">`` (the post NER task): one region per entity,
character offsets into the task's text, labelled PER / LOC / ORG / MISC."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import templates as T
from exports.labelstudio.errors import LabelStudioFormatError, region
from exports.posts import Entity


class TokenText:
    """A post's tokens as the task's text (characters joined as they are, words with spaces) and back."""

    def __init__(self, tokens: Sequence[str]) -> None:
        self.sep = "" if all(len(t) == 1 for t in tokens) else " "
        self.starts: list[int] = []
        o = 0
        for t in tokens:
            self.starts.append(o)
            o += len(t) + len(self.sep)
        self.ends = [s + len(t) for s, t in zip(self.starts, tokens)]
        self.text = self.sep.join(tokens)
        self._first = {s: i for i, s in enumerate(self.starts)}
        self._last = {e: i for i, e in enumerate(self.ends)}

    def span(self, start: Any, end: Any, where: str, field: str) -> tuple[int, int]:
        """Token span ``[first, last + 1)`` of character offsets.

        Raises:
            LabelStudioFormatError: the offsets are not integers on token boundaries.
        """
        if isinstance(start, bool) or isinstance(end, bool) or not isinstance(start, int) or not isinstance(end, int):
            raise LabelStudioFormatError(where, f"{field}.value", f"start and end must be integers, got {start!r}, {end!r}")
        if start not in self._first or end not in self._last or self._last[end] < self._first[start]:
            raise LabelStudioFormatError(where, f"{field}.value", f"offsets {start}..{end} do not fall on token boundaries of the post")
        return self._first[start], self._last[end] + 1


def to_region(i: int, e: Entity, text: TokenText, origin: str = "manual", score: float | None = None) -> dict[str, Any]:
    start, end = text.starts[e.start], text.ends[e.end - 1]
    out = region(f"e{i}", T.NER_ENTITY, T.NER_TEXT, "labels", {"start": start, "end": end, "text": text.text[start:end], "labels": [e.type]}, origin)
    if score is not None:
        out["score"] = score
    return out


def read(value: Mapping[str, Any], text: TokenText, where: str, field: str) -> Entity:
    """The entity of a region.

    Raises:
        LabelStudioFormatError: an unknown type or offsets off the tokens.
    """
    labels = value.get("labels")
    if not isinstance(labels, list) or len(labels) != 1 or labels[0] not in T.NER_TYPES:
        raise LabelStudioFormatError(where, f"{field}.value.labels", f"expected one of {', '.join(T.NER_TYPES)}, got {labels!r}")
    start, end = text.span(value.get("start"), value.get("end"), where, field)
    return Entity(start, end, labels[0])
