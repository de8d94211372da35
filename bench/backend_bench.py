"""Benchmarks of the ML backend (issue #4), measured in one run.

1. ``/predict`` latency for text-only tasks: ``ls-backend start`` (gunicorn, 2 workers) with
   an empty store, warmed with 20 train dialogues, then the 101 val dialogues one per
   request: p50 / p95 with a cold cache (what a new task costs), then the same 101 again
   from the cache. Target: p95 <= 50 ms on 2 cores.
2. ``/predict`` on new tasks while a retraining runs (``POST /train``: the trainer process trains on the
   shipped training data): p95 during training over p95 idle (the new tasks of 1.). Target: <= 1.5.
3. Retraining on 1,000 dialogues (the 911 shared dialogues plus 89 repeated under new
   doc_keys), the way the webhook's retraining does it. Target: <= 30 s.

    python bench/backend_bench.py [--data-dir ../shared/data/tiktalkcoref]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import urllib.request
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.backend_data import pct, post, splits  # noqa: E402
from exports.io import read_titles
from ls_backend.pipeline.text.model import TextModel, train  # noqa: E402
from ls_backend.serving import server  # noqa: E402
from ls_backend.workspace.server import free_port  # noqa: E402


def get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=60) as resp:
        return json.loads(resp.read())


def during_training(url: str, tasks: list[dict]) -> tuple[list[float], str]:
    """Latencies of new tasks asked while a retraining runs (from POST /train until the run is done)."""
    before = len(get(url + "/metrics")["training_runs"])
    post(url + "/train", {})
    out: list[float] = []
    while len(out) < len(tasks):
        m = get(url + "/metrics")
        if len(m["training_runs"]) > before and not m["training"]:
            break  # the run is over
        if not m["training"]:
            time.sleep(0.05)  # not started yet
            continue
        for t in tasks[len(out) : len(out) + 5]:  # look at /metrics again every 5 requests
            out.append(post(url + "/predict", {"tasks": [t]})[0])
    while get(url + "/metrics")["training"]:  # the tasks ran out first: let the run finish
        time.sleep(0.2)
    m = get(url + "/metrics")["training_runs"][-1]
    return out, f"{m['status']}, {m['seconds']:.1f} s" if m.get("seconds") else m["status"]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data-dir", type=Path, default=REPO.parent / "shared" / "data" / "tiktalkcoref")
    args = p.parse_args()
    val, train_set, task = splits(args.data_dir)
    titles = read_titles(args.data_dir / "video_titles.jsonl")

    with tempfile.TemporaryDirectory() as tmp:
        proc, url = server.launch(Path(tmp), "127.0.0.1", free_port(), Path(tmp) / "backend.log")
        try:
            for i, d in enumerate(train_set[:20]):  # warm both workers (model loaded, jieba ready)
                post(url + "/predict", {"tasks": [task(d, i)]})
            cold = [post(url + "/predict", {"tasks": [task(d, 1000 + i)]})[0] for i, d in enumerate(val)]
            cached = [post(url + "/predict", {"tasks": [task(d, 1000 + i)]})[0] for i, d in enumerate(val)]
            training, runs = during_training(url, [task(d, 2000 + i) for i, d in enumerate(train_set[20:])])
        finally:
            server.stop(proc, timeout=30)
    print(f"/predict, {len(val)} val dialogues, one per request, 2 gunicorn workers on {os.cpu_count()} cores")
    print(f"  new tasks  : p50 {pct(cold, 0.5):6.1f} ms  p95 {pct(cold, 0.95):6.1f} ms  mean {statistics.mean(cold) * 1000:6.1f} ms"
          f"  max {max(cold) * 1000:6.1f} ms  -> p95 / 50 ms target = {pct(cold, 0.95) / 50:.2f}")
    print(f"  from cache : p50 {pct(cached, 0.5):6.1f} ms  p95 {pct(cached, 0.95):6.1f} ms")
    print(f"  new tasks while the trainer process retrains ({len(training)} requests during the run; run {runs}): p50 {pct(training, 0.5):6.1f} ms"
          f"  p95 {pct(training, 0.95):6.1f} ms -> p95 training / p95 idle = {pct(training, 0.95) / pct(cold, 0.95):.2f} (target <= 1.5)")

    everything = train_set + val
    extra = [replace(d, doc_key=f"{d.doc_key}-copy") for d in everything[: 1000 - len(everything)]]
    dialogues = everything + extra
    gazetteer = TextModel.load().gazetteer
    t = time.perf_counter()
    model = train(dialogues, titles, gazetteer)
    seconds = time.perf_counter() - t
    print(f"retrain on {len(dialogues)} dialogues ({model.info['candidate_spans']} candidate spans, {model.info['pairs']} pairs): "
          f"{seconds:.1f} s -> / 30 s target = {seconds / 30:.2f}")


if __name__ == "__main__":
    main()
