"""``<TextArea name="comment">`` on the dialogue: the annotator's free comment (never written by a model)."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import templates as T
from exports.labelstudio.errors import LabelStudioFormatError, region


def to_region(text: str) -> dict[str, Any]:
    return region("comment", T.COMMENT, T.DIALOGUE, "textarea", {"text": [text]})


def read(value: Mapping[str, Any], where: str = "task", field: str = "result") -> str:
    """The comment's lines joined.

    Raises:
        LabelStudioFormatError: the text is neither a string nor a list of strings.
    """
    text = value.get("text")
    if text is None or isinstance(text, str):
        return text or ""
    if not isinstance(text, list) or not all(isinstance(t, str) for t in text):
        raise LabelStudioFormatError(where, f"{field}.value.text", "expected a list of strings")
    return "\n".join(text)
