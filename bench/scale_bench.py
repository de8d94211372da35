"""Pre-annotation throughput: the local process pool against Ray, on the same clips, in one run (issue #17).

``--clips`` distinct 8-second 640x360 clips composed from scikit-image's faces (1-2 persons each) are analysed
by the video pipeline three ways, each from a cold start (models loaded in the workers), through
:class:`~ls_backend.jobs.video_jobs.VideoJobs` exactly as ``ls-backend preannotate`` runs them (no store, so that
nothing is cached between the runs):

- ``local``: ``--workers`` processes (``--workers 1``: in this process);
- ``ray``: a Ray cluster of ``--workers`` CPUs started by the bench on 127.0.0.1 (``ray start --head``), one actor
  per CPU, the clips sent as bytes through the object store;

and prints clips per minute, the ratio ray / local, and the overhead Ray adds per clip
((ray time - local time) / clips, connection and actor start-up included). The analyses are compared too
(timings aside they must be identical).

    python bench/scale_bench.py [--clips 16] [--workers 2] [--seconds 8]

On a multi-node cluster (see docs/operators.md, "Pre-annotation on a Ray cluster"): ``--address HEAD:6379`` uses that
cluster instead of starting one (every node has this package installed; the driver runs on the head node).
"""
from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def make_clips(folder: Path, count: int, seconds: int) -> list[str]:
    from ls_backend.media.synth import Placement, moving, render

    frames = seconds * 30
    names = []
    for i in range(count):
        placements = moving(i * 3 % 40, (40, 60, 220, 240), (300, 60, 480, 240), 0, frames - 1, label="A")
        if i % 2:
            placements.append(Placement(40 - i % 40, (420, 40, 600, 220), frames // 3, frames - 1, "B"))
        render(folder / f"clip{i:03d}.mp4", placements, size=(640, 360), fps=30, frame_count=frames)
        names.append(f"clip{i:03d}.mp4")
    return names


def run(folder: Path, refs: list[str], workers: int, ray: str | None) -> tuple[float, dict]:
    from ls_backend.media.fetch import MediaPolicy
    from ls_backend.pipeline.video.pipeline import VideoSettings
    from ls_backend.jobs.video_jobs import VideoJobs

    jobs = VideoJobs(VideoSettings(), MediaPolicy(root=folder), folder / "cache", workers=workers, ray=ray)
    start = time.perf_counter()
    out = jobs.run(refs)
    elapsed = time.perf_counter() - start
    plain = {}
    for ref, outcome in out.items():
        if outcome.error:
            raise SystemExit(f"{ref}: {outcome.error}")
        j = outcome.analysis.to_json()
        j.pop("timings", None)
        plain[ref] = j
    return elapsed, plain


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clips", type=int, default=16)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seconds", type=int, default=8)
    ap.add_argument("--address", help="an existing Ray cluster (default: start one on 127.0.0.1 with --workers CPUs)")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="scale-bench-") as tmp:
        folder = Path(tmp)
        refs = make_clips(folder, args.clips, args.seconds)
        cluster = None
        if args.address is None:
            from tests.support import ray_cluster

            cluster = ray_cluster.start(num_cpus=args.workers)
        try:
            local_s, local = run(folder, refs, args.workers, None)
            ray_s, on_ray = run(folder, refs, args.workers, args.address or cluster.address)
        finally:
            if cluster is not None:
                cluster.stop()
    n = len(refs)
    print(f"{n} clips of {args.seconds} s, {args.workers} workers")
    print(f"local pool : {local_s:7.1f} s  {60 * n / local_s:6.1f} clips/min")
    print(f"ray        : {ray_s:7.1f} s  {60 * n / ray_s:6.1f} clips/min")
    print(f"ratio ray/local throughput: {local_s / ray_s:.2f}")
    print(f"overhead Ray adds per clip: {1000 * (ray_s - local_s) / n:.0f} ms (connection and actor start-up included)")
    print(f"analyses identical (timings aside): {local == on_ray}")


if __name__ == "__main__":
    main()
