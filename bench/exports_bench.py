"""Benchmark: release -> Label Studio -> release for 10,000 dialogues (issue #2).

Repeats the shared release file to ``--n`` dialogues and converts each line to a
Dialogue, to a Label Studio task serialised as JSON (what `exports to-labelstudio`
writes), back from that JSON to a Dialogue and to its release line, checking that
every line comes back byte-identical. Prints dialogues/s, the total time against the
target (<= 2 s for 10k on 2 cores), and the ratio to a floor measured in the same run:
bare json.loads/json.dumps of the same release lines and task JSON, which any
converter has to pay.

    python bench/exports_bench.py [--data FILE] [--n 10000] [--workers 2]
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from exports import labelstudio, release  # noqa: E402

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "data" / "tiktalkcoref" / "all_textual_and_visual_annotations.jsonl"
TARGET_S = 2.0


def round_trip(lines: list[str]) -> int:
    """Convert lines release -> LS JSON -> release; return how many came back different."""
    bad = 0
    for line in lines:
        task_json = json.dumps(labelstudio.to_task(release.loads(line)), ensure_ascii=False)
        if release.to_line(labelstudio.from_task(json.loads(task_json))) != line:
            bad += 1
    return bad


def floor(lines: list[str], task_jsons: list[str]) -> None:
    for line, tj in zip(lines, task_jsons):
        json.dumps(json.loads(line), ensure_ascii=False)
        json.dumps(json.loads(tj), ensure_ascii=False)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", type=Path, default=DEFAULT)
    p.add_argument("--n", type=int, default=10_000)
    p.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    args = p.parse_args()
    base = args.data.read_text(encoding="utf-8").splitlines()
    lines = (base * (args.n // len(base) + 1))[: args.n]
    task_jsons = [json.dumps(labelstudio.to_task(release.loads(l)), ensure_ascii=False) for l in base]
    task_jsons = (task_jsons * (args.n // len(base) + 1))[: args.n]

    t0 = time.perf_counter()
    floor(lines, task_jsons)
    t_floor = time.perf_counter() - t0

    t0 = time.perf_counter()
    bad_1 = round_trip(lines)
    t_one = time.perf_counter() - t0

    chunks = [lines[i :: args.workers] for i in range(args.workers)]
    with ProcessPoolExecutor(args.workers) as pool:
        pool.submit(len, []).result()  # workers started before the clock runs
        t0 = time.perf_counter()
        bad_n = sum(pool.map(round_trip, chunks))
        t_par = time.perf_counter() - t0

    print(f"dialogues: {len(lines)} (from {args.data.name}, {len(base)} distinct)")
    print(f"1 process : {t_one:.3f} s  {len(lines) / t_one:,.0f} dialogues/s  mismatches {bad_1}")
    print(f"{args.workers} processes: {t_par:.3f} s  {len(lines) / t_par:,.0f} dialogues/s  mismatches {bad_n}")
    print(f"json floor (1 process): {t_floor:.3f} s; round trip / floor = {t_one / t_floor:.2f}x")
    best = min(t_one, t_par)
    print(f"target <= {TARGET_S:.1f} s for 10k on 2 cores: {best * 10_000 / len(lines):.3f} s per 10k "
          f"-> {'MET' if best * 10_000 / len(lines) <= TARGET_S else 'MISSED'} (ratio {best * 10_000 / len(lines) / TARGET_S:.2f} of target)")


if __name__ == "__main__":
    main()
