"""``ls-backend simulate``: an annotation campaign replayed through the backend's real paths.

A campaign is a list of gold documents (release dialogues or BIO posts) annotated in batches. For every
document the backend's ``/predict`` (Flask test client over the real app: the same ``propose()`` / NER path,
cache and project memory) proposes; the proposal is read back from Label Studio's JSON as the editor would
show it; a simulated annotator corrects it to the gold with the guidelines' gestures
(:mod:`agreement.effort`), and submits the gold through ``/webhook`` (the same intake). Between batches the
model learns as the live backend does: the project memory at the next ``/predict`` already, and a training run
of the same :class:`~ls_backend.learning.trainer.Trainer` code after the batch.

Each campaign runs on a fresh store in a temporary directory; the *frozen* campaign submits nothing, so its
model never changes. Orders: ``file``, ``random`` (seeded) and ``uncertain`` (before each batch the
remaining documents are ranked by the current model's score, least certain first -- what Label Studio's Data
Manager does when sorted by prediction score).
"""
from __future__ import annotations

import logging
import random
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from agreement.effort import Effort, total
from agreement.kinds import agreement_kind
from exports.labelstudio.marks import region_labels
from exports.kinds import TaskKind
from ls_backend.infra.config import Config

log = logging.getLogger(__name__)

ORDERS = ("file", "random", "uncertain")
#: interactive: at most this many marks per document (a document has far fewer missing mentions)
MAX_MARKS = 200
PROJECT_ID = 1


@dataclass(frozen=True)
class CampaignSettings:
    order: str = "file"
    batch: int = 25
    seed: int = 0
    learning: bool = True  # submit each corrected document (memory at the next /predict)
    retrain: bool = True  # with learning: a training run after each batch but the last
    interactive: bool = False  # Auto-Annotation on: each missing mention / entity marked asks /predict for the rest of it

    def __post_init__(self) -> None:
        if self.order not in ORDERS:
            raise ValueError(f"--order: expected one of {', '.join(ORDERS)}, got {self.order!r}")
        if not isinstance(self.batch, int) or self.batch < 1:
            raise ValueError(f"--batch: expected a batch size of at least 1, got {self.batch!r}")


@dataclass(frozen=True)
class Step:
    """One document of a campaign: when it came, what the proposal cost, and the score it was proposed with."""

    key: str
    batch: int
    effort: Effort
    score: float | None
    model_version: str
    marks: int = 0  # interactive: the annotator's marks (each answered with proposals)
    proposed: int = 0  # interactive: regions proposed back and accepted into the editor


@dataclass
class Campaign:
    name: str
    steps: list[Step] = field(default_factory=list)
    versions: list[str] = field(default_factory=list)  # the model version after each batch

    def by_key(self) -> dict[str, Step]:
        return {s.key: s for s in self.steps}


def _task(kind: TaskKind, doc: Any, task_id: int) -> dict:
    """The task a project lead imports: the document (for a dialogue: title, video) without its annotation."""
    return {"id": task_id, "project": PROJECT_ID, "data": kind.to_task(kind.bare(doc), annotation=False)["data"]}


def run_campaign(kind: TaskKind, docs: Sequence[Any], config: Config, settings: CampaignSettings, *, name: str = "",
                 progress: Callable[[int], None] | None = None) -> Campaign:
    """One campaign over ``docs`` on a fresh store under a temporary directory (``config``'s models and settings).

    With ``settings.learning`` every corrected document is submitted through ``/webhook`` and the trainer retrains
    after each batch but the last; without, nothing is submitted (the frozen model)."""
    from ls_backend.serving.app import create_app
    from ls_backend.serving.backend import Backend

    with tempfile.TemporaryDirectory(prefix="mcr-simulate-") as tmp:
        cfg = replace(config, data_dir=Path(tmp), database_url=None, retrain_debounce=3600.0, basic_auth_user=None)
        backend = Backend(cfg, own_trainer=False)
        client = create_app(cfg, backend=backend).test_client()
        label_config = kind.labeling_config()
        agreement = agreement_kind(kind)
        effort = agreement.effort
        tasks = {kind.key(d): _task(kind, d, i + 1) for i, d in enumerate(docs)}
        gold = {kind.key(d): d for d in docs}
        remaining = [kind.key(d) for d in docs]
        if settings.order == "random":
            random.Random(settings.seed).shuffle(remaining)
        campaign = Campaign(name or ("learning" if settings.learning else "frozen"))

        def predict(key: str, task: dict | None = None, context: list | None = None) -> dict:
            body = {"tasks": [task or tasks[key]], "project": f"{PROJECT_ID}.0", "label_config": label_config}
            if context is not None:
                body["params"] = {"context": {"result": context}}
            resp = client.post("/predict", json=body)
            body = resp.get_json()
            if resp.status_code != 200 or "result" not in body["results"][0]:
                raise ValueError(f"{key}: /predict answered {resp.status_code}: {body.get('error') or body['results'][0].get('error')}")
            return body["results"][0]

        def interactive(key: str, answer: dict) -> tuple[Effort, int, int]:
            """The editor pre-annotated with ``answer``; the annotator marks each missing mention (or entity), and what
            /predict proposes back is accepted into the editor (Label Studio accepts text suggestions at once); then
            the rest is corrected as usual. Returns (the gestures, the marks, the regions proposed)."""
            task = {**tasks[key], "predictions": [{"result": answer["result"]}]}  # what Label Studio sends: the task with its prediction
            doc = kind.read_task(task, 0, cfg.max_dialogue_chars)
            state, marks, proposed, spent = list(answer["result"]), 0, 0, Effort()
            while marks < MAX_MARKS and (mark := agreement.next_mark(kind.groups(doc, state), gold[key])) is not None:
                labels, span = mark
                keep = [r for r in state if (s := kind.region_span(doc, r)) is None or not agreement.clears(span, s)]
                spent = spent + total([agreement.delete_effort() for _ in range(len(state) - len(keep))])
                state = keep
                region = {**kind.mark_regions(doc, labels, [span])[0], "origin": "manual", "id": f"mark{marks}"}
                state.append(region)
                marks += 1
                spent = spent + agreement.mark_effort(labels)
                group = [r for r in state if region_labels(r) == tuple(sorted(labels))]
                suggested = predict(key, task, group)["result"]
                proposed += len(suggested)
                for r in suggested:  # accepted at once; one that lands on a region the editor has (entities) is deleted
                    s = kind.region_span(doc, r)
                    if s is not None and any((o := kind.region_span(doc, x)) is not None and agreement.clears(s, o) for x in state):
                        spent = spent + agreement.delete_effort()
                    else:
                        state.append(r)
            final = kind.from_task(tasks[key], state, dropped=[])
            return agreement.effort(final, gold[key]) + spent, marks, proposed

        batch = 0
        while remaining:
            if settings.order == "uncertain":
                scores = {k: predict(k).get("score", 0.0) for k in remaining}
                remaining.sort(key=lambda k: (scores[k], k))
            current, remaining = remaining[: settings.batch], remaining[settings.batch :]
            for key in current:
                answer = predict(key)
                if settings.interactive:
                    spent, marks, proposed = interactive(key, answer)
                    campaign.steps.append(Step(key, batch, spent, answer.get("score"), answer.get("model_version", ""), marks, proposed))
                else:
                    proposal = kind.from_task(tasks[key], answer["result"], dropped=[])  # what the editor shows
                    campaign.steps.append(Step(key, batch, effort(proposal, gold[key]), answer.get("score"), answer.get("model_version", "")))
                if settings.learning:
                    task = tasks[key]
                    event = {"action": "ANNOTATION_CREATED", "project": {"id": PROJECT_ID}, "task": task,
                             "annotation": {"id": task["id"], "result": kind.to_result(gold[key])}}
                    resp = client.post("/webhook", json=event)
                    if resp.status_code != 200:
                        raise ValueError(f"{key}: /webhook answered {resp.status_code}: {resp.get_json().get('error')}")
                if progress is not None:
                    progress(1)
            if settings.learning and settings.retrain and remaining:
                backend.trainer.retrain()
            campaign.versions.append(backend.version_of(kind))
            batch += 1
        backend.close()
        backend.store.engine.dispose()
        return campaign
