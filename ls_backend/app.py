"""The ML backend's HTTP app: Label Studio's ML backend protocol on current Flask.

Routes (blueprint ``ml``): ``GET /health`` (and ``/``), ``POST /setup``, ``POST /predict``,
``POST /webhook``, ``POST /train``, ``GET /metrics``. Optional HTTP basic auth on every
route. Bad input is answered with a JSON ``{"error": ...}`` (4xx) naming what was wrong;
in a ``/predict`` batch, a task the model cannot handle gets an entry with ``error`` and
no ``result`` (Label Studio skips it), while the other tasks are answered.
"""
from __future__ import annotations

import base64
import hmac
import logging
import xml.etree.ElementTree as ET
from typing import Any

from flask import Blueprint, Flask, current_app, jsonify, request
from werkzeug.exceptions import HTTPException

import templates as T
from exports import labelstudio
from ls_backend.config import Config
from ls_backend.inbox import EventError
from ls_backend.service import Backend

log = logging.getLogger(__name__)
bp = Blueprint("ml", __name__)


def create_app(config: Config | None = None, backend: Backend | None = None, *, own_trainer: bool = True) -> Flask:
    """A fresh app; ``backend`` may be injected (tests), else it is built from ``config`` (under ``ls-backend start``
    with ``own_trainer=False``: the server runs one trainer process for all workers)."""
    config = config or Config.load()
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = config.max_request_bytes
    app.extensions["mcr"] = backend or Backend(config, own_trainer=own_trainer, register=own_trainer)
    app.extensions["mcr_config"] = config
    app.register_blueprint(bp)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        messages = {413: f"request body larger than {config.max_request_bytes} bytes", 404: f"no route {request.path}",
                    405: f"{request.method} is not allowed on {request.path}"}
        return jsonify(error=messages.get(exc.code or 500, exc.description)), exc.code

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.exception("unexpected error on %s", request.path)
        return jsonify(error=f"internal error: {type(exc).__name__}: {exc}"), 500

    return app


def _backend() -> Backend:
    return current_app.extensions["mcr"]


@bp.before_request
def _basic_auth():
    config: Config = current_app.extensions["mcr_config"]
    if not config.basic_auth_user:
        return None
    header = request.headers.get("Authorization", "")
    ok = False
    if header.startswith("Basic "):
        try:
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
            ok = hmac.compare_digest(user, config.basic_auth_user) and hmac.compare_digest(password, config.basic_auth_pass or "")
        except (ValueError, UnicodeDecodeError):
            ok = False
    if not ok:
        resp = jsonify(error="authentication required (HTTP basic auth)")
        resp.status_code = 401
        resp.headers["WWW-Authenticate"] = 'Basic realm="MCR Studio ML backend"'
        return resp
    return None


def _body() -> dict[str, Any]:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise _BadRequest("expected a JSON object body")
    return data


class _BadRequest(Exception):
    pass


@bp.errorhandler(_BadRequest)
def _bad_request(exc: _BadRequest):
    return jsonify(error=str(exc)), 400


def check_label_config(xml: str, where: str) -> None:
    """The labeling config must have our dialogue and mention tags (names from ``templates``)."""
    try:
        root = ET.fromstring(xml)
    except ET.ParseError as exc:
        raise _BadRequest(f"{where}: the labeling config is not XML: {exc}") from None
    tags = {(el.tag, el.attrib.get("name")): el.attrib for el in root.iter()}
    missing = []
    if ("Paragraphs", T.DIALOGUE) not in tags:
        missing.append(f"<Paragraphs name=\"{T.DIALOGUE}\">")
    if ("ParagraphLabels", T.MENTION) not in tags:
        missing.append(f"<ParagraphLabels name=\"{T.MENTION}\">")
    if missing:
        raise _BadRequest(f"{where}: the labeling config has no {' or '.join(missing)}; use MCR Studio's template (templates/coref_video.xml)")


@bp.get("/")
@bp.get("/health")
def health():
    return jsonify(status="UP", model_class="MCRStudioText", model_version=_backend().version)


@bp.post("/setup")
def setup():
    data = _body()
    schema = data.get("schema")
    if isinstance(schema, str) and schema.strip():
        check_label_config(schema, "setup")
    return jsonify(model_version=_backend().version)


@bp.post("/predict")
def predict():
    data = _body()
    if "tasks" not in data:
        raise _BadRequest("predict: 'tasks' is missing; expected a list of Label Studio tasks")
    tasks = data["tasks"]
    if not isinstance(tasks, list):
        raise _BadRequest(f"predict: 'tasks' must be a list of tasks, got {type(tasks).__name__}")
    config = data.get("label_config")
    if isinstance(config, str) and config.strip():
        check_label_config(config, "predict")
    backend = _backend()
    results, errors = [], 0
    for i, task in enumerate(tasks):
        try:
            dialogue = labelstudio.read_task(task, i, backend.config.max_dialogue_chars)
            results.append(labelstudio.to_prediction(backend.predictor.predict(dialogue)))
        except ValueError as exc:  # LabelStudioFormatError: the task; ValueError: more clusters than the template offers
            errors += 1
            backend.stats.count("task_errors")
            results.append({"error": str(exc), "model_version": backend.version})
    status = 400 if tasks and errors == len(tasks) else 200
    return jsonify(results=results, model_version=backend.version), status


@bp.post("/webhook")
def webhook():
    data = _body()
    if not isinstance(data.get("action"), str):
        raise _BadRequest("webhook: 'action' is missing; expected a Label Studio webhook event")
    try:
        status = _backend().inbox.receive(data)
    except EventError as exc:
        raise _BadRequest(f"webhook: {exc}") from None
    return jsonify(status=status), 200


@bp.post("/train")
def train():
    _backend().request_training(immediate=True)
    return jsonify(status="training started"), 201


@bp.get("/metrics")
def metrics():
    return jsonify(_backend().metrics())
