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
from typing import Any

from exports import kinds
from ls_backend.infra.stats import Stats
from ls_backend.infra.store import Store
from ls_backend.kinds import backend_kind

log = logging.getLogger(__name__)


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
                kind = kinds.get(ann.kind)
                document = kind.document_to_json(ann.document) if ann.document is not None else None
                self.store.upsert_annotation(ann.ls_id, ann.task_id, ann.project_id, ann.task_data, ann.result, kind=ann.kind, key=ann.key,
                                             document=document)
                self.store.set_annotation_note(ann.ls_id, ann.task_id, ann.key, ann.document is not None, ann.dropped)
                if ann.dropped:
                    log.warning("annotation %s: training leaves out %s", ann.ls_id, "; ".join(ann.dropped))
                if ann.document is not None:  # the gallery learns from the usable parts too
                    backend_kind(kind).taught(self.parts[kind.name], ann.ls_id, ann.document)
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
