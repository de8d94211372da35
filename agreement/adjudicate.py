"""Adjudication of two annotations of one dialogue: accept what both agree on, classify the rest.

Clusters are matched as for visual agreement (:func:`agreement.visual.match_clusters`).
Then, over the mentions both annotators marked (exact spans):

* a span only one annotator marked is a **mention_boundary** conflict when it overlaps a
  span of the other, else a **missing_mention**;
* two matched clusters agree when they hold the same shared mentions; otherwise, and for
  clusters the other annotator split or merged, a **split_merge** conflict;
* for agreed persons: **box** (only one boxed, or head-box IoU below the threshold),
  **key_frame** (boxes on different frames), **name** (normalised celebrity names differ),
  **flag** (one of the two flags differs).

A dialogue without conflicts becomes gold directly (annotator A's annotation: where the
two differ within the tolerance, e.g. boxes with IoU >= 0.5, A's values are kept). The
*draft* of a conflicting dialogue holds only the agreed clusters and boxes.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from typing import Any

from agreement.visual import iou, match_clusters
from exports.names import name_key
from exports import release
from exports.dialogue import NONE_LABEL, Cluster, Dialogue

KINDS = ("mention_boundary", "missing_mention", "split_merge", "box", "key_frame", "name", "flag")


@dataclass(frozen=True)
class Conflict:
    kind: str
    description: str
    a: Any = None
    b: Any = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind: expected one of {KINDS}, got {self.kind!r}")

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "description": self.description, "a": self.a, "b": self.b}


@dataclass
class Adjudication:
    doc_key: str
    draft: Dialogue
    conflicts: list[Conflict] = field(default_factory=list)
    agreed: dict[str, int] = field(default_factory=dict)

    @property
    def needs_expert(self) -> bool:
        return bool(self.conflicts)


def fingerprint(d: Dialogue) -> str:
    """A hash of an annotation's content (its release line), to notice later changes."""
    return hashlib.sha256(release.to_line(d).encode()).hexdigest()[:20]


def adjudicate(a: Dialogue, b: Dialogue, iou_threshold: float = 0.5) -> Adjudication:
    """Compare annotator A's and B's annotation of the same dialogue.

    Raises:
        ValueError: the two annotations are not of the same dialogue text.
    """
    if a.doc_key != b.doc_key or [t.text for t in a.turns] != [t.text for t in b.turns]:
        raise ValueError(f"{a.doc_key}: sentences: the two annotations are of different dialogue texts")
    conflicts: list[Conflict] = []
    text = "".join(t.text for t in a.turns)

    def show(span: tuple[int, int]) -> str:
        return f"{text[span[0]:span[1] + 1]}[{span[0]},{span[1]}]"

    spans_a = {s for c in a.clusters for s in c.spans}
    spans_b = {s for c in b.clusters for s in c.spans}
    shared = spans_a & spans_b
    for side, own, other in (("a", spans_a, spans_b), ("b", spans_b, spans_a)):
        for s in sorted(own - other):
            near = [o for o in other - own if not (o[1] < s[0] or s[1] < o[0])]
            if near and side == "a":
                conflicts.append(Conflict("mention_boundary", f"{show(s)} vs {', '.join(show(o) for o in near)}", list(s), [list(o) for o in near]))
            elif not near:
                who = "A" if side == "a" else "B"
                conflicts.append(Conflict("missing_mention", f"only {who} marked {show(s)}", list(s) if side == "a" else None, list(s) if side == "b" else None))

    pairs = match_clusters(a.clusters, b.clusters)
    agreed_clusters: list[Cluster] = []
    boxes = []
    matched_a = {i for i, _ in pairs}
    matched_b = {j for _, j in pairs}
    for i, j in pairs:
        ca, cb = a.clusters[i], b.clusters[j]
        sa = [s for s in ca.spans if s in shared]
        sb = {s for s in cb.spans if s in shared}
        if set(sa) != sb:
            conflicts.append(Conflict("split_merge", f"A groups {', '.join(map(show, sa))}; B groups {', '.join(map(show, sorted(sb)))}",
                                      [list(s) for s in sa], [list(s) for s in sorted(sb)]))
            continue
        if not sa:
            continue
        label = ca.label
        ba = a.box_for(ca.label) if ca.label != NONE_LABEL else None
        bb = b.box_for(cb.label) if cb.label != NONE_LABEL else None
        who = "、".join(text[s[0]:s[1] + 1] for s in sa)
        if (ba is None) != (bb is None):
            conflicts.append(Conflict("box", f"{who}: only {'A' if ba else 'B'} drew a head box", _box(ba), _box(bb)))
            label = NONE_LABEL
        elif ba and bb:
            if ba.frame != bb.frame:
                conflicts.append(Conflict("key_frame", f"{who}: key frame {ba.frame} vs {bb.frame}", _box(ba), _box(bb)))
                label = NONE_LABEL
            elif iou(ba.bbox, bb.bbox) < iou_threshold:
                conflicts.append(Conflict("box", f"{who}: head boxes overlap IoU {iou(ba.bbox, bb.bbox):.2f} < {iou_threshold}", _box(ba), _box(bb)))
                label = NONE_LABEL
            elif name_key(ba.celebrity) != name_key(bb.celebrity):
                conflicts.append(Conflict("name", f"{who}: celebrity {ba.celebrity or '(none)'} vs {bb.celebrity or '(none)'}", ba.celebrity, bb.celebrity))
                boxes.append(replace(ba, celebrity=""))
            else:
                boxes.append(ba)
        for flag in ("not_in_video", "face_unidentifiable"):
            if getattr(ca, flag) != getattr(cb, flag):
                conflicts.append(Conflict("flag", f"{who}: {flag.replace('_', ' ')}: A {getattr(ca, flag)}, B {getattr(cb, flag)}", getattr(ca, flag), getattr(cb, flag)))
        agreed_clusters.append(Cluster(tuple(sa), label,
                                       ca.not_in_video and cb.not_in_video, ca.face_unidentifiable and cb.face_unidentifiable))
    for side, clusters, matched in (("A", a.clusters, matched_a), ("B", b.clusters, matched_b)):
        for k, c in enumerate(clusters):
            if k not in matched and any(s in shared for s in c.spans):
                conflicts.append(Conflict("split_merge", f"only {side} groups {', '.join(map(show, c.spans))}",
                                          [list(s) for s in c.spans] if side == "A" else None, [list(s) for s in c.spans] if side == "B" else None))
    kept_labels = {c.label for c in agreed_clusters}
    draft = replace(a, clusters=tuple(agreed_clusters), boxes=tuple(bx for bx in boxes if bx.label in kept_labels))
    counts = {"clusters": len(agreed_clusters), "mentions": len(shared), "boxes": len(draft.boxes)}
    return Adjudication(a.doc_key, draft if conflicts else a, conflicts, counts)


def _box(box: Any) -> dict[str, Any] | None:
    if box is None:
        return None
    return {"label": box.label, "frame": box.frame, "bbox": list(box.bbox), "celebrity": box.celebrity}


def conflicts_text(adj: Adjudication) -> str:
    """The conflicts as lines for the expert (shown above the task in the review project)."""
    return "\n".join(f"{i + 1}. [{c.kind}] {c.description}" for i, c in enumerate(adj.conflicts))

