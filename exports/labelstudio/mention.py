"""``<ParagraphLabels name="mention">`` on the dialogue: one region per mention, labelled with its
cluster's number(s) (``["C1"]``, or ``["C1", "C2"]`` for a group mention)."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import templates as T
from exports import coords
from exports.dialogue import Span
from exports.labelstudio.errors import LabelStudioFormatError, numbers, region


def paragraph_value(span: Span, index: coords.TextIndex, tokens: tuple[str, ...]) -> dict[str, Any]:
    """The region value of a span: paragraph offsets and its text (shared with the per-region flags)."""
    rng = index.to_paragraph(*span)
    return {  # Label Studio's paragraph regions type start/end as strings (integers are dropped silently)
        "start": str(rng.start),
        "end": str(rng.end),
        "startOffset": rng.start_offset,
        "endOffset": rng.end_offset,
        "text": "".join(tokens[span[0] : span[1] + 1]),
    }


def to_region(rid: str, value: dict[str, Any], labels: list[str], origin: str = "manual") -> dict[str, Any]:
    return region(rid, T.MENTION, T.DIALOGUE, "paragraphlabels", {**value, "paragraphlabels": labels}, origin)


def read(value: Mapping[str, Any], index: coords.TextIndex, where: str, field: str) -> tuple[frozenset[int], Span]:
    """The cluster numbers and the token span of a mention region.

    Raises:
        LabelStudioFormatError: unknown numbers, or offsets outside the dialogue.
    """
    nums = numbers(value.get("paragraphlabels"), where, f"{field}.value.paragraphlabels")
    try:
        rng = coords.ParagraphRange(int(value["start"]), int(value["startOffset"]), int(value["end"]), int(value["endOffset"]))
        return nums, index.to_span(rng)
    except (KeyError, TypeError, ValueError) as exc:
        raise LabelStudioFormatError(where, f"{field}.value", f"bad mention offsets: {exc}") from None
