"""Configuration of the ML backend and of the ``ls-backend`` commands, read in one place:
defaults < JSON file < environment < command-line flags.

Every field of ``Config`` below is also ``MCR_<FIELD IN UPPER CASE>`` in the environment
(``MCR_DATA_DIR``, ``MCR_DATABASE_URL``, ``MCR_TEXT_MODEL``, ``MCR_BASIC_AUTH_USER`` / ``_PASS``,
``MCR_RETRAIN_DEBOUNCE``, ``MCR_VIDEO_SAMPLE_FPS``, ``MCR_HEAD_DETECTOR``, ``MCR_FACE_EMBEDDER``,
``MCR_MEDIA_ROOT``, ``MCR_MEDIA_URL_PREFIXES``, ``MCR_CLIP_CHECKPOINT`` ...) and a key of the JSON
file named by ``MCR_CONFIG`` or ``--config`` (the same names in lower case, without the prefix).
The Label Studio connection is also read from Label Studio's own variables, ``LABEL_STUDIO_URL`` and
``LABEL_STUDIO_API_KEY`` (and its local media root from ``LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT``); a command's
``--url`` / ``--api-key`` / ``--document-root`` win over all of these.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any


class ConfigError(ValueError):
    """The configuration (a file, a variable, a model path) cannot be used; nothing was done."""


@dataclass(frozen=True)
class Config:
    data_dir: Path = Path("ls-backend-data")
    database_url: str | None = None  # default: SQLite file in data_dir
    text_model: Path | None = None  # default: the shipped model
    ner_model: Path | None = None  # post NER (CRF directory); default: the shipped one
    ner_training_data: Path | None = None  # the base posts of NER retraining (BIO, may be .gz); default: the shipped CMNER train
    basic_auth_user: str | None = None
    basic_auth_pass: str | None = None
    retrain_debounce: float = 10.0  # seconds without a new annotation before retraining
    text_training_data: Path | None = None  # the base dialogues of text retraining (gzipped JSON lines); default: the shipped ones
    # -- learning within a campaign (chosen by `ls-backend simulate` on train folds; docs/experiments.md) --
    annotation_weight: float = 1.0  # how much a project's annotation counts against a shipped training example when retraining
    project_memory: bool = True  # use a project's annotations at its next /predict (names marked, strings left unmarked)
    memory_prior_weight: float = 1.0  # how many annotations the model's own probability counts for in the memory
    max_dialogue_chars: int = 4000
    max_request_bytes: int = 16 * 1024 * 1024
    version_check_seconds: float = 0.0  # how stale a worker's idea of the active model may be (0: every request asks the store)
    # -- video (see pipeline/video) --
    video_sample_fps: float = 2.0  # frames per second the face detector looks at
    video_decode: str = "planned"  # planned: decode only the frames the analysis needs | every: every frame
    head_detector: Path | None = None  # ultralytics YOLO head checkpoint; default: MTCNN faces -> head boxes
    face_embedder: str = "dlib"  # "dlib" or "facenet:<path of InceptionResnetV1 weights>"
    person_threshold: float | None = None  # default: calibrated per embedder
    tracker_appearance: str = "auto"  # auto | mobilenet | histogram (see pipeline/video/tracking.py)
    device: str = "auto"  # torch device of the video models: auto | cpu | cuda
    media_root: Path | None = None  # local videos the backend may read
    media_url_prefixes: str = ""  # comma-separated URL prefixes the backend may fetch videos from
    # -- the Label Studio connection (commands; the backend fetches Label Studio's /data/... URLs with the key) --
    label_studio_url: str | None = None
    label_studio_api_key: str | None = None
    document_root: Path | None = None  # Label Studio's LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT (local media of project create)
    max_video_bytes: int = 512 * 1024 * 1024
    # -- text-to-person alignment (see pipeline/align) --
    align_scorer: Path | None = None  # default: the shipped one, then what the project's annotations train
    clip_checkpoint: Path | None = None  # CN-CLIP directory (config.json + model.pt) or release checkpoint file
    clip_model: str | None = None  # "<vision>@<text>" of a release checkpoint

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'ls-backend.sqlite3').resolve()}"

    @classmethod
    def load(cls, path: str | Path | None = None, env: dict[str, str] | None = None, **overrides: Any) -> Config:
        """Defaults, then the JSON file (``path`` or ``$MCR_CONFIG``), then ``MCR_*`` variables, then ``overrides``.

        Raises:
            ValueError: the file is unreadable, or a value has the wrong type.
        """
        env = dict(os.environ if env is None else env)
        values: dict[str, Any] = {}
        path = path or env.get("MCR_CONFIG")
        if path:
            try:
                values.update(json.loads(Path(path).read_text(encoding="utf-8")))
            except (OSError, json.JSONDecodeError) as exc:
                raise ValueError(f"config file {path}: {exc}") from None
        names = {f.name for f in fields(cls)}
        if "label_studio_token" in values:  # its name before the connection settings were gathered here
            values.setdefault("label_studio_api_key", values.pop("label_studio_token"))
        unknown = set(values) - names
        if unknown:
            raise ValueError(f"config file {path}: unknown key(s) {sorted(unknown)}; known: {sorted(names)}")
        from exports.io.label_studio import ENV_API_KEY, ENV_URL

        for name, key in (("label_studio_url", ENV_URL), ("label_studio_api_key", ENV_API_KEY),
                          ("document_root", "LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT")):
            if env.get(key):
                values[name] = env[key]
        for name in names:
            key = f"MCR_{name.upper()}"
            if key in env:
                values[name] = env[key]
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls()._with(values)

    def to_json(self) -> dict[str, Any]:
        """Every setting as JSON (what a child process such as the trainer is given)."""
        return {f.name: (str(v) if isinstance(v, Path) else v) for f in fields(self) for v in [getattr(self, f.name)]}

    @classmethod
    def from_json(cls, values: dict[str, Any]) -> Config:
        return cls()._with(values)

    def label_studio(self, url: str | None = None, api_key: str | None = None) -> tuple[str, str]:
        """The Label Studio URL and API key: the flags given, else this configuration's.

        Raises:
            InputError: either is missing.
        """
        from exports.io.label_studio import connection

        return connection(url, api_key, defaults=(self.label_studio_url, self.label_studio_api_key), env={})

    def _with(self, values: dict[str, Any]) -> Config:
        typed: dict[str, Any] = {}
        for f in fields(self):
            if f.name not in values:
                continue
            raw = values[f.name]
            try:
                if f.name in ("data_dir", "text_model", "ner_model", "ner_training_data", "text_training_data", "head_detector", "media_root",
                              "align_scorer", "clip_checkpoint", "document_root"):
                    typed[f.name] = Path(raw) if raw not in (None, "") else None
                elif f.name in ("retrain_debounce", "version_check_seconds", "video_sample_fps", "annotation_weight", "memory_prior_weight"):
                    typed[f.name] = float(raw)
                    if f.name in ("annotation_weight", "memory_prior_weight") and not typed[f.name] > 0:
                        raise ValueError(f.name)
                elif f.name == "project_memory":
                    if isinstance(raw, str) and raw.lower() in ("1", "true", "yes", "on", "0", "false", "no", "off"):
                        typed[f.name] = raw.lower() in ("1", "true", "yes", "on")
                    elif isinstance(raw, bool):
                        typed[f.name] = raw
                    else:
                        raise ValueError(f.name)
                elif f.name == "person_threshold":
                    typed[f.name] = None if raw in (None, "") else float(raw)
                elif f.name in ("max_dialogue_chars", "max_request_bytes", "max_video_bytes"):
                    typed[f.name] = int(raw)
                elif f.name in ("face_embedder", "device", "media_url_prefixes", "tracker_appearance"):
                    typed[f.name] = str(raw or "")
                else:
                    typed[f.name] = None if raw in (None, "") else str(raw)
            except (TypeError, ValueError):
                raise ValueError(f"config {f.name}: expected {f.type}, got {raw!r}") from None
        if typed.get("data_dir", self.data_dir) is None:
            raise ValueError("config data_dir: expected a directory")
        return replace(self, **typed)


# -- the process environment besides the settings ---------------------------------------------------
# Every read of the environment goes through this module: the settings above, and these few variables that are
# not settings (Ray's token variables, the cache directory, the trainer process's plumbing).
def environ(name: str, default: str | None = None) -> str | None:
    """A variable of the process environment that is not a :class:`Config` setting."""
    return os.environ.get(name, default)


def set_environ_default(name: str, value: str) -> None:
    """Set a variable for this process and its children unless it is set (e.g. ``RAY_AUTH_MODE`` for Ray's driver)."""
    os.environ.setdefault(name, value)


def child_environ(**extra: str) -> dict[str, str]:
    """The environment of a child process: this one's, with ``extra``."""
    return {**os.environ, **extra}


#: How ``python -m ls_backend.learning.trainer`` gets its configuration, its parent and its idle timeout.
TRAINER_CONFIG, TRAINER_PARENT, TRAINER_IDLE_EXIT = "MCR_TRAINER_CONFIG", "MCR_TRAINER_PARENT", "MCR_TRAINER_IDLE_EXIT"


def trainer_environ(config: Config, parent: int, idle_exit: float | None) -> dict[str, str]:
    """The trainer process's environment: the configuration as JSON, the parent's pid, the idle timeout."""
    extra = {TRAINER_CONFIG: json.dumps(config.to_json()), TRAINER_PARENT: str(parent)}
    if idle_exit is not None:
        extra[TRAINER_IDLE_EXIT] = str(idle_exit)
    return child_environ(**extra)


def trainer_settings() -> tuple[Config, int | None, float | None]:
    """In the trainer process: ``(configuration, parent pid or None, idle timeout or None)``."""
    config = Config.from_json(json.loads(os.environ[TRAINER_CONFIG]))
    parent, idle = os.environ.get(TRAINER_PARENT), os.environ.get(TRAINER_IDLE_EXIT)
    return config, int(parent) if parent else None, float(idle) if idle else None
