"""Retraining, in a process of its own (never inside a web worker: a GPU model must not train in a forked
gunicorn worker, and serving must not wait for training).

The web workers *request* a run (``store.request_training``: due now, or after the debounce, moved by
every new annotation); the trainer process *claims* it atomically and trains the text model on the
shipped training data plus the project's annotations, then the alignment scorer. A new version is
written to a temporary file, renamed into place, and only then activated, so a crash or kill during
training leaves the previous version serving (the run is marked ``interrupted`` at the next start).

``ls-backend start`` runs one trainer beside its gunicorn workers (restarted if it dies); a backend
built without gunicorn (the Flask test client, a script) starts one on its first request, which exits
after a minute without work or when its parent goes.

    python -m ls_backend.trainer          # what those start: the config comes in $MCR_TRAINER_CONFIG
"""
from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from exports.dialogue import Dialogue
from ls_backend.config import Config
from ls_backend.inbox import annotated as annotated_dialogues
from ls_backend.inbox import annotated_posts, is_post_data
from ls_backend.pipeline.text.model import SHIPPED, TextModel, train
from ls_backend.pipeline.text.neural import NeuralCoref, train_neural
from ls_backend.registry import ModelRegistry
from ls_backend.store import Store

log = logging.getLogger(__name__)

TRAINING_DATA = SHIPPED.parent / "training_data.jsonl.gz"
POLL_SECONDS = 0.25
NEURAL_EPOCHS = 1  # learning in the loop: one pass over the training set when the full model serves


def base_text_data(config: Config) -> Path:
    """The dialogues every retraining starts from (``text_training_data``, default: the shipped train split)."""
    return Path(config.text_training_data or TRAINING_DATA)


def base_ner_data(config: Config) -> Path:
    """The posts every NER retraining starts from (``ner_training_data``, default: the shipped CMNER train)."""
    from ls_backend.pipeline.ner.model import SHIPPED as NER_SHIPPED

    return Path(config.ner_training_data or NER_SHIPPED / "training_posts.txt.gz")


def me() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class Trainer:
    """Training runs: requesting one (web side), running one (trainer side), and their state (either side)."""

    def __init__(self, config: Config, store: Store, registry: ModelRegistry, align: Callable[[], object], video_analysis: Callable) -> None:
        self.config = config
        self.store = store
        self.registry = registry
        self._align = align
        self._video_analysis = video_analysis

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
    def training_set(self, annotated: list[Dialogue] | None = None) -> tuple[list[Dialogue], dict[str, str], int]:
        """Shipped training data plus the live annotations (an annotated doc_key replaces the shipped one; of
        several annotations of one dialogue the latest counts)."""
        from ls_backend.pipeline.text.data import read_training_data

        base_file = base_text_data(self.config)
        base, titles = read_training_data(base_file) if base_file.exists() else ([], {})
        by_key = {d.doc_key: d for d in (annotated_dialogues(self.store) if annotated is None else annotated)}
        titles.update({k: d.title for k, d in by_key.items() if d.title})
        merged = [d for d in base if d.doc_key not in by_key] + list(by_key.values())
        return merged, titles, len(by_key)

    def retrain(self) -> str:
        """Train a new version now (in this process) and activate it; returns the version. One run at a time."""
        from filelock import FileLock

        with FileLock(str(self.config.data_dir / "training.lock")):
            self.store.set_training_owner(me())
            try:
                return self._retrain()
            finally:
                self.store.set_training_owner(None)

    def _retrain(self) -> str:
        posts = annotated_posts(self.store)
        if posts:
            version = self._retrain_ner(posts)
            if not any(not is_post_data(row.task_data) for row in self.store.live_annotations()):
                return version  # a post NER project only: no coreference annotation to learn from
        annotated = annotated_dialogues(self.store)
        dialogues, titles, n_ann = self.training_set(annotated)
        run = self.store.start_run(n_ann)
        started = time.monotonic()
        try:
            _, current = self.registry.active()
            version = time.strftime("text-%Y%m%d-%H%M%S", time.gmtime()) + f"-a{n_ann}"
            if isinstance(current, NeuralCoref):  # the full model: fine-tuned from the active version, in this process
                path = self.config.data_dir / "models" / version
                start = NeuralCoref.load(self.store.active_version().path, self.config.device)  # a copy: the served one stays as is
                model = train_neural(dialogues, start_from=start, out=path, epochs=NEURAL_EPOCHS, version=version, progress=False)
            else:
                weights = {d.doc_key: self.config.annotation_weight for d in annotated} if self.config.annotation_weight != 1.0 else None
                model = train(dialogues, titles, current.gazetteer, version=version, names=current.names, weights=weights)
                path = self.config.data_dir / "models" / version / "text_model.json"
                model.save(path)
            self.registry.activate(version, path, model, trained_in=me())
        except Exception as exc:
            self.store.finish_run(run, "failed", error=f"{type(exc).__name__}: {exc}", seconds=time.monotonic() - started)
            raise
        seconds = time.monotonic() - started
        self.store.finish_run(run, "done", version=version, seconds=seconds)
        self._retrain_alignment(model, annotated)
        log.info("new text model %s from %d dialogues (%d annotated) in %.1f s", version, len(dialogues), n_ann, seconds)
        return version

    def _retrain_ner(self, annotated: list) -> str:
        """The post NER model on the shipped training posts plus the annotated ones (an annotated post replaces its
        shipped copy); activated as a version of kind ``ner``."""
        from exports.bio import read_bio
        from ls_backend.pipeline.ner.model import train as train_ner

        base_file = base_ner_data(self.config)
        base, _ = read_bio(base_file) if base_file.exists() else ([], None)
        by_id = {p.id: p for p in annotated}
        # the CRF takes no sample weights: an annotated post weighing w is trained on round(w) times
        copies = max(1, round(self.config.annotation_weight))
        posts = [p for p in base if p.id not in by_id] + [p for p in by_id.values() for _ in range(copies)]
        run = self.store.start_run(len(by_id))
        started = time.monotonic()
        version = time.strftime("ner-%Y%m%d-%H%M%S", time.gmtime()) + f"-a{len(by_id)}"
        try:
            model = train_ner(posts, self.config.data_dir / "models" / version, version=version, source=f"{base_file} + {len(by_id)} annotated posts")
            self.store.add_version(version, str(model.path), {**model.info, "trained_in": me()}, activate=True, kind="ner")
        except Exception as exc:
            self.store.finish_run(run, "failed", error=f"{type(exc).__name__}: {exc}", seconds=time.monotonic() - started)
            raise
        self.store.finish_run(run, "done", version=version, seconds=time.monotonic() - started)
        log.info("new NER model %s from %d posts (%d annotated)", version, len(posts), len(by_id))
        return version

    def _retrain_alignment(self, model: TextModel, dialogues: list[Dialogue]) -> None:
        annotated = [(d, video) for d in dialogues if (video := self._video_analysis(d.video)[0]) is not None]
        if annotated:
            try:
                self._align().retrain(annotated, model.gazetteer)
            except ValueError as exc:
                log.warning("alignment scorer not retrained: %s", exc)

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
    """The trainer as a child process (``python -m ls_backend.trainer``)."""

    def __init__(self, config: Config, idle_exit: float | None = None) -> None:
        self.config = config
        self.idle_exit = idle_exit
        self.proc: subprocess.Popen | None = None

    def ensure(self) -> None:
        """Start it unless it runs (again, if it exited or was killed)."""
        if self.proc is not None and self.proc.poll() is None:
            return
        env = {**os.environ, "MCR_TRAINER_CONFIG": json.dumps(self.config.to_json()), "MCR_TRAINER_PARENT": str(os.getpid())}
        if self.idle_exit is not None:
            env["MCR_TRAINER_IDLE_EXIT"] = str(self.idle_exit)
        self.proc = subprocess.Popen([sys.executable, "-m", "ls_backend.trainer"], env=env)
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
    config = Config.from_json(json.loads(os.environ["MCR_TRAINER_CONFIG"]))
    idle = os.environ.get("MCR_TRAINER_IDLE_EXIT")
    from ls_backend.service import Backend

    backend = Backend(config, own_trainer=False)
    parent = int(os.environ.get("MCR_TRAINER_PARENT") or os.getppid())
    try:
        backend.trainer.serve_forever(float(idle) if idle else None, parent)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
