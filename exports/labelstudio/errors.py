"""The error every Label Studio adapter raises, and what the adapters share: regions and cluster numbers."""
from __future__ import annotations

from typing import Any

import templates as T

#: Template label -> cluster number ("C3" -> 3).
NUMBER_OF = {label: i for i, label in enumerate(T.CLUSTER_LABELS, start=1)}


class LabelStudioFormatError(ValueError):
    """A task or annotation that cannot become a Dialogue; says which task and field."""

    def __init__(self, where: str, field: str, message: str) -> None:
        self.where = where
        self.field = field
        self.message = message
        super().__init__(f"{where}: {field}: {message}" if field else f"{where}: {message}")


def region(rid: str, from_name: str, to_name: str, kind: str, value: dict[str, Any], origin: str = "manual") -> dict[str, Any]:
    """One result region in Label Studio's shape."""
    return {"id": rid, "from_name": from_name, "to_name": to_name, "type": kind, "origin": origin, "value": value}


def numbers(labels: Any, where: str, field: str) -> frozenset[int]:
    """The cluster numbers of a region's labels (``["C1", "C2"]`` -> ``{1, 2}``).

    Raises:
        LabelStudioFormatError: not a non-empty list of the template's labels.
    """
    if not isinstance(labels, list) or not labels:
        raise LabelStudioFormatError(where, field, f"expected a non-empty list of cluster numbers, got {labels!r}")
    unknown = [label for label in labels if label not in NUMBER_OF]
    if unknown:
        raise LabelStudioFormatError(where, field, f"unknown cluster number(s) {unknown!r}; expected C1..C{T.MAX_CLUSTERS}")
    return frozenset(NUMBER_OF[label] for label in labels)


def labels_of(numbers_: tuple[int, ...]) -> list[str]:
    return [f"C{n}" for n in numbers_]
