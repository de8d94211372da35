"""The backend's part of each task kind (see ``exports/kinds/__init__.py`` for the registry and the layers).

``ls_backend.kinds.<name>.facet`` is a :class:`BackendKind`: which models serve the kind (one model interface,
``pipeline/models.py``), its shipped and configured model, the base data its retraining starts from, what a
prediction depends on besides the document (the coreference kind: the stored video analysis and the aligner), its
one way to a prediction (``propose``), what an annotation teaches at once besides the store (the coreference kind:
the celebrity gallery), and what follows a training run (the coreference kind: the alignment scorer).

The serving, learning and command code asks :func:`backend_kind` and never branches on a kind's name.
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from exports import kinds
from exports.kinds import TaskKind


class BackendKind(Protocol):
    data: TaskKind  # the kind's data part (artifact, adapters, prediction)
    store_kind: str  # the model versions' kind in the store ("text", "ner"): one active version per store kind
    version_prefix: str  # of the versions learning in the loop makes ("text-20261207-...")
    model_kinds: tuple[str, ...]  # the model kinds (``pipeline/models.LOADERS``) that serve it
    setting: str  # the configuration field of its model (named in start-up errors)

    def shipped_model(self) -> Path: ...

    def configured_model(self, config: Any) -> Path | None: ...

    def base_data(self, config: Any) -> Path:
        """The documents every retraining starts from."""

    def read_base(self, path: Path) -> tuple[list[Any], dict[str, str]]:
        """The base documents and their titles (empty when the file is missing)."""

    def part(self, config: Any, store: Any, stats: Any) -> Any:
        """What this kind keeps per process besides its model (None when nothing)."""

    def context(self, part: Any, doc: Any) -> tuple[str, Any]:
        """What a prediction of ``doc`` depends on besides the document and the model: ``(its fingerprint for the
        cache key, what ``propose`` takes)``."""

    def propose(self, model: Any, version: str, doc: Any, context: Any, memory: Any) -> Any:
        """The kind's prediction artifact for one document."""

    def assist(self, model: Any, prediction: Any, doc: Any, marked: Any, taken: set, memory: Any = None) -> list[tuple[int, int]]:
        """Interactive assistance: the spans to propose with the labels the annotator just marked (``marked``: the
        kind's ``Marks``), never one of ``taken``; from the model's ``prediction`` of the document (``model`` may
        predict again with the marks)."""

    def taught(self, part: Any, ls_annotation_id: int, doc: Any) -> None:
        """What a stored annotation teaches at once (besides the project memory)."""

    def after_training(self, part: Any, model: Any, annotated: Sequence[Any]) -> None:
        """What follows a new model version."""


def backend_kind(kind: TaskKind | str) -> BackendKind:
    """The backend's part of a task kind (by the kind or its name)."""
    return kinds.facet(kind, "ls_backend")


def every_kind() -> list[BackendKind]:
    return [backend_kind(name) for name in kinds.names()]
