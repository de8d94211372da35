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

from flask import Blueprint, Flask, current_app, jsonify, request
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException

from exports import kinds
from ls_backend.infra.config import Config
from ls_backend.kinds import backend_kind
from ls_backend.serving.backend import Backend
from ls_backend.serving import protocol
from ls_backend.serving.protocol import BadRequest

log = logging.getLogger(__name__)
bp = Blueprint("ml", __name__)
#: seconds a client is asked to wait when the store's database does not answer
STORE_RETRY_AFTER = 5


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

    @app.errorhandler(DBAPIError)
    def _store_away(exc: DBAPIError):
        """The store's database is not answering (restarting, unreachable): a 503 with Retry-After, never a traceback;
        nothing of the request was stored, and the next request after it is back works without a restart."""
        log.warning("the store's database is not answering on %s: %s", request.path, type(exc.orig).__name__ if exc.orig else exc)
        resp = jsonify(error=f"the backend's store is not answering ({type(exc.orig).__name__ if exc.orig else type(exc).__name__}); "
                             f"nothing was stored, try again in {STORE_RETRY_AFTER} s")
        resp.status_code = 503
        resp.headers["Retry-After"] = str(STORE_RETRY_AFTER)
        return resp

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.exception("unexpected error on %s", request.path)
        return jsonify(error=f"internal error: {type(exc).__name__}: {exc}"), 500

    return app


def _backend() -> Backend:
    return current_app.extensions["mcr"]


def _connected(project: int | None) -> None:
    """Remember a project that talks to this backend (catch-up reads its annotations); once per process."""
    seen = current_app.extensions.setdefault("mcr_projects", set())
    if project is not None and project not in seen:
        _backend().store.note_project(project)
        seen.add(project)


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


@bp.errorhandler(BadRequest)
def _bad_request(exc: BadRequest):
    return jsonify(error=str(exc)), 400


@bp.get("/")
@bp.get("/health")
def health():
    return jsonify(status="UP", model_class="MCRStudioText", model_version=_backend().version)


@bp.post("/setup")
def setup():
    data = protocol.body(request.get_data())
    schema = protocol.setup_request(data)
    _connected(protocol.project_of(data))
    if schema is not None:
        protocol.check_label_config(schema, "setup")
        return jsonify(model_version=_backend().version_of(kinds.of_config(schema)))
    return jsonify(model_version=_backend().version)


@bp.post("/predict")
def predict():
    req = protocol.predict_request(protocol.body(request.get_data()))
    if req.label_config is not None:
        protocol.check_label_config(req.label_config, "predict")
    tasks = req.tasks
    backend = _backend()
    _connected(req.project)
    if req.context is not None:
        return _assist(req, backend)
    results, errors, versions = [], 0, []
    for i, task in enumerate(tasks):
        kind = kinds.of_request(req.label_config, task)  # by the project's labeling config, else by the task's data
        versions.append(backend.version_of(kind))
        try:
            doc = kind.read_task(task, i, backend.config.max_dialogue_chars)
            results.append(kind.to_prediction(backend.predictor.predict(backend_kind(kind), doc, req.project_of(task))))
        except ValueError as exc:  # LabelStudioFormatError: the task; ValueError: more clusters than the template offers
            errors += 1
            backend.stats.count("task_errors")
            results.append({"error": str(exc), "model_version": versions[-1]})
    version = versions[0] if versions and len(set(versions)) == 1 else backend.version
    if req.label_config is not None and not tasks:
        version = backend.version_of(kinds.of_config(req.label_config))
    if tasks and errors == len(tasks):  # nothing could be predicted: a 400 that still says why per task
        first = results[0]["error"]
        return jsonify(error=f"predict: no task could be predicted ({first}{' ...' if errors > 1 else ''})", results=results,
                       model_version=version), 400
    return jsonify(results=results, model_version=version), 200


def _assist(req: protocol.PredictRequest, backend: Backend):
    """Interactive pre-annotation: the annotator finished a region (Auto-Annotation on); Label Studio sends the task
    and the regions of that label set as ``params.context.result``. The answer is one result holding the other
    mentions of that person (or the other occurrences and likely entities of that type), labelled like them; never a
    region the task shows already, never a change to the annotator's regions."""
    if len(req.tasks) != 1:
        raise BadRequest(f"predict: params.context: an interactive request is about one task, got {len(req.tasks)}")
    (task,) = req.tasks
    kind = kinds.of_request(req.label_config, task)
    try:
        doc = kind.read_task(task, 0, backend.config.max_dialogue_chars)
        marked = kind.read_marks(task, doc, req.context)
    except ValueError as exc:  # LabelStudioFormatError: the task or a marked region, naming the field
        raise BadRequest(f"predict: {exc}") from None
    spans, prediction = backend.predictor.assist(backend_kind(kind), doc, marked, kind.taken_spans(task, doc), req.project_of(task))
    result = kind.mark_regions(doc, marked.labels, spans)
    return jsonify(results=[{"result": result, "score": prediction.score, "model_version": prediction.model_version}],
                   model_version=prediction.model_version), 200


@bp.post("/webhook")
def webhook():
    event = protocol.webhook_request(protocol.body(request.get_data()))
    return jsonify(status=_backend().inbox.receive(event)), 200


@bp.post("/train")
def train():
    if request.get_data():
        protocol.body(request.get_data())  # Label Studio sends {"project": ...}; anything else must still be JSON
    _backend().request_training(immediate=True)
    return jsonify(status="training started"), 201


@bp.get("/metrics")
def metrics():
    return jsonify(_backend().metrics())
