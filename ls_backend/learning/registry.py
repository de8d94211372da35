"""Model versions of one task kind: which one is active (in the store, for every process), loading it once per
process, activating a newly trained one. Which class loads a version is the one loader table's business
(``pipeline/models.py``): a version records its model kind (``info["model_kind"]``)."""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ls_backend.infra.config import Config
from ls_backend.infra.store import ModelVersion, Store
from ls_backend.kinds import BackendKind
from ls_backend.pipeline.models import Model, load_model, model_kind_at

log = logging.getLogger(__name__)


@dataclass
class _Loaded:
    version: str
    model: Model


def model_kind_of(row: ModelVersion) -> str | None:
    """The model kind of a stored version: recorded with it, or (versions stored before it was recorded) what its
    files declare."""
    info = row.info or {}
    return info.get("model_kind") or info.get("kind") or model_kind_at(row.path)


class ModelRegistry:
    def __init__(self, config: Config, store: Store, kind: BackendKind) -> None:
        self.config = config
        self.store = store
        self.kind = kind
        self._lock = threading.RLock()
        self._loaded: _Loaded | None = None
        self._checked = 0.0

    def load(self, path: str | Path, model_kind: str | None = None) -> Model:
        """A model of this kind at ``path``. Raises ``ValueError`` (the path and what is wrong)."""
        return load_model(path, self.config.device, model_kind, allowed=self.kind.model_kinds)

    def register_initial(self) -> None:
        """Make sure a version is active: the configured (or shipped) model on first start.

        Raises:
            ValueError: the configured model path is missing or not a model of this kind (at start-up, not at the
                first request), naming the setting.
        """
        configured = self.kind.configured_model(self.config)
        if configured is not None or self.store.active_version(self.kind.store_kind) is None:
            path = configured or self.kind.shipped_model()
            try:
                model = self.load(path)
            except ValueError as exc:
                raise ValueError(f"{self.kind.setting}: {exc}") from None
            self.store.add_version(model.version, str(path), {**model.info, "model_kind": model.model_kind}, activate=True,
                                   kind=self.kind.store_kind)

    def active(self) -> tuple[str, Model]:
        """The active model, reloaded when another process activated a new version."""
        now = time.monotonic()
        with self._lock:
            if self._loaded is None or now - self._checked >= self.config.version_check_seconds:
                self._checked = now
                row = self.store.active_version(self.kind.store_kind)
                if row is None:
                    raise RuntimeError(f"no active {self.kind.data.name} model version in the store")
                if self._loaded is None or self._loaded.version != row.version:
                    try:  # lazily: once per process and version
                        self._loaded = _Loaded(row.version, self.load(row.path, model_kind_of(row)))
                    except ValueError as exc:
                        raise RuntimeError(f"model version {row.version}: {exc}") from None
                    log.info("serving %s model %s", self.kind.data.name, row.version)
            return self._loaded.version, self._loaded.model

    @property
    def version(self) -> str:
        return self.active()[0]

    def activate(self, version: str, path: Path, model: Model, **info: Any) -> None:
        """Record a new version as the active one (every process serves it from its next request); ``info`` is
        stored with it (e.g. which process trained it)."""
        self.store.add_version(version, str(path), {**model.info, "model_kind": model.model_kind, **info}, activate=True,
                               kind=self.kind.store_kind)
        with self._lock:
            self._loaded = _Loaded(version, model)
            self._checked = time.monotonic()

    def versions(self) -> list[str]:
        return [v.version for v in self.store.versions(self.kind.store_kind)]
