"""The ML backend protocol's payloads, checked in one place before any route acts on them.

Every route reads its body with :func:`body` (a JSON object, at most :data:`MAX_DEPTH` levels deep, no
lone surrogates anywhere) and its fields with the ``*_request`` functions below; a problem is a
:class:`BadRequest` naming the field (``tasks[3].data.dialogue``, ``annotation.result[2].value.start``),
answered as HTTP 400 ``{"error": ...}``. Nothing here acts: the routes do, once the payload passed.
"""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any

from exports import kinds
from ls_backend.learning.inbox import IncomingAnnotation, read_incoming

#: Deeper JSON than this is refused (Label Studio's deepest payload, a video box's key frame, is 6 levels).
MAX_DEPTH = 64


class BadRequest(ValueError):
    """A payload that does not fit the protocol; the message names the field."""


def body(raw: bytes) -> dict[str, Any]:
    """The request body as a JSON object.

    Raises:
        BadRequest: not JSON, not an object, nested too deeply, or a string that is not valid Unicode.
    """
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest(f"the body is not UTF-8: byte {exc.start}: {exc.reason}") from None
    try:
        data = json.loads(text, parse_constant=_no_constant)
    except _Constant as exc:
        raise BadRequest(f"the body has {exc.args[0]}, which JSON does not allow") from None
    except RecursionError:
        raise BadRequest(f"the body is nested more than {MAX_DEPTH} levels deep") from None
    except ValueError:
        raise BadRequest("expected a JSON object body") from None
    if not isinstance(data, dict):
        raise BadRequest("expected a JSON object body")
    check_json(data)
    return data


class _Constant(ValueError):
    pass


def _no_constant(name: str) -> Any:
    raise _Constant(name)


#: Ids Label Studio sends (annotations, tasks, projects) fit a 32-bit signed integer column.
MAX_ID = 2**31 - 1


def check_id(value: Any, field: str, *, optional: bool = False) -> None:
    """An id: an integer 0..:data:`MAX_ID` (or None when ``optional``).

    Raises:
        BadRequest: naming the field.
    """
    if value is None and optional:
        return
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_ID:
        raise BadRequest(f"{field}: expected an integer id 0..{MAX_ID}, got {value!r}")


def check_json(value: Any, where: str = "body") -> None:
    """Depth and Unicode of a parsed JSON value (iteratively: no recursion limit to hit).

    Raises:
        BadRequest: deeper than :data:`MAX_DEPTH`, or a string (key or value) with a lone surrogate.
    """
    stack: list[tuple[Any, str, int]] = [(value, where, 1)]
    while stack:
        v, path, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise BadRequest(f"{path}: nested more than {MAX_DEPTH} levels deep")
        if isinstance(v, str):
            _check_text(v, path)
        elif isinstance(v, dict):
            for k, item in v.items():
                _check_text(k, f"{path} (a key)")
                stack.append((item, f"{path}.{k}" if path else k, depth + 1))
        elif isinstance(v, list):
            stack.extend((item, f"{path}[{i}]", depth + 1) for i, item in enumerate(v))


def _check_text(s: str, path: str) -> None:
    try:
        s.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise BadRequest(f"{path}: not valid Unicode (a lone surrogate \\u{ord(s[exc.start]):04x} at character {exc.start})") from None


@dataclass(frozen=True)
class PredictRequest:
    tasks: list[Any]
    label_config: str | None
    project: int | None = None  # the Label Studio project (its memory is used); None when the request does not say
    context: list[Any] | None = None  # interactive pre-annotation: the regions just marked (``params.context.result``)

    def project_of(self, task: Any) -> int | None:
        """The task's own project id when it carries one, else the request's."""
        own = task.get("project") if isinstance(task, dict) else None
        return own if isinstance(own, int) and not isinstance(own, bool) and 0 <= own <= MAX_ID else self.project


def predict_request(data: dict[str, Any]) -> PredictRequest:
    if "tasks" not in data:
        raise BadRequest("predict: 'tasks' is missing; expected a list of Label Studio tasks")
    tasks = data["tasks"]
    if not isinstance(tasks, list):
        raise BadRequest(f"predict: 'tasks' must be a list of tasks, got {type(tasks).__name__}")
    config = data.get("label_config")
    return PredictRequest(tasks, config if isinstance(config, str) and config.strip() else None, _project(data.get("project")),
                          _context(data.get("params")))


def _context(params: Any) -> list[Any] | None:
    """The regions of an interactive request (``params.context.result``), None for an ordinary one.

    Raises:
        BadRequest: a context that is not ``{"result": [region, ...]}``.
    """
    if params is None:
        return None
    if not isinstance(params, dict):
        raise BadRequest(f"predict: params: expected an object, got {type(params).__name__}")
    context = params.get("context")
    if context is None:
        return None
    if not isinstance(context, dict) or not isinstance(context.get("result"), list):
        raise BadRequest("predict: params.context: expected {\"result\": [the regions just marked]}")
    if not context["result"]:
        raise BadRequest("predict: params.context.result: expected at least one region")
    return context["result"]


def _project(value: Any) -> int | None:
    """Label Studio sends ``"project": "<id>.<created timestamp>"``; an integer id is taken as well. Anything else
    means no project (no memory), never an error: the prediction does not depend on it."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value if 0 <= value <= MAX_ID else None
    if isinstance(value, str):
        head = value.split(".", 1)[0]
        if head.isascii() and head.isdigit() and int(head) <= MAX_ID:
            return int(head)
    return None


def setup_request(data: dict[str, Any]) -> str | None:
    """The labeling config to check, if the request carries one."""
    schema = data.get("schema")
    return schema if isinstance(schema, str) and schema.strip() else None


def project_of(data: dict[str, Any]) -> int | None:
    """The Label Studio project a request names (``"project": "<id>.<timestamp>"``), or None."""
    return _project(data.get("project"))


@dataclass(frozen=True)
class WebhookEvent:
    action: str
    annotations: tuple[IncomingAnnotation, ...] = ()  # created / updated (cancelled ones left out)
    deleted: tuple[int, ...] = ()  # ids of deleted annotations


def webhook_request(data: dict[str, Any]) -> WebhookEvent:
    """A Label Studio webhook event, every annotation checked and read into its kind's document before anything
    is stored.

    Raises:
        BadRequest: no action; an annotation without an integer id, no task data, or a result that does not fit
            the template (named by action, annotation, region and field).
    """
    action = data.get("action")
    if not isinstance(action, str):
        raise BadRequest("webhook: 'action' is missing; expected a Label Studio webhook event")
    if action in ("ANNOTATION_CREATED", "ANNOTATION_UPDATED", "ANNOTATIONS_CREATED"):
        return WebhookEvent(action, annotations=tuple(_received(action, data)))
    if action in ("ANNOTATION_DELETED", "ANNOTATIONS_DELETED"):
        anns = data.get("annotations") or [data.get("annotation")]
        if not isinstance(anns, list):
            raise BadRequest(f"webhook: {action}: annotations: expected a list of annotations")
        ids = [a.get("id") for a in anns if isinstance(a, dict)]
        for i, aid in enumerate(ids):
            check_id(aid, f"webhook: {action}: annotations[{i}].id", optional=True)
        return WebhookEvent(action, deleted=tuple(i for i in ids if isinstance(i, int)))
    return WebhookEvent(action)


def _received(action: str, event: dict[str, Any]) -> list[IncomingAnnotation]:
    from exports.labelstudio import LabelStudioFormatError

    where = f"webhook: {action}"
    anns = event.get("annotations") or [event.get("annotation")]
    if not isinstance(anns, list):
        raise BadRequest(f"{where}: annotations: expected a list of annotations")
    task = event.get("task") or {}
    kind = kinds.of_task(task)
    for ann in anns:
        if not isinstance(ann, dict) or not isinstance(ann.get("id"), int) or isinstance(ann.get("id"), bool):
            raise BadRequest(f"{where}: annotation: expected an object with an integer 'id'")
        check_id(ann["id"], f"{where}: annotation.id")
        data = task.get("data") if isinstance(task, dict) else None
        if not isinstance(data, dict):
            raise BadRequest(f"{where}: task.data: expected the annotated task's data (send_payload must be on)")
        check_id(task.get("id"), f"{where}: task.id", optional=True)
        if ann.get("was_cancelled"):
            continue
        try:
            kind.check_result(task, ann.get("result") or [])
        except LabelStudioFormatError as exc:
            raise BadRequest(f"{where}: annotation {ann['id']}: {exc}; nothing was stored") from None
    project = event.get("project")
    if project is not None and not isinstance(project, dict):
        raise BadRequest(f"{where}: project: expected an object, got {type(project).__name__}")
    project_id = (project or {}).get("id")
    check_id(project_id, f"{where}: project.id", optional=True)
    return [read_incoming(kind, task, ann["id"], ann.get("result") or [], project_id) for ann in anns if not ann.get("was_cancelled")]


def check_label_config(xml: str, where: str) -> None:
    """The labeling config must have the tags of its task kind (names from ``templates``).

    Raises:
        BadRequest: not XML, or the tags are missing.
    """
    try:
        root = ET.fromstring(xml)
    except ET.ParseError as exc:
        raise BadRequest(f"{where}: the labeling config is not XML: {exc}") from None
    tags = {(el.tag, el.attrib.get("name")) for el in root.iter()}
    kind = kinds.of_config(xml)
    missing = [f'<{tag} name="{name}">' for tag, name in kind.required_tags if (tag, name) not in tags]
    if missing:
        raise BadRequest(f"{where}: the labeling config has no {' or '.join(missing)}; use {kind.template}")
