"""Inter-annotator agreement report: every pair of annotators, coreference metrics and visual agreement.

Inputs become ``annotator -> {doc_key: Dialogue}`` (:class:`Annotations`) from one release
JSONL file per annotator (the annotator is the file stem), a Label Studio JSON export with
several annotations per task, or a live project. Problems never stop the report: doc_key
sets that differ are reported and scored on the intersection, a repeated doc_key keeps its
first occurrence, dialogues whose text differs between annotators are reported and
skipped, repeated or crossing spans are reported with the dialogue.
"""
from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agreement.metrics import CorpusScores, conll_f1
from agreement.visual import VisualAgreement
from exports import labelstudio
from exports.dialogue import Dialogue
from exports.io import ReadReport, read_release

WORST = 10


@dataclass
class Annotations:
    by_annotator: dict[str, dict[str, Dialogue]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def add(self, annotator: str, dialogue: Dialogue, where: str) -> None:
        docs = self.by_annotator.setdefault(annotator, {})
        if dialogue.doc_key in docs:
            self.problems.append(f"{where}: {dialogue.doc_key}: doc_key: {annotator} annotated it twice; the first is used")
            return
        docs[dialogue.doc_key] = dialogue


def from_release_files(paths: Sequence[str | Path]) -> Annotations:
    out = Annotations()
    stems = [Path(p).stem for p in paths]
    for path, name in zip(paths, stems):
        if stems.count(name) > 1:
            name = str(path)
        report = ReadReport(str(path))
        out.by_annotator.setdefault(name, {})
        for lineno, d in read_release(path, report, salvage_boxes=True):  # a broken box costs the box, not the dialogue
            out.add(name, d, f"{path}:{lineno}")
        out.problems.extend(report.problems)
    return out


def export_annotations(tasks: Iterable[Any], source: str, problems: list[str]) -> Iterator[tuple[str, Any, str, str, Dialogue]]:
    """Every usable annotation of a Label Studio export: ``(doc_key, task id, annotator, "annotation N", dialogue)``.

    Cancelled annotations are left out; unreadable tasks and annotations are added to ``problems``.
    """
    for ti, task in enumerate(tasks):
        if not isinstance(task, Mapping) or not isinstance(task.get("data"), Mapping):
            problems.append(f"{source}: task #{ti}: data: expected a task object with 'data'")
            continue
        for ann in task.get("annotations") or []:
            if not isinstance(ann, Mapping) or ann.get("was_cancelled"):
                continue
            name = labelstudio.annotator_name(ann)
            try:
                d = labelstudio.from_task(task, ann.get("result") or [])
            except ValueError as exc:
                problems.append(f"{source}: {exc} (annotation {ann.get('id', '?')} by {name})")
                continue
            yield d.doc_key, task.get("id", ti), name, f"annotation {ann.get('id', '?')}", d


def from_labelstudio_export(tasks: Iterable[Any], source: str = "export") -> Annotations:
    out = Annotations()
    for _, task_id, name, _, d in export_annotations(tasks, source, out.problems):
        out.add(name, d, f"{source}: task {task_id}")
    return out


def _text(d: Dialogue) -> tuple[str, ...]:
    return tuple(t.text for t in d.turns)


def compare(a_name: str, a: Mapping[str, Dialogue], b_name: str, b: Mapping[str, Dialogue], problems: list[str]) -> dict[str, Any]:
    """Agreement of annotator ``b`` with annotator ``a`` (``a`` plays the key, ``b`` the response)."""
    common = [k for k in a if k in b]
    only_a, only_b = len(a) - len(common), len(b) - len(common)
    if only_a or only_b:
        problems.append(f"{a_name} ~ {b_name}: {only_a} doc_key(s) only in {a_name}, {only_b} only in {b_name}; scored on the {len(common)} in both")
    corpus = CorpusScores()
    visual = VisualAgreement()
    per_doc: list[tuple[str, float, float]] = []
    for key in common:
        da, db = a[key], b[key]
        if _text(da) != _text(db):
            problems.append(f"{a_name} ~ {b_name}: {key}: sentences: the dialogue text differs between the annotators; skipped")
            continue
        doc, _blanc, warnings = corpus.add([list(c.spans) for c in da.clusters], [list(c.spans) for c in db.clusters])
        for w in warnings:
            problems.append(f"{a_name} ~ {b_name}: {key}: {w.replace('key', a_name, 1).replace('response', b_name, 1)}")
        visual.add(da, db)
        per_doc.append((key, doc["muc"].f1 if doc["muc"].r_den or doc["muc"].p_den else 1.0, conll_f1(doc)))
    worst = [k for k, _, _ in sorted(per_doc, key=lambda x: x[2])[:WORST]]
    return {
        "a": a_name, "b": b_name, "documents": corpus.documents,
        "metrics": corpus.as_dict(), "visual": visual.summary(), "worst": worst,
        "muc_f1_per_dialogue": [round(m, 4) for _, m, _ in per_doc],
    }


def report(annotations: Annotations) -> dict[str, Any]:
    names = list(annotations.by_annotator)
    problems = list(annotations.problems)
    pairs = [compare(x, annotations.by_annotator[x], y, annotations.by_annotator[y], problems) for x, y in itertools.combinations(names, 2)]
    if len(names) < 2:
        problems.append(f"agreement needs two or more annotators, found {len(names)}: {names}")
    documents = len({k for docs in annotations.by_annotator.values() for k in docs})
    return {"annotators": names, "documents": documents, "pairs": pairs, "problems": problems}
