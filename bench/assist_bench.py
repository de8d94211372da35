"""Interactive assistance latency (issue #25), measured in one run.

``ls-backend start`` (gunicorn, 2 workers) with an empty store, warmed with 20 train dialogues; then, for every val
dialogue, one interactive ``/predict`` per gold cluster (its first mention marked under a new number, the task's
prediction shown as Label Studio sends it: what Auto-Annotation asks when an annotator finishes a region), and the
same for CMNER dev posts (the first gold entity of each of 100 posts marked). Printed: p50 / p95 of each, and the
p95 over Label Studio 1.23's timeout for it (``/predict``'s 100 s, ``ML_TIMEOUT_PREDICT``) and over 0.3 s (what an
annotator still reads as at once). The model is warm; the task's ordinary prediction is in the cache, as it is after
the task opened.

    python bench/assist_bench.py [--data-dir ../shared/data/tiktalkcoref] [--cmner ../shared/data/cmner/dev.txt]
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import templates  # noqa: E402
from bench.backend_data import pct, post, splits  # noqa: E402
from exports.bio import read_bio  # noqa: E402
from exports.labelstudio import post as post_task  # noqa: E402
from exports.labelstudio.marks import dialogue_regions, post_regions  # noqa: E402
from ls_backend.serving import server  # noqa: E402
from ls_backend.workspace.server import free_port  # noqa: E402

LS_TIMEOUT = 100.0  # seconds: Label Studio 1.23's ML_TIMEOUT_PREDICT, which its interactive route uses
AT_ONCE = 0.3  # seconds


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data-dir", type=Path, default=REPO.parent / "shared" / "data" / "tiktalkcoref")
    p.add_argument("--cmner", type=Path, default=REPO.parent / "shared" / "data" / "cmner" / "dev.txt")
    args = p.parse_args()
    val, train_set, task = splits(args.data_dir)
    posts, layout = read_bio(args.cmner)
    posts = [x for x in posts if x.entities][:100]
    coref, ner = templates.labeling_config(), templates.ner_config()
    dialogue_times, post_times, proposed = [], [], [0, 0]
    with tempfile.TemporaryDirectory() as tmp:
        proc, url = server.launch(Path(tmp), "127.0.0.1", free_port(), Path(tmp) / "backend.log")
        try:
            for i, d in enumerate(train_set[:20]):  # warm both workers (models loaded, LAC and jieba ready)
                post(url + "/predict", {"tasks": [task(d, i)], "label_config": coref})
            for i, d in enumerate(val):
                t = task(d, 1000 + i)
                _, shown = post(url + "/predict", {"tasks": [t], "label_config": coref})  # the task opens: its prediction
                t["predictions"] = shown["results"]
                for c in d.clusters:
                    mark = dialogue_regions(d, ("C20",), [c.spans[0]])
                    seconds, answer = post(url + "/predict", {"tasks": [t], "label_config": coref, "params": {"context": {"result": mark}}})
                    dialogue_times.append(seconds)
                    proposed[0] += len(answer["results"][0]["result"])
            for i, x in enumerate(posts):
                t = {"id": 5000 + i, **post_task.to_task(type(x)(x.id, x.tokens), layout, annotation=False)}
                _, shown = post(url + "/predict", {"tasks": [t], "label_config": ner})
                t["predictions"] = shown["results"]
                e = x.entities[0]
                mark = post_regions(x, (e.type,), [(e.start, e.end - 1)])
                seconds, answer = post(url + "/predict", {"tasks": [t], "label_config": ner, "params": {"context": {"result": mark}}})
                post_times.append(seconds)
                proposed[1] += len(answer["results"][0]["result"])
        finally:
            server.stop(proc, timeout=30)
    print(f"interactive /predict (Auto-Annotation), model warm, 2 gunicorn workers on {os.cpu_count()} cores")
    for name, times, n in (("dialogues", dialogue_times, proposed[0]), ("posts", post_times, proposed[1])):
        p95 = pct(times, 0.95)
        print(f"  {name:9s}: {len(times)} marks, {n} regions proposed; p50 {pct(times, 0.5):6.1f} ms  p95 {p95:6.1f} ms  max {max(times) * 1000:6.1f} ms"
              f"  -> p95 / Label Studio's {LS_TIMEOUT:.0f} s = {p95 / 1000 / LS_TIMEOUT:.5f}, p95 / {AT_ONCE * 1000:.0f} ms = {p95 / 1000 / AT_ONCE:.2f}")


if __name__ == "__main__":
    main()
