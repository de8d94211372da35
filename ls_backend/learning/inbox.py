"""``/webhook`` behind the route: Label Studio's annotation events, already read at the edge
(``serving/protocol.webhook_request``) into each annotation's task-kind document.

An annotation is stored as its document (what training leaves out of it is recorded, for ``/metrics``), beside the
raw task and result; training and the project memory read the stored document, never Label Studio's JSON again.
Then the kind's immediate lessons (the celebrity gallery for dialogues), and a training run is requested; the
trainer process runs it.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from exports import kinds
from ls_backend.infra.stats import Stats
from ls_backend.infra.store import Store
from ls_backend.kinds import backend_kind

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IncomingAnnotation:
    """One annotation read into its task kind's document (by a webhook, or by catch-up from Label Studio's API)."""

    ls_id: int
    task_id: int | None
    project_id: int | None
    kind: str  # the task kind's name
    key: str | None  # the document's doc_key / post id
    document: Any  # the kind's artifact (Dialogue, Post); None when no part of the annotation is usable
    dropped: list[str]  # what training leaves out of it (or why none of it is usable)
    task_data: dict[str, Any]  # the raw task data and result, kept beside the document
    result: list[Any]


def read_incoming(kind: kinds.TaskKind, task: dict[str, Any], ls_id: int, result: list[Any], project_id: int | None) -> IncomingAnnotation:
    """An annotation of ``task`` read as training will use it (salvage mode)."""
    document, dropped = kind.read_annotation(task, result)
    key = kind.key(document) if document is not None else (task.get("data") or {}).get("doc_key")
    return IncomingAnnotation(ls_id, task.get("id"), project_id, kind.name, key, document, dropped, task.get("data") or {}, result)


def store_incoming(store: Store, ann: IncomingAnnotation, source: str = "webhook") -> None:
    """Store an annotation as its document beside the raw result, and what training leaves out of it."""
    kind = kinds.get(ann.kind)
    document = kind.document_to_json(ann.document) if ann.document is not None else None
    store.upsert_annotation(ann.ls_id, ann.task_id, ann.project_id, ann.task_data, ann.result, kind=ann.kind, key=ann.key,
                            document=document, source=source)
    store.set_annotation_note(ann.ls_id, ann.task_id, ann.key, ann.document is not None, ann.dropped)
    if ann.dropped:
        log.warning("annotation %s: training leaves out %s", ann.ls_id, "; ".join(ann.dropped))


class Inbox:
    def __init__(self, store: Store, parts: dict[str, Any], stats: Stats, request_training: Callable[[bool], None], debounce: float) -> None:
        self.store = store
        self.parts = parts
        self.stats = stats
        self.request_training = request_training
        self.debounce = debounce

    def receive(self, event: Any) -> str:
        """Handle a webhook event (``serving.protocol.WebhookEvent``); returns what was done."""
        if event.action in ("ANNOTATION_CREATED", "ANNOTATION_UPDATED", "ANNOTATIONS_CREATED"):
            for ann in event.annotations:
                store_incoming(self.store, ann)
                if ann.document is not None:  # the gallery learns from the usable parts too
                    backend_kind(ann.kind).taught(self.parts[ann.kind], ann.ls_id, ann.document)
            n = len(event.annotations)
            self.stats.count("annotations_received", n)
            self.request_training(False)
            return f"stored {n} annotation(s); retraining in {self.debounce:g} s unless more arrive"
        if event.action in ("ANNOTATION_DELETED", "ANNOTATIONS_DELETED"):
            deleted = sum(self.store.delete_annotation(i) for i in event.deleted)
            self.request_training(False)
            return f"marked {deleted} annotation(s) deleted"
        if event.action == "START_TRAINING":
            self.request_training(True)
            return "training started"
        return f"ignored {event.action!r}"
