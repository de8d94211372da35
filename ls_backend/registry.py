"""Model versions: which one is active (in the store, for every process), loading it once per process,
activating a newly trained one. A version's kind (``info["kind"]``, ``embedded`` by default) names the
class that loads it, so that other kinds of model can be served through the same seam."""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ls_backend.config import Config
from ls_backend.pipeline.text.model import SHIPPED, TextModel
from ls_backend.pipeline.text.neural import NeuralCoref, load_text_model
from ls_backend.store import Store

log = logging.getLogger(__name__)

#: kind -> loader of a model saved at a path, on a torch device (``config.device``).
LOADERS: dict[str, Callable[[str | Path, str], Any]] = {"embedded": lambda path, _device: TextModel.load(path), "neural": NeuralCoref.load}


@dataclass
class _Loaded:
    version: str
    model: TextModel | NeuralCoref


class ModelRegistry:
    def __init__(self, config: Config, store: Store) -> None:
        self.config = config
        self.store = store
        self._lock = threading.RLock()
        self._loaded: _Loaded | None = None
        self._checked = 0.0

    def register_initial(self) -> None:
        """Make sure a version is active: the configured (or shipped) model on first start.

        Raises:
            ValueError: the configured model path is missing or not a model (at start-up, not at the first request),
                naming the setting.
        """
        path = self.config.text_model or SHIPPED
        if self.config.text_model is not None or self.store.active_version() is None:
            try:
                model = load_text_model(path, self.config.device)
            except ValueError as exc:
                raise ValueError(f"text_model: {exc}") from None
            self.store.add_version(model.version, str(path), model.info, activate=True)

    def active(self) -> tuple[str, TextModel | NeuralCoref]:
        """The active model, reloaded when another process activated a new version."""
        now = time.monotonic()
        with self._lock:
            if self._loaded is None or now - self._checked >= self.config.version_check_seconds:
                self._checked = now
                row = self.store.active_version()
                if row is None:
                    raise RuntimeError("no active model version in the store")
                if self._loaded is None or self._loaded.version != row.version:
                    kind = (row.info or {}).get("kind", "embedded")
                    if kind not in LOADERS:
                        raise RuntimeError(f"model version {row.version}: unknown kind {kind!r}; known: {sorted(LOADERS)}")
                    self._loaded = _Loaded(row.version, LOADERS[kind](row.path, self.config.device))  # lazily: once per process and version
                    log.info("serving text model %s", row.version)
            return self._loaded.version, self._loaded.model

    @property
    def version(self) -> str:
        return self.active()[0]

    def activate(self, version: str, path: Path, model: TextModel | NeuralCoref, **info: Any) -> None:
        """Record a new version as the active one (every process serves it from its next request); ``info`` is
        stored with it (e.g. which process trained it)."""
        self.store.add_version(version, str(path), {**model.info, **info}, activate=True)
        with self._lock:
            self._loaded = _Loaded(version, model)
            self._checked = time.monotonic()

    def versions(self) -> list[str]:
        return [v.version for v in self.store.versions()]
