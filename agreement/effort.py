"""Annotator effort: the gestures it takes to turn a proposal into the gold annotation, and from scratch.

Costs come from the one table in :mod:`annotation_guidelines.gestures`. The annotator is taken to be
efficient: proposals that are right stay, wrong ones are deleted, missing ones added, and the cluster
numbers of the proposal are kept where that saves work (the proposal's numbers are mapped one-to-one
onto the gold's by the Hungarian algorithm, on the mentions and boxes they share), so that only the
mentions whose numbers still differ are renumbered.

* text (dialogues): add a mention (1 + its numbers), delete a proposed one (2), renumber one
  (1 + numbers added or taken off); a proposed span with the wrong boundaries is deleted and the right one
  added (counted under ``span``); the extra numbers of group mentions under ``group``;
* video (only where the proposal could hold boxes, i.e. the task's video was analysed): draw a head box (4),
  renumber a proposed box that sits on the right head (3), delete a proposed box (2), type a celebrity name
  the proposal lacks (2), tick a flag (2);
* posts: add an entity (2), delete a proposed one (2), retype one (2); a wrong boundary is delete + add.

:class:`Effort` keeps the gestures by category and part, so that efforts of many documents add up.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import linear_sum_assignment

from annotation_guidelines import gestures as G
from agreement.visual import iou
from exports.dialogue import Dialogue
from exports.names import name_key
from exports.posts import Post

#: a proposed box counts as on the gold head at this IoU or more, on a key frame this close (frames)
BOX_IOU = 0.5
KEY_FRAME_TOLERANCE = 15
#: category -> part it belongs to
PARTS = {"add": "text", "delete": "text", "renumber": "text", "group": "text", "span": "text",
         "box_draw": "video", "box_delete": "video", "box_renumber": "video", "name": "video", "flag": "video",
         "entity_add": "entities", "entity_delete": "entities", "entity_retype": "entities", "entity_span": "entities"}


@dataclass
class Effort:
    """Gestures from scratch and with the proposal, by category (see :data:`PARTS`); documents add up with ``+``."""

    scratch: Counter = field(default_factory=Counter)
    corrections: Counter = field(default_factory=Counter)
    documents: int = 0

    def __add__(self, other: Effort) -> Effort:
        return Effort(self.scratch + other.scratch, self.corrections + other.corrections, self.documents + other.documents)

    def part(self, part: str) -> tuple[int, int]:
        """(gestures from scratch, gestures with the proposal) of one part ("text", "video", "entities", or "all")."""
        def total(c: Counter) -> int:
            return sum(v for k, v in c.items() if part == "all" or PARTS[k] == part)

        return total(self.scratch), total(self.corrections)

    def saved(self, part: str = "all") -> float | None:
        """The share of the gestures from scratch that the proposal saves (None when there is nothing to do)."""
        scratch, corrected = self.part(part)
        return None if scratch == 0 else 1.0 - corrected / scratch

    def to_json(self) -> dict:
        return {"documents": self.documents, "scratch": dict(self.scratch), "corrections": dict(self.corrections)}


def total(efforts: Iterable[Effort]) -> Effort:
    out = Effort()
    for e in efforts:
        out = out + e
    return out


# -- dialogues ------------------------------------------------------------------------------------
def _mention_numbers(d: Dialogue) -> dict[tuple[int, int], frozenset[int]]:
    out: dict[tuple[int, int], frozenset[int]] = {}
    for cluster, numbers in zip(d.clusters, d.cluster_numbers()):
        for span in cluster.spans:
            out[tuple(span)] = frozenset(numbers)
    return out


def _box_numbers(label: str) -> frozenset[int]:
    from exports.dialogue import label_numbers

    return frozenset(label_numbers(label))


def _number_map(pairs: Iterable[tuple[frozenset[int], frozenset[int]]]) -> dict[int, int]:
    """The one-to-one map of proposal numbers onto gold numbers that keeps most numbers right (Hungarian)."""
    weight: Counter = Counter()
    for np_, ng in pairs:
        for a in np_:
            for b in ng:
                weight[(a, b)] += 1
    if not weight:
        return {}
    rows = sorted({a for a, _ in weight})
    cols = sorted({b for _, b in weight})
    m = np.zeros((len(rows), len(cols)))
    for (a, b), w in weight.items():
        m[rows.index(a), cols.index(b)] = w
    r, c = linear_sum_assignment(m, maximize=True)
    return {rows[i]: cols[j] for i, j in zip(r, c) if m[i, j] > 0}


def _mapped(numbers: frozenset[int], sigma: Mapping[int, int]) -> frozenset[int]:
    return frozenset(sigma.get(n, -n - 1) for n in numbers)  # an unmapped number matches no gold number


def dialogue_effort(proposal: Dialogue | None, gold: Dialogue, *, video: bool = False) -> Effort:
    """Gestures to annotate ``gold`` from scratch and starting from ``proposal`` (None: nothing proposed).

    Args:
        video: count the video part (boxes, names, flags): the task's video was analysed, so the proposal
            could hold boxes.
    """
    gold_m = _mention_numbers(gold)
    prop_m = _mention_numbers(proposal) if proposal is not None else {}
    scratch: Counter = Counter()
    for numbers in gold_m.values():
        scratch["add"] += G.add_mention(1)
        scratch["group"] += G.add_mention(len(numbers)) - G.add_mention(1)
    kept = [span for span in prop_m if span in gold_m]
    boxes = _box_pairs(proposal, gold) if video and proposal is not None else []
    sigma = _number_map([(prop_m[s], gold_m[s]) for s in kept] + [(_box_numbers(p.label), _box_numbers(g.label)) for p, g in boxes])
    fix: Counter = Counter()
    for span in kept:
        want, have = gold_m[span], _mapped(prop_m[span], sigma)
        if want != have:
            fix["renumber"] += G.renumber_mention(len(want ^ have))
    missing = [s for s in gold_m if s not in prop_m]
    for span, numbers in prop_m.items():
        if span in gold_m:
            continue
        overlaps = any(not (span[1] < s or e < span[0]) for s, e in missing)
        fix["span" if overlaps else "delete"] += G.COSTS["mention_delete"]
    for span in missing:
        numbers = gold_m[span]
        overlaps = any(not (p[1] < span[0] or span[1] < p[0]) for p in prop_m if p not in gold_m)
        fix["span" if overlaps else "add"] += G.add_mention(1)
        fix["group"] += G.add_mention(len(numbers)) - G.add_mention(1)
    if video:
        _video_effort(proposal, gold, boxes, sigma, scratch, fix)
    return Effort(+scratch, +fix, 1)


def _box_pairs(proposal: Dialogue, gold: Dialogue) -> list:
    """Proposed boxes on a gold head (IoU >= :data:`BOX_IOU`, key frame within :data:`KEY_FRAME_TOLERANCE`), one-to-one."""
    pairs, used = [], set()
    for g in gold.boxes:
        best, best_iou = None, BOX_IOU
        for i, p in enumerate(proposal.boxes):
            if i in used or abs(p.frame - g.frame) > KEY_FRAME_TOLERANCE:
                continue
            v = iou(p.bbox, g.bbox)
            if v >= best_iou:
                best, best_iou = i, v
        if best is not None:
            used.add(best)
            pairs.append((proposal.boxes[best], g))
    return pairs


def _video_effort(proposal: Dialogue | None, gold: Dialogue, pairs: list, sigma: Mapping[int, int], scratch: Counter, fix: Counter) -> None:
    flags = sum(c.not_in_video + c.face_unidentifiable for c in gold.clusters)
    for g in gold.boxes:
        scratch["box_draw"] += G.COSTS["box_draw"]
        if g.celebrity:
            scratch["name"] += G.COSTS["name_type"]
    scratch["flag"] += G.COSTS["flag"] * flags
    fix["flag"] += G.COSTS["flag"] * flags
    matched = {id(g): p for p, g in pairs}
    for g in gold.boxes:
        p = matched.get(id(g))
        if p is None:
            fix["box_draw"] += G.COSTS["box_draw"]
        elif _mapped(_box_numbers(p.label), sigma) != _box_numbers(g.label):
            fix["box_renumber"] += G.COSTS["box_renumber"]
        if g.celebrity and (p is None or name_key(p.celebrity) != name_key(g.celebrity)):
            fix["name"] += G.COSTS["name_type"]
    used = {id(p) for p, _ in pairs}
    fix["box_delete"] += G.COSTS["box_delete"] * sum(id(p) not in used for p in (proposal.boxes if proposal else ()))


# -- posts ----------------------------------------------------------------------------------------
def post_effort(proposal: Post | None, gold: Post) -> Effort:
    """Gestures to annotate a post's entities from scratch and starting from ``proposal``."""
    scratch: Counter = Counter({"entity_add": G.COSTS["entity_add"] * len(gold.entities)}) if gold.entities else Counter()
    fix: Counter = Counter()
    gold_spans = {(e.start, e.end): e.type for e in gold.entities}
    prop = {(e.start, e.end): e.type for e in (proposal.entities if proposal is not None else ())}
    missing = [s for s in gold_spans if s not in prop]
    for span, kind in prop.items():
        if span in gold_spans:
            if gold_spans[span] != kind:
                fix["entity_retype"] += G.COSTS["entity_retype"]
            continue
        overlaps = any(s < span[1] and span[0] < e for s, e in missing)
        fix["entity_span" if overlaps else "entity_delete"] += G.COSTS["entity_delete"]
    for span in missing:
        overlaps = any(p[0] < span[1] and span[0] < p[1] for p in prop if p not in gold_spans)
        fix["entity_span" if overlaps else "entity_add"] += G.COSTS["entity_add"]
    return Effort(+scratch, +fix, 1)
