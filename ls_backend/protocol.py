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

import templates as T

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
    return PredictRequest(tasks, config if isinstance(config, str) and config.strip() else None, _project(data.get("project")))


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


def webhook_request(data: dict[str, Any]) -> str:
    """The event's action."""
    action = data.get("action")
    if not isinstance(action, str):
        raise BadRequest("webhook: 'action' is missing; expected a Label Studio webhook event")
    return action


def check_label_config(xml: str, where: str) -> None:
    """The labeling config must have our dialogue and mention tags (names from ``templates``).

    Raises:
        BadRequest: not XML, or the tags are missing.
    """
    try:
        root = ET.fromstring(xml)
    except ET.ParseError as exc:
        raise BadRequest(f"{where}: the labeling config is not XML: {exc}") from None
    tags = {(el.tag, el.attrib.get("name")) for el in root.iter()}
    if T.task_type(xml) == "ner":  # the post NER template
        if ("Labels", T.NER_ENTITY) not in tags or ("Text", T.NER_TEXT) not in tags:
            raise BadRequest(f"{where}: the labeling config has no <Labels name=\"{T.NER_ENTITY}\"> on <Text name=\"{T.NER_TEXT}\">; "
                             "use MCR Studio's post template (templates/ner_post.xml)")
        return
    missing = []
    if ("Paragraphs", T.DIALOGUE) not in tags:
        missing.append(f"<Paragraphs name=\"{T.DIALOGUE}\">")
    if ("ParagraphLabels", T.MENTION) not in tags:
        missing.append(f"<ParagraphLabels name=\"{T.MENTION}\">")
    if missing:
        raise BadRequest(f"{where}: the labeling config has no {' or '.join(missing)}; use MCR Studio's template (templates/coref_video.xml)")
