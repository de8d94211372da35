"""Reading what the text model trains and predicts on: release files, titles, splits, gazetteers."""
from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path

from exports.dialogue import Dialogue
from exports.io import InputError, ReadReport, read_release, read_splits, read_text_lines

log = logging.getLogger(__name__)


def read_dialogues(path: str | Path, split: str | Path | None = None, only: str | None = None) -> tuple[list[Dialogue], ReadReport]:
    """Dialogues of a release file, optionally only those of split ``only`` in ``split.jsonl``."""
    report = ReadReport(str(path))
    dialogues = [d for _, d in read_release(path, report)]
    if split and only:
        keep = {key for key, (_, name) in read_splits(split).items() if name == only}
        if not keep:
            raise InputError(f"{split}: no dialogue of split {only!r}")
        dialogues = [d for d in dialogues if d.doc_key in keep]
    return dialogues, report


def read_gazetteer(paths: Iterable[str | Path]) -> set[str]:
    """Names from CMNER-style files (``char<TAB>BIO-tag`` lines, PER entities) or plain one-name-per-line files."""
    names: set[str] = set()
    for path in paths:
        lines = read_text_lines(path)
        if any("\t" in l for l in lines[:50]):
            cur = ""
            for line in lines + [""]:
                parts = line.split("\t")
                tag = parts[1] if len(parts) == 2 else "O"
                if tag == "B-PER":
                    if cur:
                        names.add(cur)
                    cur = parts[0]
                elif tag == "I-PER" and cur:
                    cur += parts[0]
                else:
                    if cur:
                        names.add(cur)
                    cur = ""
        else:
            names.update(l.strip() for l in lines if l.strip())
    return {n for n in names if len(n) >= 2}


def write_training_data(path: str | Path, dialogues: Iterable[Dialogue], titles: dict[str, str]) -> int:
    """The text training data as gzipped JSON lines (doc_key, speakers, sentences, clusters, title)."""
    import gzip
    import json

    n = 0
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        for d in dialogues:
            rec = {"doc_key": d.doc_key, "speakers": [t.speaker for t in d.turns], "sentences": [t.text for t in d.turns],
                   "clusters": [[list(s) for s in c.spans] for c in d.clusters], "title": titles.get(d.doc_key, "")}
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
            n += 1
    return n


def read_training_data(path: str | Path) -> tuple[list[Dialogue], dict[str, str]]:
    import gzip
    import json

    from exports.dialogue import Cluster, Turn

    dialogues, titles = [], {}
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            turns = tuple(Turn(s, tuple(t)) for s, t in zip(rec["speakers"], rec["sentences"]))
            clusters = tuple(Cluster(tuple(tuple(s) for s in c)) for c in rec["clusters"])
            dialogues.append(Dialogue(doc_key=rec["doc_key"], turns=turns, clusters=clusters))
            if rec.get("title"):
                titles[rec["doc_key"]] = rec["title"]
    return dialogues, titles
