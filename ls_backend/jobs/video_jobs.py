"""Running the video pipeline over tasks: offline (`ls-backend predict --tasks`) and for a whole
Label Studio project (`ls-backend preannotate`), with results cached in the store by video
content + pipeline version, so that an interrupted run resumes and `/predict` answers at once.

A video that cannot be fetched or decoded is logged with the task and the reason; the task
still gets its text proposals.
"""
from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from exports.io.media import MediaError
from ls_backend.media.fetch import MediaPolicy, content_hash
from ls_backend.pipeline.video.artifacts import VideoAnalysis
from ls_backend.pipeline.video.pipeline import VideoPipeline, VideoSettings
from ls_backend.infra.store import Store, video_key

log = logging.getLogger(__name__)


@dataclass
class VideoOutcome:
    ref: str
    analysis: VideoAnalysis | None
    error: str | None
    cached: bool = False


_WORKER_PIPELINE: VideoPipeline | None = None


def _init_worker(settings: VideoSettings, threads: int) -> None:
    global _WORKER_PIPELINE
    import torch

    torch.set_num_threads(threads)
    _WORKER_PIPELINE = VideoPipeline(settings).load()


def _analyse_in_worker(path: str) -> tuple[dict | None, str | None]:
    assert _WORKER_PIPELINE is not None
    return _WORKER_PIPELINE.analyse_stored(path)


class VideoJobs:
    """Fetch (under the media policy), look up the cache, analyse what is missing."""

    def __init__(self, settings: VideoSettings, policy: MediaPolicy, cache_dir: Path, store: Store | None = None,
                 workers: int | None = None, ray: str | None = None) -> None:
        """``workers``: local processes (default 1); with ``ray`` (a cluster address, ``""`` for ``RAY_ADDRESS`` or a
        local cluster) the analyses run on Ray instead, ``workers`` actors (default: one per CPU slot or GPU)."""
        self.settings = settings
        self.policy = policy
        self.cache_dir = cache_dir
        self.store = store
        self.ray = ray
        self.workers = workers
        self._pipeline: VideoPipeline | None = None

    @property
    def pipeline(self) -> VideoPipeline:
        if self._pipeline is None:
            self._pipeline = VideoPipeline(self.settings).load()
        return self._pipeline

    def run(self, refs: Sequence[str], progress: Callable[[VideoOutcome], None] | None = None) -> dict[str, VideoOutcome]:
        """Outcomes by reference (each distinct reference is fetched and analysed once)."""
        outcomes: dict[str, VideoOutcome] = {}
        todo: dict[str, tuple[Path, str, list[str]]] = {}  # key -> path, content hash, refs
        version = self.settings.version
        for ref in dict.fromkeys(refs):
            try:
                path = self.policy.fetch(ref, self.cache_dir)
                digest = content_hash(path)
            except MediaError as exc:
                log.error("video %s: %s", ref, exc)
                outcomes[ref] = VideoOutcome(ref, None, str(exc))
                self._report(outcomes[ref], progress)
                continue
            key = video_key(digest, version)
            if key in todo:  # the same content under another reference: analysed once
                todo[key][2].append(ref)
                continue
            row = self.store.video_result(key) if self.store is not None else None
            if row is not None:
                self.store.link_video_ref(ref, version, key)
                if row.error:
                    log.error("video %s: %s (cached result)", ref, row.error)
                outcomes[ref] = VideoOutcome(ref, VideoAnalysis.from_json(row.analysis) if row.analysis else None, row.error, cached=True)
                self._report(outcomes[ref], progress)
                continue
            todo[key] = (path, digest, [ref])
        jobs = [(key, *v) for key, v in todo.items()]
        if self.ray is not None and jobs:
            from ls_backend.jobs.ray_jobs import RayRunner

            with RayRunner(self.settings, self.ray, self.workers) as runner:
                for job, analysis, error, lasting in runner.analyse(jobs):
                    self._finish(job, analysis, error, outcomes, progress, store=lasting)
        elif (self.workers or 1) > 1 and len(jobs) > 1:
            threads = max(1, (os.cpu_count() or 2) // self.workers)
            with ProcessPoolExecutor(self.workers, initializer=_init_worker, initargs=(self.settings, threads)) as pool:
                futures: list[tuple[tuple, Future]] = [(job, pool.submit(_analyse_in_worker, str(job[1]))) for job in jobs]
                for job, fut in futures:
                    self._finish(job, *fut.result(), outcomes, progress)
        else:
            for job in jobs:
                self._finish(job, *self.pipeline.analyse_stored(job[1]), outcomes, progress)
        return outcomes

    def _finish(self, job, analysis, error, outcomes, progress, store: bool = True) -> None:
        """Records one analysed clip; ``store=False`` for a failure that a re-run may not meet (a lost worker)."""
        key, _, digest, refs = job
        if error:
            log.error("video %s: %s", ", ".join(refs), error)
        store = store and self.store is not None
        if store:
            self.store.save_video_result(key, digest, self.settings.version, analysis, error)
        artifact = VideoAnalysis.from_json(analysis) if analysis is not None else None
        for ref in refs:
            if store:
                self.store.link_video_ref(ref, self.settings.version, key)
            outcomes[ref] = VideoOutcome(ref, artifact, error)
            self._report(outcomes[ref], progress)

    @staticmethod
    def _report(outcome: VideoOutcome, progress) -> None:
        if progress is not None:
            progress(outcome)


def task_list(data: Any, where: str) -> list[dict]:
    """Tasks of a JSON task file: a list of Label Studio tasks (``{"data": ...}``) or of bare data objects."""
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list):
        raise ValueError(f"{where}: expected a JSON list of tasks, got {type(data).__name__}")
    return [t if isinstance(t, dict) and isinstance(t.get("data"), dict) else {"data": t} for t in data]


def video_refs(tasks: Iterable[dict]) -> list[str]:
    return [t["data"]["video"] for t in tasks if isinstance(t.get("data"), dict) and isinstance(t["data"].get("video"), str) and t["data"]["video"]]
