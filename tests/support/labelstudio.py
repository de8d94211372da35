"""Test harness for the real Label Studio server and the videos its tasks show."""
from __future__ import annotations

import hashlib
import os
import shutil
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from exports.dialogue import Dialogue
from ls_backend.media import synth

VIDEO_CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "mcr-studio" / "test-videos"
SYNTH_VERSION = "2"  # bump when synth.render changes what it draws


def _video_key(d: Dialogue) -> str:
    boxes = [(b.label, b.frame, tuple(b.bbox)) for b in d.boxes]
    return hashlib.sha1(repr((SYNTH_VERSION, d.doc_key, boxes)).encode()).hexdigest()[:16]


def _render_one(args: tuple[Dialogue, str]) -> str:
    d, path = args
    synth.video_for_dialogue(d, path)
    return path


def videos_for(dialogues: list[Dialogue], target: Path, workers: int = 2) -> list[Path]:
    """``target/<doc_key>.mp4`` for each dialogue (faces in the dialogue's boxes), cached between runs."""
    target.mkdir(parents=True, exist_ok=True)
    VIDEO_CACHE.mkdir(parents=True, exist_ok=True)
    todo = [(d, str(VIDEO_CACHE / f"{d.doc_key}-{_video_key(d)}.mp4")) for d in dialogues]
    missing = [t for t in todo if not Path(t[1]).exists()]
    if missing:
        with ProcessPoolExecutor(workers) as pool:
            list(pool.map(_render_one, missing))
    out = []
    for d, cached in todo:
        dest = target / f"{d.doc_key}.mp4"
        shutil.copyfile(cached, dest)
        out.append(dest)
    return out
