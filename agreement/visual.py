"""Visual agreement between two annotations of one dialogue, and its corpus summary.

The clusters of the two annotations are matched one-to-one by the Hungarian algorithm
(scipy) on mention overlap: the number of mention spans two clusters share exactly (ties
broken by character overlap, so ``[3, 5]`` against ``[3, 6]`` still counts). Clusters
without any overlap stay unmatched. For every matched person:

* **box**: both annotators boxed it, only one did, or neither;
* **key frame**: the same frame, else the distance in frames;
* **head box**: IoU of the two pixel boxes (on whichever frames they were drawn);
* **celebrity name**: compared after normalisation (NFKC, case, spaces and punctuation removed);
* **flags** ("person not in video", "face not identifiable"): agreement and Cohen's kappa
  over all matched persons of the corpus.
"""
from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import linear_sum_assignment

from exports.dialogue import Box, Cluster, Dialogue
from exports.names import name_key

def iou(a: Sequence[float], b: Sequence[float]) -> float:
    """Intersection over union of two ``[x1, y1, x2, y2]`` boxes (0 when either is empty)."""
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def match_clusters(a: Sequence[Cluster], b: Sequence[Cluster]) -> list[tuple[int, int]]:
    """One-to-one matching of clusters of two annotations on mention overlap (Hungarian)."""
    if not a or not b:
        return []
    sim = np.zeros((len(a), len(b)))
    for i, ca in enumerate(a):
        sa = set(ca.spans)
        for j, cb in enumerate(b):
            exact = len(sa.intersection(cb.spans))
            chars = sum(max(0, min(x[1], y[1]) - max(x[0], y[0]) + 1) for x in ca.spans for y in cb.spans)
            sim[i, j] = exact + chars / 1000.0  # exact shared mentions first, character overlap breaks ties
    rows, cols = linear_sum_assignment(sim, maximize=True)
    return [(int(i), int(j)) for i, j in zip(rows, cols) if sim[i, j] > 0]


def cohen_kappa(pairs: Sequence[tuple[bool, bool]]) -> float | None:
    """Cohen's kappa of two raters' yes/no decisions; None when undefined (no item, or chance agreement 1)."""
    n = len(pairs)
    if n == 0:
        return None
    po = sum(x == y for x, y in pairs) / n
    pa, pb = sum(x for x, _ in pairs) / n, sum(y for _, y in pairs) / n
    pe = pa * pb + (1 - pa) * (1 - pb)
    return None if pe == 1 else (po - pe) / (1 - pe)


@dataclass
class VisualAgreement:
    """Summed over dialogues; :meth:`summary` gives the figures."""

    matched: int = 0
    unmatched_a: int = 0
    unmatched_b: int = 0
    both_boxed: int = 0
    only_a_boxed: int = 0
    only_b_boxed: int = 0
    same_frame: int = 0
    frame_distances: list[int] = field(default_factory=list)
    ious: list[float] = field(default_factory=list)
    names_compared: int = 0
    names_agree: int = 0
    flags: dict[str, list[tuple[bool, bool]]] = field(default_factory=lambda: {"not_in_video": [], "face_unidentifiable": []})

    def add(self, a: Dialogue, b: Dialogue) -> None:
        pairs = match_clusters(a.clusters, b.clusters)
        self.matched += len(pairs)
        self.unmatched_a += len(a.clusters) - len(pairs)
        self.unmatched_b += len(b.clusters) - len(pairs)
        for i, j in pairs:
            ca, cb = a.clusters[i], b.clusters[j]
            ba: Box | None = a.box_for(ca.label) if ca.label != "none" else None
            bb: Box | None = b.box_for(cb.label) if cb.label != "none" else None
            if ba and bb:
                self.both_boxed += 1
                self.same_frame += ba.frame == bb.frame
                self.frame_distances.append(abs(ba.frame - bb.frame))
                self.ious.append(iou(ba.bbox, bb.bbox))
                if ba.celebrity or bb.celebrity:
                    self.names_compared += 1
                    self.names_agree += name_key(ba.celebrity) == name_key(bb.celebrity)
            elif ba:
                self.only_a_boxed += 1
            elif bb:
                self.only_b_boxed += 1
            self.flags["not_in_video"].append((ca.not_in_video, cb.not_in_video))
            self.flags["face_unidentifiable"].append((ca.face_unidentifiable, cb.face_unidentifiable))

    def summary(self) -> dict:
        def ratio(x: int, n: int) -> float | None:
            return x / n if n else None

        flags = {}
        for name, pairs in self.flags.items():
            flags[name] = {"persons": len(pairs), "agree": sum(x == y for x, y in pairs), "kappa": cohen_kappa(pairs),
                           "a_yes": sum(x for x, _ in pairs), "b_yes": sum(y for _, y in pairs)}
        return {
            "matched_persons": self.matched, "unmatched_a": self.unmatched_a, "unmatched_b": self.unmatched_b,
            "both_boxed": self.both_boxed, "only_a_boxed": self.only_a_boxed, "only_b_boxed": self.only_b_boxed,
            "same_key_frame": self.same_frame, "same_key_frame_rate": ratio(self.same_frame, self.both_boxed),
            "frame_distance_median": statistics.median(self.frame_distances) if self.frame_distances else None,
            "iou_mean": statistics.fmean(self.ious) if self.ious else None,
            "iou_at_least_0_5": sum(v >= 0.5 for v in self.ious),
            "names_compared": self.names_compared, "names_agree": self.names_agree,
            "name_agreement": ratio(self.names_agree, self.names_compared),
            "flags": flags,
        }
