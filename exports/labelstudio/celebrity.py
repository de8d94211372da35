"""Per-region ``<TextArea name="celebrity">`` on a box: the person's celebrity name."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import templates as T
from exports.labelstudio.errors import LabelStudioFormatError, region


def to_region(rid: str, box_value: dict[str, Any], name: str) -> dict[str, Any]:
    return region(rid, T.CELEBRITY, T.VIDEO, "textarea", {**box_value, "text": [name]})


def read(value: Mapping[str, Any], where: str, field: str) -> str:
    """The name typed in the box's field (several lines joined by a space; blank lines dropped)."""
    text = value.get("text")
    if isinstance(text, str):
        text = [text]
    if not isinstance(text, list):
        raise LabelStudioFormatError(where, f"{field}.value.text", "expected a list of strings")
    return " ".join(str(t).strip() for t in text if str(t).strip())
