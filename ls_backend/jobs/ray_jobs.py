"""The video analyses of ``preannotate --ray`` / ``predict --tasks --ray`` as Ray actors.

The driver (:class:`~ls_backend.jobs.video_jobs.VideoJobs`) keeps everything that needs the project's secrets or
its store: it fetches each clip under the media policy, looks the cache up, and writes what comes back. What
crosses to the cluster is the clip's bytes (through Ray's object store, so that a worker on another node needs
neither the media nor a token) and the pipeline settings; what comes back is the analysis JSON, as the local
process pool returns it.

- One :class:`VideoWorker` actor per CPU slot of the cluster (one torch thread each), or one per GPU when the
  cluster has GPUs (``num_gpus=1``, the pipeline on ``cuda``); each loads the models once and keeps them.
- At most ``2 x actors`` clips are in flight, so the driver's memory stays flat however long the project is.
- A worker process that dies (killed, out of memory, its node lost) is restarted by Ray and the clip is tried
  again (``max_task_retries``); a clip that kills its worker every time is reported as that clip's error.
"""
from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from ls_backend.infra.config import environ, set_environ_default
from ls_backend.pipeline.video.pipeline import VideoPipeline, VideoSettings

log = logging.getLogger(__name__)

RETRIES = 2  # a clip is tried this many more times after its worker died under it


class VideoWorker:
    """A Ray actor: the video pipeline with its models loaded, analysing clips sent as bytes."""

    def __init__(self, settings: VideoSettings, threads: int) -> None:
        import torch

        torch.set_num_threads(max(1, threads))
        self.pipeline = VideoPipeline(settings).load()

    def analyse(self, name: str, data: bytes) -> tuple[dict | None, str | None]:
        suffix = Path(name).suffix or ".mp4"
        with tempfile.NamedTemporaryFile(suffix=suffix, prefix="mcr-clip-") as f:
            f.write(data)
            f.flush()
            analysis, error = self.pipeline.analyse_stored(f.name)
        return analysis, error.replace(f.name, name) if error else None  # the driver's name of the clip


def _has_token() -> bool:
    return bool(environ("RAY_AUTH_TOKEN") or environ("RAY_AUTH_TOKEN_PATH") or (Path.home() / ".ray" / "auth_token").is_file())


class RayRunner:
    """Connects to a Ray cluster (``address``; empty: ``RAY_ADDRESS`` or a local one) and runs the analyses there."""

    def __init__(self, settings: VideoSettings, address: str = "", actors: int | None = None) -> None:
        self.settings = settings
        self.address = address
        self.actors = actors
        self._started = False

    def __enter__(self) -> RayRunner:
        from ls_backend.infra.config import ConfigError

        where = f"--ray {self.address}".strip()
        if self.address and _has_token():
            set_environ_default("RAY_AUTH_MODE", "token")  # `ray start` enables token auth by default; its drivers must say so
        try:
            import ray
        except ImportError:
            raise ConfigError(f"{where}: Ray is not installed (pip install 'mcr-studio[ray]')") from None
        if not ray.is_initialized():
            try:  # the workers' own logging stays in the cluster's log files; errors come back as results
                ray.init(address=self.address or None, include_dashboard=False, log_to_driver=False,
                         logging_level=logging.WARNING, configure_logging=False)
            except (ConnectionError, RuntimeError, ValueError) as exc:
                raise ConfigError(f"{where}: cannot connect to the Ray cluster: {exc}") from None
            self._started = True
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._started:
            import ray

            ray.shutdown()
            self._started = False

    def plan(self) -> tuple[int, dict[str, float], VideoSettings]:
        """How many actors, the resources of each, and their settings (``cuda`` when the cluster has GPUs)."""
        import ray

        resources = ray.cluster_resources()
        gpus, cpus = int(resources.get("GPU", 0)), int(resources.get("CPU", 1))
        if gpus and self.settings.device in ("auto", "cuda"):
            return self.actors or gpus, {"num_gpus": 1, "num_cpus": 1}, replace(self.settings, device="cuda")
        device = "cpu" if self.settings.device == "auto" else self.settings.device
        return self.actors or max(1, cpus), {"num_cpus": 1}, replace(self.settings, device=device)

    def analyse(self, jobs: Sequence[tuple]) -> Iterator[tuple[tuple, dict | None, str | None, bool]]:
        """``(job, analysis JSON, error, lasting)`` for each ``(key, path, digest, refs)`` job, in the order they
        finish; ``lasting`` is false when the clip's workers kept dying (worth trying again on a later run)."""
        import ray
        from ray.exceptions import RayActorError, RayTaskError

        if not jobs:
            return
        count, resources, settings = self.plan()
        count = min(count, len(jobs))
        actor_class = ray.remote(VideoWorker).options(max_restarts=-1, max_task_retries=RETRIES, **resources)
        workers = [actor_class.remote(settings, 1) for _ in range(count)]
        log.info("ray: %d video workers (%s)", count, ", ".join(f"{k}={v}" for k, v in resources.items()))
        pending = list(jobs)
        in_flight: dict[Any, tuple[tuple, Any]] = {}  # result ref -> job, actor
        idle = list(workers) * 2  # two clips queued per actor: one running, one ready
        try:
            while pending or in_flight:
                while pending and idle:
                    job, actor = pending.pop(0), idle.pop(0)
                    data = Path(job[1]).read_bytes()
                    in_flight[actor.analyse.remote(str(job[1]), data)] = (job, actor)
                done, _ = ray.wait(list(in_flight), num_returns=1)
                job, actor = in_flight.pop(done[0])
                idle.append(actor)
                lasting = True
                try:
                    analysis, error = ray.get(done[0])
                except RayActorError as exc:
                    analysis, error, lasting = None, f"the video worker died {RETRIES + 1} times analysing it ({type(exc).__name__})", False
                except RayTaskError as exc:
                    cause = exc.cause if getattr(exc, "cause", None) is not None else exc
                    analysis, error = None, f"analysis failed: {type(cause).__name__}: {cause}"
                yield job, analysis, error, lasting
        finally:
            for actor in workers:
                ray.kill(actor)
