"""The post NER campaign (CMNER's practice: three annotators per post, differences settled by an expert).

``run_adjudication``: for every post tagged by two or more annotators, the entities all of them marked (same span and
type) are accepted; a post without any other entity is gold at once; the others go to a review project in Label
Studio (the post template with the conflicts listed above it, the agreed entities pre-filled as the draft, every
annotator's version under Predictions). Idempotent like the coreference campaign: a post recorded with the same
annotations is skipped, one whose annotations changed is flagged. ``collect_gold`` writes the gold BIO file in the
layout of the annotators' files (header prefix, line ending, blank lines).
"""
from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import templates
from agreement import campaign
from agreement.campaign import DRAFT_VERSION, gold_lines, send_to_review
from agreement.state import Decision, Item, State
from exports.bio import BioLayout, write_bio
from exports.labelstudio import post as post_task
from exports.posts import Entity, Post

log = logging.getLogger(__name__)
LAYOUT_FILE = "ner_layout.json"
REVIEW_TITLE = "MCR Studio adjudication: posts"


def adjudicate_post(versions: Mapping[str, Post]) -> tuple[list[Entity], list[dict[str, Any]]]:
    """The entities every annotator marked, and one conflict per entity some did not."""
    names = list(versions)
    marked: dict[tuple[int, int, str], list[str]] = {}
    for name in names:
        for e in versions[name].entities:
            marked.setdefault((e.start, e.end, e.type), []).append(name)
    first = versions[names[0]]
    agreed, conflicts = [], []
    for (s, e, t), who in sorted(marked.items()):
        if len(who) == len(names):
            agreed.append(Entity(s, e, t))
        else:
            text = "".join(first.tokens[s:e]) if all(len(x) == 1 for x in first.tokens) else " ".join(first.tokens[s:e])
            missing = [n for n in names if n not in who]
            conflicts.append({"kind": "entity", "span": [s, e], "type": t,
                              "description": f"{text} [{t}] at {s}-{e}: marked by {', '.join(who)}; not by {', '.join(missing)}"})
    return agreed, conflicts


def _fingerprint(versions: Mapping[str, Post]) -> str:
    h = hashlib.sha1()
    for name in sorted(versions):
        h.update(f"{name}\x00{' '.join(versions[name].bio())}\x00".encode())
    return h.hexdigest()


def _post_json(p: Post) -> str:
    return json.dumps({"id": p.id, "tokens": list(p.tokens), "entities": [[e.start, e.end, e.type] for e in p.entities]}, ensure_ascii=False)


def _post_from_json(text: str) -> Post:
    d = json.loads(text)
    return Post(d["id"], tuple(d["tokens"]), tuple(Entity(s, e, t) for s, e, t in d["entities"]))


def review_project(client: Any, title: str, project_id: int | None) -> int:
    """The post review project (:func:`agreement.campaign.review_project` with the post review config)."""
    return campaign.review_project(client, title, project_id, templates.ner_review_config(),
                                   "MCR Studio adjudication of post NER: decide the listed conflicts")


def run_adjudication(annotators: Mapping[str, Mapping[str, Post]], layout: BioLayout, state: State, state_dir: Path, client: Any | None, *,
                     problems: list[str] | None = None, review_title: str = REVIEW_TITLE, review_project_id: int | None = None,
                     review_file: Path | None = None) -> dict[str, Any]:
    problems = list(problems or [])
    counts = {"gold": 0, "review": 0, "unchanged": 0, "changed": 0, "skipped": 0}
    order = list(dict.fromkeys(pid for posts in annotators.values() for pid in posts))
    (state_dir / LAYOUT_FILE).write_text(json.dumps({"prefix": layout.prefix, "newline": layout.newline, "final_newline": layout.final_newline,
                                                    "head_blanks": layout.head_blanks, "blanks": layout.blanks}), encoding="utf-8")
    start = len(state.items())
    pending: list[tuple[Item, dict[str, Any], list[Decision]]] = []
    for pos, pid in enumerate(order):
        versions = {name: posts[pid] for name, posts in annotators.items() if pid in posts}
        if len(versions) < 2:
            problems.append(f"{pid}: tagged by {len(versions)} annotator(s); adjudication needs two or more; skipped")
            counts["skipped"] += 1
            continue
        if len({v.tokens for v in versions.values()}) > 1:
            problems.append(f"{pid}: tokens: the post's text differs between the annotators; skipped")
            counts["skipped"] += 1
            continue
        names, digest = list(versions), _fingerprint(versions)
        existing = state.item(pid)
        if existing is not None:
            if existing.hash_a == digest:
                counts["unchanged"] += 1
                continue
            counts["changed"] += 1
            problems.append(f"{pid}: an annotation changed after adjudication ({existing.status}); kept the recorded decision, flagged as changed")
            existing.status = "changed"
            state.save(existing, [Decision(doc_key=pid, kind="changed", decided_by="agreement adjudicate", detail={"old": existing.hash_a, "new": digest},
                                           sources=names)])
            continue
        agreed, conflicts = adjudicate_post(versions)
        first = versions[names[0]]
        draft = Post(pid, first.tokens, tuple(agreed), first.images, first.url)
        item = Item(doc_key=pid, position=start + pos, annotator_a=",".join(names), annotation_a=",".join(names), hash_a=digest,
                    annotator_b="", annotation_b="", hash_b="", status="gold", conflicts=conflicts, gold_line=_post_json(draft))
        accepted = Decision(doc_key=pid, kind="accepted", decided_by="agreement adjudicate", detail={"entities": [[e.start, e.end, e.type] for e in agreed]},
                            sources=names)
        if not conflicts:
            state.save(item, [accepted, Decision(doc_key=pid, kind="auto_gold", decided_by="agreement adjudicate", sources=names)])
            counts["gold"] += 1
            continue
        item.status = "review"
        task = post_task.to_task(draft, annotation=False)
        task["data"][templates.CONFLICTS] = "\n".join(f"{i + 1}. {c['description']}" for i, c in enumerate(conflicts))
        task["predictions"] = [post_task.to_prediction(draft, 1.0, DRAFT_VERSION)] + [
            post_task.to_prediction(v, 1.0, f"annotator {name}") for name, v in versions.items()]
        pending.append((item, task, [accepted]))
        counts["review"] += 1
    send_to_review(pending, state, client, lambda: review_project(client, review_title, review_project_id),
                   review_file or state_dir / "review_tasks.json", "posts", counts, problems)
    return {"counts": counts, "problems": problems}


def collect_gold(state: State, state_dir: Path, client: Any | None, out: Path) -> dict[str, Any]:
    """Write the gold posts (auto-accepted, and those the expert resolved) in the annotators' BIO layout."""
    raw = json.loads((state_dir / LAYOUT_FILE).read_text(encoding="utf-8")) if (state_dir / LAYOUT_FILE).exists() else {}
    layout = BioLayout(prefix=raw.get("prefix", "WID:"), newline=raw.get("newline", "\n"), final_newline=raw.get("final_newline", True),
                       head_blanks=raw.get("head_blanks", 0), blanks=dict(raw.get("blanks", {})))
    lines, counts, problems = gold_lines(state, client, lambda task, ann: _post_json(
        post_task.from_task({"id": task.id, "data": task.data}, ann.get("result") or [])))
    posts = [_post_from_json(line) for line in lines]
    write_bio(out, posts, layout)
    return {"counts": counts, "problems": problems, "written": len(posts)}
