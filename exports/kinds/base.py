"""The data part of a task kind: what ``exports`` knows of a task type (see ``exports/kinds/__init__.py``)."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol


class TaskKind(Protocol):
    """One task type's labeling config, artifact, reader, Label Studio adapters and prediction.

    ``doc`` below is the kind's artifact (``Dialogue`` for ``coref``, ``Post`` for ``ner``).
    """

    name: str  # the registry key and the ``--task`` value
    title: str  # what it is, for ``--help``
    document: str  # what one document is called in messages ("dialogue", "post")
    unannotated: str  # what is said of a file that should be gold and has no annotation
    guidelines: str  # the guidelines' name in ``annotation_guidelines``
    template: str  # the template to use, for messages
    required_tags: tuple[tuple[str, str], ...]  # (tag, name) pairs a labeling config of this kind must have

    # -- the labeling config ----------------------------------------------------------
    def labeling_config(self) -> str: ...

    def review_config(self) -> str: ...

    def recognises_config(self, config: str) -> bool: ...

    def recognises_task(self, task: Any) -> bool: ...

    # -- the artifact -----------------------------------------------------------------
    def key(self, doc: Any) -> str: ...

    def tokens(self, doc: Any) -> tuple:
        """The document's text as tokens (two documents with other tokens cannot be compared span by span)."""

    def annotated(self, doc: Any) -> bool:
        """Whether a document carries any annotation (a gold key must)."""

    def bare(self, doc: Any) -> Any:
        """The document as a project lead imports it: without its annotation."""

    def cache_content(self, doc: Any) -> str:
        """What a prediction of the document depends on, as text (the cache key's content)."""

    def memory_document(self, doc: Any) -> tuple[list[str], list[tuple[int, int]], list[str], list[str]]:
        """For the project memory: ``(tokens, marked spans (end exclusive), names, the spans' types (or none))``."""

    # -- Label Studio (the adapters of ``exports/labelstudio``) -------------------------
    def read_task(self, task: Any, index: int, max_chars: int) -> Any: ...

    def from_task(self, task: Any, result: Sequence[Any] | None = None, dropped: list[str] | None = None) -> Any: ...

    def check_result(self, task: Any, result: Any) -> None:
        """Raises ``LabelStudioFormatError`` when an annotation's result does not fit the template."""

    def read_annotation(self, task: Any, result: Any) -> tuple[Any | None, list[str]]:
        """An annotation as training will use it: ``(the document or None, what is left out of it)``."""

    def document_to_json(self, doc: Any) -> dict[str, Any]:
        """The artifact as the store keeps it; :meth:`document_from_json` reads it back equal."""

    def document_from_json(self, data: Any) -> Any: ...

    def to_task(self, doc: Any, annotation: bool = True) -> dict[str, Any]: ...

    def to_result(self, doc: Any) -> list[dict[str, Any]]: ...

    # -- interactive assistance ------------------------------------------------------
    def read_marks(self, task: Any, doc: Any, result: Any) -> Any:
        """What the annotator just marked (``/predict``'s ``params.context.result``) as ``Marks``.

        Raises ``LabelStudioFormatError`` (naming the field) for foreign labels or controls and offsets off the text."""

    def taken_spans(self, task: Any, doc: Any) -> set:
        """The spans the annotation has already, as far as the task shows them (its predictions and drafts)."""

    def mark_regions(self, doc: Any, labels: tuple[str, ...], spans: Sequence[tuple[int, int]]) -> list[dict[str, Any]]:
        """Proposed spans as Label Studio regions with the marked labels."""

    def region_span(self, doc: Any, region: Any) -> tuple[int, int] | None:
        """The token span (inclusive end) of one mention / entity region; None for another region."""

    def groups(self, doc: Any, result: Sequence[Any]) -> dict[tuple[str, ...], list[tuple[int, int]]]:
        """An editor result's mention / entity spans by label set (what Label Studio sends as one group)."""

    # -- the prediction ---------------------------------------------------------------
    def to_prediction(self, prediction: Any) -> dict[str, Any]:
        """The kind's prediction artifact as Label Studio's ``{result, score, model_version}``."""

    def prediction_from_json(self, data: Any) -> Any:
        """The prediction artifact from its cached JSON; raises ``ValueError`` when it is not one."""
