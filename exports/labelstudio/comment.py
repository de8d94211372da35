"""``<TextArea name="comment">`` on the dialogue: the annotator's free comment (never written by a model)."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import templates as T
from exports.labelstudio.errors import region


def to_region(text: str) -> dict[str, Any]:
    return region("comment", T.COMMENT, T.DIALOGUE, "textarea", {"text": [text]})


def read(value: Mapping[str, Any]) -> str:
    text = value.get("text")
    return "\n".join(text) if isinstance(text, list) else str(text or "")
