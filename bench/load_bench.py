"""Load while training (issue #16), measured in one run.

``ls-backend start`` (gunicorn, 2 workers, its trainer process) on an empty store; 101 val dialogues asked one
at a time as new tasks give the p95 idle; then ``POST /train`` starts a retraining and 20 clients send 10 new
tasks each at once while it runs. Prints p95 under load / p95 idle (target <= 3), the errors (target 0), and
whether the run was still training when the load ended.

    python bench/load_bench.py [--data-dir ../shared/data/tiktalkcoref] [--database-url postgresql://...]
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.backend_data import pct, splits  # noqa: E402
from ls_backend.serving import server  # noqa: E402
from ls_backend.workspace.server import free_port  # noqa: E402

CLIENTS, PER_CLIENT = 20, 10


def call(url: str, body: dict | None = None) -> tuple[float, int, dict]:
    data = json.dumps(body, ensure_ascii=False).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    t = time.perf_counter()
    try:
        with urllib.request.urlopen(req, timeout=120) as resp:
            status, out = resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        status, out = exc.code, {}
    except OSError:
        status, out = 0, {}
    return time.perf_counter() - t, status, out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data-dir", type=Path, default=REPO.parent / "shared" / "data" / "tiktalkcoref")
    p.add_argument("--database-url", help="run the backend's store on this database (default: SQLite)")
    args = p.parse_args()
    val, train_set, task = splits(args.data_dir)
    fresh = [task(d, 2000 + i) for i, d in enumerate(train_set[20 : 20 + 2 * CLIENTS * PER_CLIENT])]

    def load(url: str, tasks: list[dict]) -> tuple[list[tuple[float, int, bool]], float]:
        """CLIENTS clients at once, PER_CLIENT new tasks each, one request at a time per client."""

        def client(k: int) -> list[tuple[float, int, bool]]:
            out = []
            for t in tasks[k * PER_CLIENT : (k + 1) * PER_CLIENT]:
                seconds, status, body = call(url + "/predict", {"tasks": [t]})
                out.append((seconds, status, bool(body.get("results")) and "result" in body["results"][0]))
            return out

        started = time.perf_counter()
        with ThreadPoolExecutor(CLIENTS) as pool:
            results = [r for rs in pool.map(client, range(CLIENTS)) for r in rs]
        return results, time.perf_counter() - started

    with tempfile.TemporaryDirectory() as tmp:
        extra = ["--database-url", args.database_url] if args.database_url else []
        proc, url = server.launch(Path(tmp), "127.0.0.1", free_port(), Path(tmp) / "backend.log", args=extra)
        try:
            for i, d in enumerate(train_set[:20]):  # warm both workers
                call(url + "/predict", {"tasks": [task(d, i)]})
            alone = [call(url + "/predict", {"tasks": [task(d, 1000 + i)]})[0] for i, d in enumerate(val)]
            n = CLIENTS * PER_CLIENT
            idle, idle_wall = load(url, fresh[:n])
            call(url + "/train", {})
            while not call(url + "/metrics")[2]["training"]:
                time.sleep(0.05)
            training, training_wall = load(url, fresh[n:])
            still_training = call(url + "/metrics")[2]["training"]
            while call(url + "/metrics")[2]["training"]:
                time.sleep(0.2)
            run = call(url + "/metrics")[2]["training_runs"][-1]
        finally:
            server.stop(proc, timeout=30)

    def line(name: str, results: list, wall: float) -> tuple[float, int]:
        lat = [s for s, _, _ in results]
        errors = sum(1 for _, status, ok in results if status != 200 or not ok)
        print(f"  {name:34s}: p50 {pct(lat, 0.5):6.1f} ms  p95 {pct(lat, 0.95):6.1f} ms  ({len(results) / wall:4.0f} requests/s, errors {errors})")
        return pct(lat, 0.95), errors

    print(f"/predict on {os.cpu_count()} cores, 2 gunicorn workers, store: {'PostgreSQL' if args.database_url else 'SQLite'}; new tasks only")
    print(f"  {'one client, idle':34s}: p50 {pct(alone, 0.5):6.1f} ms  p95 {pct(alone, 0.95):6.1f} ms")
    p_idle, e_idle = line(f"{CLIENTS} clients x {PER_CLIENT}, idle", idle, idle_wall)
    p_train, e_train = line(f"{CLIENTS} clients x {PER_CLIENT}, while retraining", training, training_wall)
    print(f"  retraining: {run['status']} in {run['seconds']:.1f} s; still running when the load ended: {still_training}")
    print(f"  -> p95 under load while retraining / p95 under the same load idle = {p_train / p_idle:.2f} (target <= 3); "
          f"errors {e_idle + e_train} of {len(idle) + len(training)} (target 0)")
    print(f"     (p95 under load while retraining / p95 of one client alone = {p_train / pct(alone, 0.95):.2f}: 20 clients queue on 2 cores)")


if __name__ == "__main__":
    main()
