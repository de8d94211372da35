"""What the backend benchmarks share: the shared dialogues as Label Studio tasks, a timed POST, and percentiles."""
from __future__ import annotations

import json
import time
import urllib.request

from dataclasses import replace
from pathlib import Path

from exports import labelstudio
from exports.io import read_titles
from ls_backend.pipeline.text.data import read_dialogues


def splits(data_dir: Path):
    """``(val, train, task)``: the val and train dialogues, and ``task(dialogue, id)`` making a Label Studio task of one."""
    release = data_dir / "all_textual_and_visual_annotations.jsonl"
    titles = read_titles(data_dir / "video_titles.jsonl")
    val, _ = read_dialogues(release, data_dir / "split.jsonl", "val")
    train, _ = read_dialogues(release, data_dir / "split.jsonl", "train")

    def task(d, i: int) -> dict:
        return {"id": i, "data": labelstudio.to_task(replace(d, title=titles.get(d.doc_key)), annotation=False)["data"]}

    return val, train, task


def pct(values: list[float], q: float) -> float:
    """The q-quantile of seconds, in milliseconds."""
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))] * 1000


def post(url: str, body: dict) -> tuple[float, dict]:
    """POST JSON; (seconds it took, the JSON answer)."""
    req = urllib.request.Request(url, data=json.dumps(body, ensure_ascii=False).encode(), headers={"Content-Type": "application/json"})
    t = time.perf_counter()
    with urllib.request.urlopen(req, timeout=60) as resp:
        data = json.loads(resp.read())
    return time.perf_counter() - t, data
