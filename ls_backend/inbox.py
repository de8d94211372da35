"""``/webhook`` behind the route: Label Studio's annotation events.

An annotation is stored (with what training will leave out of it, for ``/metrics``), the persons it
names teach the celebrity gallery, and a training run is requested; the trainer process runs it.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from exports import labelstudio
from exports.labelstudio import post as post_task
from exports.dialogue import Dialogue
from ls_backend import protocol
from ls_backend.predictor import Predictor
from ls_backend.stats import Stats
from ls_backend.store import Store

log = logging.getLogger(__name__)


class EventError(ValueError):
    """A webhook event the backend cannot take; the message names the action and the field."""


def _id(value: Any, field: str, optional: bool = False) -> None:
    try:
        protocol.check_id(value, field, optional=optional)
    except protocol.BadRequest as exc:
        raise EventError(str(exc)) from None


def usable_parts(task: dict, result: Any) -> tuple[Dialogue | None, bool, list[str]]:
    """What training can use of an annotation: ``(dialogue or None, usable, problems)``.

    Every readable part is kept (clusters without an orphan box, a box without its name ...); each
    part left out is named in ``problems``. The dialogue is None only when the task itself cannot be
    read (then ``problems`` says why).
    """
    dropped: list[str] = []
    try:
        return labelstudio.from_task(task, result, dropped=dropped), True, dropped
    except ValueError as exc:
        return None, False, [f"not usable for training: {exc}"]


class Inbox:
    def __init__(self, store: Store, predictor: Predictor, stats: Stats, request_training: Callable[[bool], None], debounce: float) -> None:
        self.store = store
        self.predictor = predictor
        self.stats = stats
        self.request_training = request_training
        self.debounce = debounce

    def receive(self, event: dict[str, Any]) -> str:
        """Handle a Label Studio webhook event; returns what was done.

        Raises:
            EventError: the event lacks what its action needs.
        """
        action = event.get("action")
        if action in ("ANNOTATION_CREATED", "ANNOTATION_UPDATED", "ANNOTATIONS_CREATED"):
            task, anns = self._annotations(action, event)
            n = 0
            for ann in anns:
                result = ann.get("result") or []
                if ann.get("was_cancelled"):
                    continue
                self.store.upsert_annotation(ann["id"], task.get("id"), (event.get("project") or {}).get("id"), task["data"], result)
                if post_task.is_post_task(task):  # a post NER annotation: stored (the NER model does not learn from it yet)
                    n += 1
                    continue
                dialogue = self._note_usable_parts(ann["id"], task, result)
                if dialogue is not None:  # the gallery learns from the usable parts too
                    self._teach_gallery(ann["id"], dialogue)
                n += 1
            self.stats.count("annotations_received", n)
            self.request_training(False)
            return f"stored {n} annotation(s); retraining in {self.debounce:g} s unless more arrive"
        if action in ("ANNOTATION_DELETED", "ANNOTATIONS_DELETED"):
            anns = event.get("annotations") or [event.get("annotation")]
            if not isinstance(anns, list):
                raise EventError(f"{action}: annotations: expected a list of annotations")
            ids = [a.get("id") for a in anns if isinstance(a, dict)]
            for i, aid in enumerate(ids):
                _id(aid, f"{action}: annotations[{i}].id", optional=True)
            deleted = sum(self.store.delete_annotation(i) for i in ids if isinstance(i, int))
            self.request_training(False)
            return f"marked {deleted} annotation(s) deleted"
        if action == "START_TRAINING":
            self.request_training(True)
            return "training started"
        return f"ignored {action!r}"

    @staticmethod
    def _annotations(action: str, event: dict[str, Any]) -> tuple[dict, list[dict]]:
        """The task and the annotations of a created / updated event, every one checked before anything is stored.

        Raises:
            EventError: an annotation without an integer id, no task data, or a result that does not fit the
                template (named by annotation, region and field).
        """
        anns = event.get("annotations") or [event.get("annotation")]
        if not isinstance(anns, list):
            raise EventError(f"{action}: annotations: expected a list of annotations")
        task = event.get("task") or {}
        for ann in anns:
            if not isinstance(ann, dict) or not isinstance(ann.get("id"), int) or isinstance(ann.get("id"), bool):
                raise EventError(f"{action}: annotation: expected an object with an integer 'id'")
            _id(ann["id"], f"{action}: annotation.id")
            data = task.get("data") if isinstance(task, dict) else None
            if not isinstance(data, dict):
                raise EventError(f"{action}: task.data: expected the annotated task's data (send_payload must be on)")
            _id(task.get("id"), f"{action}: task.id", optional=True)
            if ann.get("was_cancelled"):
                continue
            try:
                if post_task.is_post_task(task):
                    post_task.from_task(task, ann.get("result") or [])
                else:
                    labelstudio.check_result(task, ann.get("result") or [])
            except labelstudio.LabelStudioFormatError as exc:
                raise EventError(f"{action}: annotation {ann['id']}: {exc}; nothing was stored") from None
        project = event.get("project")
        if project is not None and not isinstance(project, dict):
            raise EventError(f"{action}: project: expected an object, got {type(project).__name__}")
        _id((project or {}).get("id"), f"{action}: project.id", optional=True)
        return task, anns

    def _note_usable_parts(self, ls_annotation_id: int, task: dict, result: Any) -> Dialogue | None:
        """Read an annotation as training will (salvage mode) and record in the store what it leaves out."""
        dialogue, usable, dropped = usable_parts(task, result)
        self.store.set_annotation_note(ls_annotation_id, task.get("id"), (task.get("data") or {}).get("doc_key"), usable, dropped)
        if dropped:
            log.warning("annotation %s: training leaves out %s", ls_annotation_id, "; ".join(dropped))
        return dialogue

    def _teach_gallery(self, ls_annotation_id: int, dialogue: Dialogue) -> None:
        """Named persons of an annotated task whose video was analysed go into the celebrity gallery."""
        video, _ = self.predictor.video_analysis(dialogue.video)
        if video is None:
            return
        try:
            taught = self.predictor.align.teach(ls_annotation_id, dialogue, video)
        except (ValueError, KeyError) as exc:
            log.warning("annotation %s: cannot teach the gallery: %s", ls_annotation_id, exc)
            return
        if taught:
            log.info("annotation %s taught the gallery %d face(s)", ls_annotation_id, taught)


def is_post_data(data: Any) -> bool:
    return post_task.is_post_task({"data": data})


def annotated_posts(store: Store) -> list:
    """The posts of every live post NER annotation (the latest of a post counts), in the order they arrived."""
    out = []
    for row in store.live_annotations():
        if is_post_data(row.task_data):
            try:
                out.append(post_task.from_task({"id": row.task_id, "data": row.task_data}, row.result))
            except labelstudio.LabelStudioFormatError as exc:  # checked when it arrived; a later template change
                log.warning("annotation %s: %s; not used for training", row.ls_annotation_id, exc)
    return out


def annotated(store: Store) -> list[Dialogue]:
    """The usable parts of every live coreference annotation, in the order they arrived (read once per training run)."""
    out = []
    for row in store.live_annotations():
        if is_post_data(row.task_data):
            continue
        d, _, _ = usable_parts({"id": row.task_id, "data": row.task_data}, row.result)
        if d is not None:  # an unusable one was recorded as such when it arrived
            out.append(d)
    return out
