"""Split a release file the way the upstream ``tools/data_split.py`` lays it out.

Output under ``out``::

    all.textual.jsonl, all.visual.jsonl
    {all,celeb,no_celeb}/{train,val,test}.{textual,visual}.jsonl

Textual records hold the text keys of the release record (``doc_key``, ``genre``,
``sentences``, ``clusters``, ``clusters_str``, ``speaker_ids``, ``sentence_map``,
``subtoken_map`` and the entity-label key, spelled as read); visual records hold
``doc_key``, ``video_title``, ``video_path``, ``visual_annotations``. Unlike the upstream
script this reads either label spelling, and reports (instead of silently dropping)
dialogues missing from the split file or the titles.
"""
from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from exports import release
from exports.dialogue import Dialogue
from exports.io import atomic_writer

log = logging.getLogger(__name__)

SPLITS = ("train", "val", "test")
TYPES = ("celeb", "no_celeb")
TEXT_KEYS = ("doc_key", "genre", "sentences", "clusters", "clusters_str", "speaker_ids", "sentence_map", "subtoken_map")
UNKNOWN_TITLE = "Unknown Title"  # the upstream script's value for a missing title


@dataclass
class SplitReport:
    counts: Counter = field(default_factory=Counter)
    not_in_split: list[str] = field(default_factory=list)
    without_title: list[str] = field(default_factory=list)
    bad_split: list[tuple[str, str]] = field(default_factory=list)  # (doc_key, "video_type/split")


def textual_record(dialogue: Dialogue) -> dict[str, Any]:
    record = release.to_record(dialogue)
    label_key = next(k for k in release.LABEL_KEYS if k in record) if any(k in record for k in release.LABEL_KEYS) else None
    keys = [k for k in TEXT_KEYS if k in record] + ([label_key] if label_key else [])
    return {k: record[k] for k in keys}


def visual_record(dialogue: Dialogue, title: str, video_root: str) -> dict[str, Any]:
    record = release.to_record(dialogue)
    return {
        "doc_key": dialogue.doc_key,
        "video_title": title,
        "video_path": f"{video_root.rstrip('/')}/{dialogue.doc_key}.mp4",
        "visual_annotations": record.get("visual_annotations", []),
    }


def split(
    dialogues: Iterable[Dialogue],
    splits: Mapping[str, tuple[str, str]],
    titles: Mapping[str, str],
    out: str | Path,
    video_root: str = "raw_videos",
) -> SplitReport:
    """Write the split layout.

    Args:
        dialogues: the release dialogues, in file order.
        splits: ``doc_key -> (video_type, split)`` from ``split.jsonl``.
        titles: ``doc_key -> title`` from ``video_titles.jsonl``.
        out: output directory.
        video_root: directory written in ``video_path`` (``<root>/<doc_key>.mp4``).
    """
    out = Path(out)
    report = SplitReport()
    names = ["all.textual.jsonl", "all.visual.jsonl"] + [
        f"{group}/{s}.{kind}.jsonl" for group in ("all",) + TYPES for s in SPLITS for kind in ("textual", "visual")
    ]
    writers = {}
    contexts = []
    try:
        for name in names:
            ctx = atomic_writer(out / name)
            writers[name] = ctx.__enter__()
            contexts.append(ctx)
        for d in dialogues:
            title = titles.get(d.doc_key)
            if title is None:
                report.without_title.append(d.doc_key)
                title = UNKNOWN_TITLE
            lines = {
                "textual": release.dumps(textual_record(d)) + "\n",
                "visual": release.dumps(visual_record(d, title, video_root)) + "\n",
            }
            for kind, line in lines.items():
                writers[f"all.{kind}.jsonl"].write(line)
            where = splits.get(d.doc_key)
            if where is None:
                report.not_in_split.append(d.doc_key)
                continue
            vtype, s = where
            if vtype not in TYPES or s not in SPLITS:
                report.bad_split.append((d.doc_key, f"{vtype}/{s}"))
                continue
            for kind, line in lines.items():
                writers[f"all/{s}.{kind}.jsonl"].write(line)
                writers[f"{vtype}/{s}.{kind}.jsonl"].write(line)
            report.counts[(vtype, s)] += 1
    except BaseException as exc:
        for ctx in contexts:
            ctx.__exit__(type(exc), exc, exc.__traceback__)
        raise
    for ctx in contexts:
        ctx.__exit__(None, None, None)
    return report
