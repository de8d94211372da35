"""The text pre-annotation service behind the HTTP routes: model, cache, learning in the loop.

* The active model version lives in the store; each worker asks it on every request and
  reloads when it changed, so all gunicorn workers serve the version the last training run activated.
* ``/predict`` answers from the cache (task content + model version) or runs the model.
* Annotations from the webhook are stored; a debounced background thread retrains the
  embedded model on the shipped training data plus the project's annotations. A new version
  is written to a temporary file, renamed into place, and only then activated, so a crash
  or kill during training leaves the previous version serving.
"""
from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass
from typing import Any

from exports import labelstudio
from exports.dialogue import Dialogue, Turn
from ls_backend.config import Config
from ls_backend.pipeline.text.model import SHIPPED, TextModel, train
from ls_backend.pipeline.text.predict import predict_dialogue
from ls_backend.pipeline.video import proposals
from ls_backend.pipeline.video.pipeline import VideoSettings
from ls_backend.store import Store, cache_key

log = logging.getLogger(__name__)

TRAINING_DATA = SHIPPED.parent / "training_data.jsonl.gz"
#: How soon a worker's counters reach the store (and so every worker's ``/metrics``).
STATS_FLUSH_SECONDS = 1.0


class TaskError(ValueError):
    """A task the model cannot handle; the message names the task and the field."""


def dialogue_from_task(task: Any, index: int, max_chars: int) -> Dialogue:
    """Validate a Label Studio task and build its Dialogue (one token per character)."""
    if not isinstance(task, dict):
        raise TaskError(f"tasks[{index}]: expected a task object, got {type(task).__name__}")
    where = f"task {task.get('id', f'#{index}')}"
    data = task.get("data")
    if not isinstance(data, dict):
        raise TaskError(f"{where}: data: expected an object with 'dialogue'")
    turns = data.get("dialogue")
    if not isinstance(turns, list) or not turns or not all(isinstance(t, dict) and isinstance(t.get("text"), str) for t in turns):
        raise TaskError(f"{where}: data.dialogue: expected a non-empty list of {{speaker, text}} turns")
    chars = sum(len(t["text"]) for t in turns)
    if chars > max_chars:
        raise TaskError(f"{where}: data.dialogue: {chars} characters; this backend takes dialogues of up to {max_chars}")
    if chars == 0:
        raise TaskError(f"{where}: data.dialogue: every turn is empty")
    title = data.get("title")
    if title is not None and not isinstance(title, str):
        raise TaskError(f"{where}: data.title: expected a string, got {type(title).__name__}")
    try:
        return Dialogue(
            doc_key=str(data.get("doc_key") or f"task-{task.get('id', index)}"),
            turns=tuple(Turn(str(t.get("speaker") or chr(ord("A") + i % 26)), tuple(t["text"])) for i, t in enumerate(turns)),
            title=title or None,
        )
    except ValueError as exc:
        raise TaskError(f"{where}: data.dialogue: {exc}") from None


def usable_parts(task: dict, result: Any) -> tuple[Dialogue | None, bool, list[str]]:
    """What training can use of an annotation: ``(dialogue or None, usable, problems)``.

    Every readable part is kept (clusters without an orphan box, a box without its name ...); each
    part left out is named in ``problems``. The dialogue is None only when the task itself cannot be
    read (then ``problems`` says why).
    """
    dropped: list[str] = []
    try:
        return labelstudio.from_task(task, result, dropped=dropped), True, dropped
    except ValueError as exc:
        return None, False, [f"not usable for training: {exc}"]


@dataclass
class _Loaded:
    version: str
    model: TextModel


class TextService:
    def __init__(self, config: Config, store: Store | None = None) -> None:
        self.config = config
        config.data_dir.mkdir(parents=True, exist_ok=True)
        self.store = store or Store(config.db_url)
        self._lock = threading.RLock()
        self._loaded: _Loaded | None = None
        self._checked = 0.0
        self.stats: Counter = Counter()
        self.latencies: deque[float] = deque(maxlen=500)
        self._worker = f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self._stats_lock = threading.Lock()
        self._stats_dirty = False
        self._flusher: threading.Thread | None = None
        self.trainer = Trainer(self, config.retrain_debounce)
        self.video_settings = VideoSettings.from_config(config)
        self._align = None
        interrupted = self.store.interrupt_stale_runs()
        if interrupted:
            log.warning("%d training run(s) were interrupted by a previous stop; their versions were never activated", interrupted)
        self._register_initial_model()

    # -- model versions ----------------------------------------------------------------
    def _register_initial_model(self) -> None:
        """Make sure a version is active: the configured (or shipped) model on first start.

        Raises:
            ValueError: the configured model path is missing or not a model (at start-up, not at the first request).
        """
        path = self.config.text_model or SHIPPED
        if self.config.text_model is not None or self.store.active_version() is None:
            model = TextModel.load(path)
            self.store.add_version(model.version, str(path), model.info, activate=True)

    @property
    def version(self) -> str:
        return self.model()[0]

    def model(self) -> tuple[str, TextModel]:
        """The active model, reloaded when another worker activated a new version."""
        now = time.monotonic()
        with self._lock:
            if self._loaded is None or now - self._checked >= self.config.version_check_seconds:
                self._checked = now
                row = self.store.active_version()
                if row is None:
                    raise RuntimeError("no active model version in the store")
                if self._loaded is None or self._loaded.version != row.version:
                    self._loaded = _Loaded(row.version, TextModel.load(row.path))
                    log.info("serving text model %s", row.version)
            return self._loaded.version, self._loaded.model

    def _activate(self, version: str, model: TextModel) -> None:
        with self._lock:
            self._loaded = _Loaded(version, model)
            self._checked = time.monotonic()

    # -- prediction ----------------------------------------------------------------------
    def dialogue_of(self, task: Any, index: int) -> Dialogue:
        return dialogue_from_task(task, index, self.config.max_dialogue_chars)

    def predict_task(self, task: Any, index: int) -> dict[str, Any]:
        """One Label Studio prediction: ``{result, score, model_version}``.

        Raises:
            TaskError: the task is malformed or too large.
        """
        started = time.perf_counter()
        dialogue = self.dialogue_of(task, index)
        version, model = self.model()
        key = cache_key(task["data"], version)
        cached = self.store.cached(key)
        predicted = None
        if cached is not None:
            self.count("cache_hits")
            prediction = cached
        else:
            predicted, confidence = predict_dialogue(model, dialogue)
            prediction = {"result": labelstudio.to_result(predicted), "score": confidence, "model_version": version}
            self.store.cache(key, version, prediction)
        video = self.video_analysis(task["data"].get("video"))
        if video is not None:
            if predicted is None:  # the text result came from the cache; alignment needs the clusters
                predicted, _ = predict_dialogue(model, dialogue)
            prediction = self._with_video(predicted, model, version, prediction, video)
        self.latencies.append(time.perf_counter() - started)
        self.count("predictions")
        return prediction

    def count(self, name: str, n: int = 1) -> None:
        """Add to a counter of this worker; a background thread writes the counters to the store within
        :data:`STATS_FLUSH_SECONDS` (off the request path), so that ``/metrics`` adds up every worker."""
        with self._stats_lock:
            self.stats[name] += n
            self._stats_dirty = True
            if self._flusher is None or not self._flusher.is_alive():  # started lazily: after gunicorn's fork
                self._flusher = threading.Thread(target=self._flush_loop, name="mcr-stats", daemon=True)
                self._flusher.start()

    def _flush_loop(self) -> None:
        while True:
            time.sleep(STATS_FLUSH_SECONDS)
            try:
                self.flush_stats()
            except Exception:  # the store is busy or gone: try again at the next tick
                log.exception("writing this worker's counters to the store failed")

    def flush_stats(self, force: bool = False) -> None:
        """Write this worker's counters and recent latencies to the store (one small upsert) when they changed."""
        with self._stats_lock:
            if not (self._stats_dirty or force):
                return
            self._stats_dirty = False
            stats = {"counts": dict(self.stats), "latencies": [round(x, 6) for x in self.latencies]}
        self.store.save_worker_stats(self._worker, stats)

    @property
    def align(self):
        """The alignment service (scorer, gallery, optional CN-CLIP), built on first use."""
        if self._align is None:
            from ls_backend.pipeline.align.service import AlignService

            clip = None
            if self.config.clip_checkpoint is not None:
                from ls_backend.pipeline.align.clip import ClipEncoder

                clip = ClipEncoder(self.config.clip_checkpoint, self.config.clip_model)
            self._align = AlignService(self.store, self.config.data_dir, self.config.face_embedder, self.config.align_scorer, clip)
        return self._align

    def _with_video(self, predicted: Dialogue, model: TextModel, version: str, prediction: dict, video: dict) -> dict:
        """Text proposals plus the persons linked to their clusters (boxes numbered like the clusters)."""
        from ls_backend.pipeline.align.aligner import persons_from_analysis
        from ls_backend.pipeline.align.link import linked_prediction

        try:
            clusters, alignment = self.align.aligner().align_dialogue(predicted, persons_from_analysis(video), model.gazetteer)
            return linked_prediction(predicted, prediction["score"], video, alignment, version, clusters)
        except (ValueError, KeyError) as exc:  # never lose the text proposals over the video part
            log.warning("%s: alignment failed (%s); persons proposed unlinked", predicted.doc_key, exc)
            return proposals.prediction(prediction["result"], prediction["score"], video, version)

    def video_analysis(self, ref: Any) -> dict | None:
        """The cached analysis of a task's video (``ls-backend preannotate`` computes them), or None."""
        if not isinstance(ref, str) or not ref:
            return None
        row = self.store.video_result_for(ref, self.video_settings.version)
        if row is None:
            return None
        if row.error:
            self.count("video_errors")
            return None
        return row.analysis

    # -- learning in the loop ------------------------------------------------------------
    def receive(self, event: dict[str, Any]) -> str:
        """Handle a Label Studio webhook event; returns what was done."""
        action = event.get("action")
        if action in ("ANNOTATION_CREATED", "ANNOTATION_UPDATED", "ANNOTATIONS_CREATED"):
            anns = event.get("annotations") or [event.get("annotation")]
            task = event.get("task") or {}
            n = 0
            for ann in anns:
                if not isinstance(ann, dict) or not isinstance(ann.get("id"), int):
                    raise TaskError(f"{action}: annotation: expected an object with an integer 'id'")
                ann_task = task if task else {}
                data = ann_task.get("data") if isinstance(ann_task, dict) else None
                if not isinstance(data, dict):
                    raise TaskError(f"{action}: task.data: expected the annotated task's data (send_payload must be on)")
                result = ann.get("result") or []
                if ann.get("was_cancelled"):
                    continue
                self.store.upsert_annotation(ann["id"], ann_task.get("id"), (event.get("project") or {}).get("id"), data, result)
                dialogue = self._note_usable_parts(ann["id"], ann_task, result)
                if dialogue is not None:  # the gallery learns from the usable parts too
                    self._teach_gallery(ann["id"], dialogue)
                n += 1
            self.count("annotations_received", n)
            self.trainer.notify()
            return f"stored {n} annotation(s); retraining in {self.config.retrain_debounce:g} s unless more arrive"
        if action in ("ANNOTATION_DELETED", "ANNOTATIONS_DELETED"):
            anns = event.get("annotations") or [event.get("annotation")]
            ids = [a.get("id") for a in anns if isinstance(a, dict)]
            deleted = sum(self.store.delete_annotation(i) for i in ids if isinstance(i, int))
            self.trainer.notify()
            return f"marked {deleted} annotation(s) deleted"
        if action == "START_TRAINING":
            self.trainer.notify(immediate=True)
            return "training started"
        return f"ignored {action!r}"

    def _note_usable_parts(self, ls_annotation_id: int, task: dict, result: Any) -> Dialogue | None:
        """Read an annotation as training will (salvage mode) and record in the store what it leaves out."""
        dialogue, usable, dropped = usable_parts(task, result)
        self.store.set_annotation_note(ls_annotation_id, task.get("id"), (task.get("data") or {}).get("doc_key"), usable, dropped)
        if dropped:
            log.warning("annotation %s: training leaves out %s", ls_annotation_id, "; ".join(dropped))
        return dialogue

    def _teach_gallery(self, ls_annotation_id: int, dialogue: Dialogue) -> None:
        """Named persons of an annotated task whose video was analysed go into the celebrity gallery."""
        video = self.video_analysis(dialogue.video)
        if video is None:
            return
        try:
            taught = self.align.teach(ls_annotation_id, dialogue, video)
        except (ValueError, KeyError) as exc:
            log.warning("annotation %s: cannot teach the gallery: %s", ls_annotation_id, exc)
            return
        if taught:
            log.info("annotation %s taught the gallery %d face(s)", ls_annotation_id, taught)

    def annotated(self) -> list[Dialogue]:
        """The usable parts of every live annotation, in the order they arrived (read once per training run)."""
        out = []
        for row in self.store.live_annotations():
            d, _, _ = usable_parts({"id": row.task_id, "data": row.task_data}, row.result)
            if d is not None:  # an unusable one was recorded as such when it arrived
                out.append(d)
        return out

    def training_set(self, annotated: list[Dialogue] | None = None) -> tuple[list[Dialogue], dict[str, str], int]:
        """Shipped training data plus the live annotations (an annotated doc_key replaces the shipped one; of
        several annotations of one dialogue the latest counts)."""
        from ls_backend.pipeline.text.data import read_training_data

        base, titles = read_training_data(TRAINING_DATA) if TRAINING_DATA.exists() else ([], {})
        by_key = {d.doc_key: d for d in (self.annotated() if annotated is None else annotated)}
        titles.update({k: d.title for k, d in by_key.items() if d.title})
        merged = [d for d in base if d.doc_key not in by_key] + list(by_key.values())
        return merged, titles, len(by_key)

    def retrain(self) -> str:
        """Train a new version now and activate it; returns the version. Only one training at a time."""
        from filelock import FileLock

        with FileLock(str(self.config.data_dir / "training.lock")):
            annotated = self.annotated()
            dialogues, titles, n_ann = self.training_set(annotated)
            run = self.store.start_run(n_ann)
            started = time.monotonic()
            try:
                _, current = self.model()
                version = time.strftime("text-%Y%m%d-%H%M%S", time.gmtime()) + f"-a{n_ann}"
                model = train(dialogues, titles, current.gazetteer, version=version, names=current.names)
                path = self.config.data_dir / "models" / version / "text_model.json"
                model.save(path)
                self.store.add_version(version, str(path), model.info, activate=True)
            except Exception as exc:
                self.store.finish_run(run, "failed", error=f"{type(exc).__name__}: {exc}", seconds=time.monotonic() - started)
                raise
            seconds = time.monotonic() - started
            self.store.finish_run(run, "done", version=version, seconds=seconds)
            self._activate(version, model)
            self._retrain_alignment(model, annotated)
            self.count("trainings")
            log.info("new text model %s from %d dialogues (%d annotated) in %.1f s", version, len(dialogues), n_ann, seconds)
            return version

    def _retrain_alignment(self, model: TextModel, dialogues: list[Dialogue]) -> None:
        annotated = [(d, video) for d in dialogues if (video := self.video_analysis(d.video)) is not None]
        if annotated:
            try:
                self.align.retrain(annotated, model.gazetteer)
            except ValueError as exc:
                log.warning("alignment scorer not retrained: %s", exc)

    def metrics(self) -> dict[str, Any]:
        """Counters and latencies of every worker (from the store), training runs, and what training
        leaves out of the received annotations."""
        self.flush_stats(force=True)
        counts: Counter = Counter()
        lat: list[float] = []
        for worker in self.store.worker_stats():
            counts.update(worker.get("counts", {}))
            lat.extend(worker.get("latencies", []))
        lat.sort()

        def pct(q: float) -> float | None:
            return round(lat[min(len(lat) - 1, int(q * len(lat)))] * 1000, 2) if lat else None

        runs = self.store.runs()
        notes = self.store.annotation_notes()
        return {
            "model_version": self.version,
            "predictions": counts["predictions"], "cache_hits": counts["cache_hits"], "task_errors": counts["task_errors"],
            "latency_ms": {"p50": pct(0.5), "p95": pct(0.95), "n": len(lat)},
            "annotations": self.store.count_annotations(), "training": self.trainer.busy, "last_training_error": self.trainer.last_error,
            "annotations_not_fully_used": len(notes),
            "left_out_of_training": [
                {"annotation": n.ls_annotation_id, "task": n.task_id, "doc_key": n.doc_key, "usable": n.usable, "left_out": list(n.dropped)}
                for n in notes[:50]
            ],
            "training_runs": [{"id": r.id, "status": r.status, "version": r.version, "annotations": r.annotations, "seconds": r.seconds, "error": r.error} for r in runs[-10:]],
            "versions": [v.version for v in self.store.versions()],
        }


class Trainer:
    """Debounced background retraining: a burst of annotations triggers one training run."""

    def __init__(self, service: TextService, debounce: float) -> None:
        self.service = service
        self.debounce = debounce
        self._cond = threading.Condition()
        self._due: float | None = None
        self._thread: threading.Thread | None = None
        self.busy = False
        self.last_error: str | None = None

    def notify(self, immediate: bool = False) -> None:
        with self._cond:
            self._due = time.monotonic() + (0.0 if immediate else self.debounce)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="mcr-retrain", daemon=True)
                self._thread.start()
            self._cond.notify_all()

    def _run(self) -> None:
        while True:
            with self._cond:
                while self._due is None:
                    self._cond.wait()
                while (wait := self._due - time.monotonic()) > 0:
                    self._cond.wait(wait)
                self._due = None
                self.busy = True
            try:
                self.service.retrain()
                self.last_error = None
            except Exception as exc:  # the previous version keeps serving
                self.last_error = f"{type(exc).__name__}: {exc}"
                log.exception("retraining failed; the previous model version keeps serving")
            finally:
                self.busy = False

    def wait_idle(self, timeout: float = 120.0) -> bool:
        """For tests and shutdown: wait until nothing is scheduled or running."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            with self._cond:
                if self._due is None and not self.busy:
                    return True
            time.sleep(0.05)
        return False
