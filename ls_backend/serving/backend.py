"""The backend, assembled: who does what behind the HTTP routes, for every task kind.

* :class:`~ls_backend.learning.registry.ModelRegistry` -- per task kind: model versions in the store, the active
  one loaded once per process;
* :class:`~ls_backend.serving.predictor.Predictor` -- ``/predict``: the cache, else the kind's ``propose``;
* :class:`~ls_backend.learning.inbox.Inbox` -- ``/webhook``: annotations stored as documents, what they teach at
  once, training requested;
* :class:`~ls_backend.learning.trainer.Trainer` -- training runs, in a process of their own;
* :class:`~ls_backend.infra.stats.Stats` -- per-worker counters, added up across workers in ``/metrics``.
"""
from __future__ import annotations

import logging
import weakref
from typing import Any

from exports import kinds
from ls_backend.infra.config import Config
from ls_backend.infra.stats import Stats
from ls_backend.infra.store import Store
from ls_backend.kinds import BackendKind, backend_kind, every_kind
from ls_backend.learning.inbox import Inbox
from ls_backend.learning.memory import ProjectMemories
from ls_backend.learning.registry import ModelRegistry
from ls_backend.learning.trainer import Trainer, TrainerProcess
from ls_backend.serving.predictor import Predictor

log = logging.getLogger(__name__)

#: A trainer process started by a backend outside gunicorn exits after this long without work.
IDLE_TRAINER_EXIT = 60.0


class Backend:
    """Everything behind the routes, for one process.

    Args:
        own_trainer: start a trainer process on the first training request (outside ``ls-backend start``,
            which runs one trainer for all its workers).
        register: make sure a model version of every task kind is active (the configured or shipped one).
    """

    def __init__(self, config: Config, store: Store | None = None, *, own_trainer: bool = True, register: bool = True) -> None:
        self.config = config
        config.data_dir.mkdir(parents=True, exist_ok=True)
        self.store = store or Store(config.db_url)
        interrupted = self.store.interrupt_stale_runs()
        if interrupted:
            log.warning("%d training run(s) were interrupted by a previous stop; their versions were never activated", interrupted)
        self.stats = Stats(self.store)
        self.registries = {k.data.name: ModelRegistry(config, self.store, k) for k in every_kind()}
        if register:
            for registry in self.registries.values():
                registry.register_initial()
        self.parts = {k.data.name: k.part(config, self.store, self.stats) for k in every_kind()}
        self.memories = ProjectMemories(config, self.store)
        self.predictor = Predictor(config, self.store, self.registries, self.parts, self.stats, self.memories)
        self.trainer = Trainer(config, self.store, self.registries, self.parts)
        self._trainer_process = TrainerProcess(config, idle_exit=IDLE_TRAINER_EXIT) if own_trainer else None
        if self._trainer_process is not None:
            weakref.finalize(self, self._trainer_process.stop)
        self.inbox = Inbox(self.store, self.parts, self.stats, self.request_training, config.retrain_debounce)

    @property
    def registry(self) -> ModelRegistry:
        """The default kind's registry (coreference)."""
        return self.registries[kinds.DEFAULT]

    @property
    def videos(self):
        """The coreference kind's per-process part: stored video analyses and the alignment service."""
        return self.parts["coref"]

    def version_of(self, kind: BackendKind | str) -> str:
        """The active model version of a task kind."""
        return self.registries[backend_kind(kind).data.name].version

    @property
    def version(self) -> str:
        return self.registry.version

    def request_training(self, immediate: bool = False) -> None:
        self.trainer.request(immediate)
        if self._trainer_process is not None:
            self._trainer_process.ensure()

    def close(self) -> None:
        """Stop the trainer process this backend started (if any) and the counters' background writer."""
        if self._trainer_process is not None:
            self._trainer_process.stop()
        self.stats.close()

    def metrics(self) -> dict[str, Any]:
        """Counters and latencies of every worker (from the store), training runs, and what training
        leaves out of the received annotations."""
        counts, lat = self.stats.everyone()

        def pct(q: float) -> float | None:
            return round(lat[min(len(lat) - 1, int(q * len(lat)))] * 1000, 2) if lat else None

        runs = self.store.runs()
        notes = self.store.annotation_notes()
        return {
            "model_version": self.version,
            "predictions": counts["predictions"], "cache_hits": counts["cache_hits"], "task_errors": counts["task_errors"],
            "assists": counts["assists"],
            "latency_ms": {"p50": pct(0.5), "p95": pct(0.95), "n": len(lat)},
            "annotations": self.store.count_annotations(), "annotations_by_catch_up": self.store.count_by_source().get("catch-up", 0),
            "training": self.trainer.busy, "last_training_error": self.trainer.last_error,
            "annotations_not_fully_used": len(notes),
            "left_out_of_training": [
                {"annotation": n.ls_annotation_id, "task": n.task_id, "doc_key": n.doc_key, "usable": n.usable, "left_out": list(n.dropped)}
                for n in notes[:50]
            ],
            "training_runs": [{"id": r.id, "status": r.status, "version": r.version, "annotations": r.annotations, "seconds": r.seconds,
                               "error": r.error} for r in runs[-10:]],
            "versions": self.registry.versions(),
            "task_kinds": {name: {"model_version": r.version, "versions": r.versions()} for name, r in self.registries.items()},
        }
