"""The double-annotation campaign: adjudicate every dialogue, send conflicts to an expert, collect gold.

``run_adjudication`` is idempotent: a dialogue already recorded with the same two
annotations is skipped; one whose annotations changed since is flagged ``changed`` (and
left alone) instead of silently overwritten. ``collect_gold`` writes the release JSONL of
the auto-accepted dialogues and of those the expert resolved in the review project.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import templates
from agreement.adjudicate import adjudicate, conflicts_text, fingerprint
from agreement.state import Decision, Item, State
from exports import labelstudio, release
from exports.io.label_studio import every
from exports.dialogue import Dialogue
from exports.prediction import Prediction
from exports.io import ReadReport, read_release, write_lines

log = logging.getLogger(__name__)

#: Model version of the draft prediction; the review project pre-fills the expert's annotation with it.
DRAFT_VERSION = "draft (agreed parts)"


@dataclass(frozen=True)
class Annotation:
    annotator: str
    source: str  # "annotation 12" or "file.jsonl:3"
    dialogue: Dialogue


@dataclass
class Collected:
    by_doc: dict[str, list[Annotation]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def collect_files(paths: Sequence[str | Path]) -> Collected:
    out = Collected()
    for path in paths:
        report = ReadReport(str(path))
        for lineno, d in read_release(path, report):
            out.by_doc.setdefault(d.doc_key, []).append(Annotation(Path(path).stem, f"{path}:{lineno}", d))
        out.problems.extend(report.problems)
    return out


def collect_export(tasks: Sequence[Any], source: str = "export") -> Collected:
    from agreement.report import export_annotations

    out = Collected()
    for ti, task in enumerate(tasks):  # every task, also those nobody annotated (reported later)
        if isinstance(task, Mapping) and isinstance(task.get("data"), Mapping):
            out.by_doc.setdefault(str(task["data"].get("doc_key") or f"task-{task.get('id', ti)}"), [])
    for key, _, name, ann_id, d in export_annotations(tasks, source, out.problems):
        out.by_doc.setdefault(key, []).append(Annotation(name, ann_id, d))
    return out


def _pair(doc: str, anns: list[Annotation], annotators: Sequence[str] | None, problems: list[str]) -> tuple[Annotation, Annotation] | None:
    if annotators:
        unknown = [a for a in anns if a.annotator not in annotators]
        for a in unknown:
            problems.append(f"{doc}: annotation by {a.annotator} ({a.source}), who is not one of {', '.join(annotators)}; left out of adjudication")
        anns = [a for a in anns if a.annotator in annotators]
        anns.sort(key=lambda a: list(annotators).index(a.annotator))
    else:
        anns = sorted(anns, key=lambda a: a.annotator)
    if len(anns) != 2 or anns[0].annotator == anns[1].annotator:
        who = ", ".join(f"{a.annotator} ({a.source})" for a in anns) or "none"
        problems.append(f"{doc}: {len(anns)} annotation(s) [{who}]; adjudication needs two by different annotators; skipped")
        return None
    return anns[0], anns[1]


def _review_task(adj, a: Annotation, b: Annotation) -> dict[str, Any]:
    # the data is A's (its release layout carries the opaque paths of all of A's boxes); the
    # draft with the agreed parts, and both annotators' versions, come as predictions
    task = labelstudio.to_task(a.dialogue, annotation=False)
    task["data"][templates.CONFLICTS] = conflicts_text(adj)
    task["data"]["adjudication"] = {"doc_key": adj.doc_key, "a": a.annotator, "b": b.annotator}
    task["predictions"] = [
        labelstudio.to_prediction(Prediction(d, (), 1.0, version))
        for d, version in ((adj.draft, DRAFT_VERSION), (a.dialogue, f"annotator {a.annotator}"), (b.dialogue, f"annotator {b.annotator}"))
    ]
    return task


def review_project(client: Any, title: str, project_id: int | None, label_config: str | None = None,
                   description: str = "MCR Studio adjudication: decide the listed conflicts; the agreed parts are pre-filled") -> int:
    """The review project: given, found by title, or created with the review config (default: the dialogues')."""
    if project_id is not None:
        return project_id
    for p in every(client.projects.list):
        if p.title == title:
            return p.id
    project = client.projects.create(
        title=title, label_config=label_config or templates.review_config(), maximum_annotations=1, show_collab_predictions=True,
        model_version=DRAFT_VERSION, description=description,
    )
    return project.id


def run_adjudication(collected: Collected, state: State, client: Any | None, *, review_title: str = "MCR Studio adjudication",
                     review_project_id: int | None = None, annotators: Sequence[str] | None = None, iou_threshold: float = 0.5,
                     review_file: Path | None = None) -> dict[str, Any]:
    problems = list(collected.problems)
    counts = {"gold": 0, "review": 0, "unchanged": 0, "changed": 0, "skipped": 0}
    pending: list[tuple[Item, dict[str, Any], list[Decision]]] = []
    start = len(state.items())
    for pos, (doc, anns) in enumerate(collected.by_doc.items()):
        pair = _pair(doc, list(anns), annotators, problems)
        if pair is None:
            counts["skipped"] += 1
            continue
        a, b = pair
        ha, hb = fingerprint(a.dialogue), fingerprint(b.dialogue)
        existing = state.item(doc)
        if existing is not None:
            if (existing.hash_a, existing.hash_b) == (ha, hb):
                counts["unchanged"] += 1
                continue
            counts["changed"] += 1
            problems.append(f"{doc}: an annotation changed after adjudication ({existing.status}); kept the recorded decision, flagged as changed")
            existing.status = "changed"
            state.save(existing, [Decision(doc_key=doc, kind="changed", decided_by="agreement adjudicate",
                                           detail={"old": [existing.hash_a, existing.hash_b], "new": [ha, hb]}, sources=[a.source, b.source])])
            continue
        try:
            adj = adjudicate(a.dialogue, b.dialogue, iou_threshold)
        except ValueError as exc:
            problems.append(f"{exc}; skipped")
            counts["skipped"] += 1
            continue
        item = Item(doc_key=doc, position=start + pos, annotator_a=a.annotator, annotation_a=a.source, hash_a=ha,
                    annotator_b=b.annotator, annotation_b=b.source, hash_b=hb, status="gold", conflicts=[c.as_dict() for c in adj.conflicts])
        accepted = Decision(doc_key=doc, kind="accepted", decided_by="agreement adjudicate", detail=adj.agreed, sources=[a.source, b.source])
        if not adj.needs_expert:
            item.gold_line = release.to_line(a.dialogue)
            state.save(item, [accepted, Decision(doc_key=doc, kind="auto_gold", decided_by="agreement adjudicate", sources=[a.source, b.source])])
            counts["gold"] += 1
        else:
            item.status = "review"
            pending.append((item, _review_task(adj, a, b), [accepted]))
            counts["review"] += 1
    send_to_review(pending, state, client, lambda: review_project(client, review_title, review_project_id),
                   review_file or Path("review_tasks.json"), "dialogues", counts, problems)
    return {"counts": counts, "problems": problems}


def send_to_review(pending: list[tuple[Item, dict[str, Any], list[Decision]]], state: State, client: Any | None, project: Any, review_file: Path,
                   what: str, counts: dict[str, Any], problems: list[str]) -> None:
    """Import the review tasks into the review project (``project()`` finds or creates it) and record each item with
    its task; without Label Studio, write the tasks to ``review_file`` for import."""
    if not pending:
        return
    tasks = [t for _, t, _ in pending]
    if client is None:
        import json

        review_file.write_text(json.dumps(tasks, ensure_ascii=False), encoding="utf-8")
        problems.append(f"no Label Studio given: {len(tasks)} review task(s) written to {review_file} for import; their {what} are recorded as 'review'")
        for item, _, decisions in pending:
            state.save(item, decisions)
        return
    pid = project()
    resp = client.projects.import_tasks(id=pid, request=tasks, return_task_ids=True)
    for (item, _, decisions), task_id in zip(pending, resp.task_ids or []):
        item.review_project, item.review_task = pid, task_id
        state.save(item, decisions)
    counts["review_project"] = pid


def expert_annotation(client: Any | None, item: Item, counts: dict[str, int], problems: list[str]) -> tuple[Any, dict[str, Any]] | None:
    """The review task of an item and the expert's (latest) annotation on it; None (counted as pending, with the
    reason in ``problems``) while the expert has not decided."""
    if client is None or item.review_task is None:
        counts["pending"] += 1
        problems.append(f"{item.doc_key}: waiting for the expert (no review task reachable)")
        return None
    task = client.tasks.get(id=item.review_task)
    anns = [a if isinstance(a, dict) else a.dict() for a in (task.annotations or [])]
    anns = [a for a in anns if not a.get("was_cancelled")]
    if not anns:
        counts["pending"] += 1
        problems.append(f"{item.doc_key}: waiting for the expert (review task {item.review_task})")
        return None
    if len(anns) > 1:
        problems.append(f"{item.doc_key}: {len(anns)} expert annotations on review task {item.review_task}; the latest is used")
    return task, max(anns, key=lambda a: str(a.get("updated_at") or a.get("created_at") or ""))


def gold_lines(state: State, client: Any | None, expert_line: Callable[[Any, dict], str]) -> tuple[list[str], dict[str, int], list[str]]:
    """The gold line of every decided item, in the order they were adjudicated: the auto-accepted ones as stored, the
    reviewed ones from the expert's annotation (``expert_line(task, annotation)``, recorded as resolved when new);
    items whose annotations changed, or still waiting for the expert, are counted and reported, not written.
    Shared by the dialogue and post campaigns. Returns (lines, counts, problems)."""
    lines, problems = [], []
    counts = {"auto": 0, "expert": 0, "pending": 0, "changed": 0}
    for item in state.items():
        if item.status == "changed":
            counts["changed"] += 1
            problems.append(f"{item.doc_key}: annotations changed after adjudication; not in gold until re-adjudicated")
            continue
        if item.status == "gold":
            lines.append(item.gold_line)
            counts["auto"] += 1
            continue
        found = expert_annotation(client, item, counts, problems)
        if found is None:
            continue
        task, ann = found
        line = expert_line(task, ann)
        lines.append(line)
        counts["expert"] += 1
        if item.status == "review" or item.gold_line != line:
            item.status, item.gold_line = "resolved", line
            state.save(item, [Decision(doc_key=item.doc_key, kind="expert", decided_by=labelstudio.annotator_name(ann),
                                       detail={"conflicts": len(item.conflicts)}, sources=[f"review task {item.review_task}, annotation {ann.get('id')}"])])
    return lines, counts, problems


def collect_gold(state: State, client: Any | None, out: Path) -> dict[str, Any]:
    """Write gold for every decided dialogue, in the order they were adjudicated."""
    lines, counts, problems = gold_lines(state, client, lambda task, ann: release.to_line(
        labelstudio.from_task({"id": task.id, "data": task.data}, ann.get("result") or [])))
    write_lines(out, lines)
    return {"counts": counts, "problems": problems, "written": len(lines)}
