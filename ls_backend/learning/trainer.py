"""Retraining, in a process of its own (never inside a web worker: a GPU model must not train in a forked
gunicorn worker, and serving must not wait for training).

The web workers *request* a run (``store.request_training``: due now, or after the debounce, moved by
every new annotation); the trainer process *claims* it atomically and, for every task kind with annotations,
trains the active model's successor (``pipeline/models.py``) on the kind's base data plus the annotations, then
what follows it (the coreference kind: the alignment scorer). A new version is
written to a temporary file, renamed into place, and only then activated, so a crash or kill during
training leaves the previous version serving (the run is marked ``interrupted`` at the next start).

``ls-backend start`` runs one trainer beside its gunicorn workers (restarted if it dies); a backend
built without gunicorn (the Flask test client, a script) starts one on its first request, which exits
after a minute without work or when its parent goes.

    python -m ls_backend.learning.trainer          # what those start: the config comes in $MCR_TRAINER_CONFIG
"""
from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import time
from typing import Any

from exports import kinds
from ls_backend.infra.config import Config, trainer_environ, trainer_settings
from ls_backend.infra.store import Store
from ls_backend.kinds import BackendKind, backend_kind, every_kind
from ls_backend.learning.registry import ModelRegistry
from ls_backend.pipeline.models import TrainSettings

log = logging.getLogger(__name__)

POLL_SECONDS = 0.25


def me() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class Trainer:
    """Training runs: requesting one (web side), running one (trainer side), and their state (either side).

    Args:
        registries: each task kind's model registry, by kind name.
        parts: what each kind keeps per process (``BackendKind.part``), by kind name.
    """

    def __init__(self, config: Config, store: Store, registries: dict[str, ModelRegistry], parts: dict[str, Any]) -> None:
        self.config = config
        self.store = store
        self.registries = registries
        self.parts = parts

    @classmethod
    def from_config(cls, config: Config, store: Store, stats: Any = None) -> Trainer:
        """A trainer with its own registries and kind parts (the trainer process builds one; no web side needed)."""
        registries = {k.data.name: ModelRegistry(config, store, k) for k in every_kind()}
        return cls(config, store, registries, {k.data.name: k.part(config, store, stats) for k in every_kind()})

    # -- the web side -------------------------------------------------------------------
    def request(self, immediate: bool = False) -> None:
        """Ask for a run now, or after the debounce (a burst of annotations makes one run)."""
        self.store.request_training(time.time() + (0.0 if immediate else self.config.retrain_debounce))

    @property
    def busy(self) -> bool:
        return self.store.training_state()[1] is not None

    @property
    def last_error(self) -> str | None:
        runs = self.store.runs()
        return runs[-1].error if runs and runs[-1].status == "failed" else None

    def wait_idle(self, timeout: float = 120.0) -> bool:
        """For tests and shutdown: wait until no run is due or running."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.store.training_state() == (None, None):
                return True
            time.sleep(0.05)
        return False

    # -- the trainer side ---------------------------------------------------------------
    def annotated(self, kind: BackendKind) -> list[Any]:
        """The stored documents of every live annotation of ``kind`` (read when they arrived), in the order they came."""
        out = []
        for row in self.store.live_annotations(kind=kind.data.name):
            if row.document is None:
                continue  # recorded as not usable when it arrived
            try:
                out.append(kind.data.document_from_json(row.document))
            except ValueError as exc:
                log.warning("annotation %s: stored document unreadable (%s); not used for training", row.ls_annotation_id, exc)
        return out

    def training_set(self, kind: BackendKind | None = None, annotated: list[Any] | None = None) -> tuple[list[Any], dict[str, str], int]:
        """The kind's base data (default: coreference) plus the live annotations (an annotated document replaces its
        base copy; of several annotations of one document the latest counts): ``(documents, titles, annotated)``."""
        kind = kind or backend_kind(kinds.DEFAULT)
        base, titles = kind.read_base(kind.base_data(self.config))
        by_key = {kind.data.key(d): d for d in (self.annotated(kind) if annotated is None else annotated)}
        titles.update({k: t for k, d in by_key.items() if (t := getattr(d, "title", None))})
        merged = [d for d in base if kind.data.key(d) not in by_key] + list(by_key.values())
        return merged, titles, len(by_key)

    def catch_up(self):
        """Read the annotations no webhook brought from Label Studio (``learning/catchup.py``), when the backend knows
        Label Studio's URL and key; Label Studio being away only delays them (logged, nothing changed)."""
        from exports.io import InputError
        from ls_backend.learning.catchup import catch_up

        try:
            return catch_up(self.config, self.store)
        except InputError as exc:
            log.warning("catch-up skipped: %s", exc)
        except Exception as exc:  # noqa: BLE001 -- Label Studio's API failing mid-way must not stop training
            log.warning("catch-up stopped: %s: %s", type(exc).__name__, exc)
        return None

    def retrain(self) -> str:
        """Train new versions now (in this process) and activate them: every task kind with annotations (the default
        kind when none has any); returns the default kind's version, else the one trained. One run at a time."""
        from filelock import FileLock

        with FileLock(str(self.config.data_dir / "training.lock")):
            self.store.set_training_owner(me())
            try:
                self.catch_up()
                annotated = {k.data.name: self.annotated(k) for k in every_kind()}
                due = [k for k in every_kind() if annotated[k.data.name]] or [backend_kind(kinds.DEFAULT)]
                versions = {k.data.name: self._retrain(k, annotated[k.data.name]) for k in due}
                return versions.get(kinds.DEFAULT) or next(iter(versions.values()))
            finally:
                self.store.set_training_owner(None)

    def _retrain(self, kind: BackendKind, annotated: list[Any]) -> str:
        """One kind's new version: the active model's successor on the base data plus the annotations."""
        docs, titles, n_ann = self.training_set(kind, annotated)
        run = self.store.start_run(n_ann)
        started = time.monotonic()
        registry = self.registries[kind.data.name]
        version = time.strftime(f"{kind.version_prefix}-%Y%m%d-%H%M%S", time.gmtime()) + f"-a{n_ann}"
        settings = TrainSettings(device=self.config.device, annotation_weight=self.config.annotation_weight,
                                 annotated=frozenset(kind.data.key(d) for d in annotated), titles=titles,
                                 source=f"{kind.base_data(self.config)} + {n_ann} annotated {kind.data.document}s")
        try:
            _, current = registry.active()
            model, path = current.successor(docs, self.config.data_dir / "models" / version, version, settings)
            registry.activate(version, path, model, trained_in=me())
        except Exception as exc:
            self.store.finish_run(run, "failed", error=f"{type(exc).__name__}: {exc}", seconds=time.monotonic() - started)
            raise
        seconds = time.monotonic() - started
        self.store.finish_run(run, "done", version=version, seconds=seconds)
        kind.after_training(self.parts[kind.data.name], model, annotated)
        log.info("new %s model %s from %d %ss (%d annotated) in %.1f s", kind.data.name, version, len(docs), kind.data.document, n_ann, seconds)
        return version

    def serve_forever(self, idle_exit: float | None = None, parent: int | None = None) -> None:
        """Claim and run due training runs until the parent process goes (or ``idle_exit`` seconds pass idle)."""
        last_work = time.monotonic()
        while True:
            if parent is not None and os.getppid() != parent:
                log.info("trainer: parent %d is gone; stopping", parent)
                return
            if self.store.claim_training(me(), time.time()):
                try:
                    self.retrain()
                except Exception:  # the previous version keeps serving
                    log.exception("retraining failed; the previous model version keeps serving")
                last_work = time.monotonic()
            elif idle_exit is not None and time.monotonic() - last_work > idle_exit and self.store.training_state()[0] is None:
                return
            time.sleep(POLL_SECONDS)


class TrainerProcess:
    """The trainer as a child process (``python -m ls_backend.learning.trainer``)."""

    def __init__(self, config: Config, idle_exit: float | None = None) -> None:
        self.config = config
        self.idle_exit = idle_exit
        self.proc: subprocess.Popen | None = None

    def ensure(self) -> None:
        """Start it unless it runs (again, if it exited or was killed)."""
        if self.proc is not None and self.proc.poll() is None:
            return
        env = trainer_environ(self.config, os.getpid(), self.idle_exit)
        self.proc = subprocess.Popen([sys.executable, "-m", "ls_backend.learning.trainer"], env=env)
        log.info("trainer process %d started", self.proc.pid)

    def stop(self, timeout: float = 10.0) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout)


#: The trainer's CPU priority below the web workers' (Unix nice increment): serving first, training with what is left.
NICE = 10


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    if hasattr(os, "nice"):
        os.nice(NICE)
    config, parent, idle = trainer_settings()
    store = Store(config.db_url)
    if store.interrupt_stale_runs():
        log.warning("training runs interrupted by a previous stop were marked so; their versions were never activated")
    trainer = Trainer.from_config(config, store)
    for registry in trainer.registries.values():
        registry.register_initial()
    report = trainer.catch_up()  # what came while no backend was listening
    if report is not None and report.changed:
        trainer.request(immediate=True)  # learned from now (a debounced request would postpone a run already due)
    try:
        trainer.serve_forever(idle, parent or os.getppid())
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
