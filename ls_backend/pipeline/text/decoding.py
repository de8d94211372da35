"""Best-first decoding of mentions into clusters, shared by the text models."""
from __future__ import annotations

from collections.abc import Callable, Sequence

from ls_backend.pipeline.text.artifacts import Clusters

Span = tuple[int, int]


def best_first(spans: Sequence[Span], mention_scores: Sequence[float], antecedent: Callable[[int], tuple[int, float]],
               threshold: float) -> Clusters:
    """Each mention ``j`` (in order) joins the cluster of its best earlier mention ``antecedent(j) = (i, p)`` when
    ``p >= threshold`` (``i = -1``: none). The confidence is the mean certainty ``|2p - 1|`` of every mention
    decision and every link decision."""
    parent = list(range(len(spans)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    certainty = [abs(2 * p - 1) for p in mention_scores]
    for j in range(1, len(spans)):
        best, p = antecedent(j)
        certainty.append(abs(2 * p - 1) if best >= 0 else 1.0)
        if best >= 0 and p >= threshold:
            parent[root(j)] = root(best)
    groups: dict[int, list[Span]] = {}
    for i, span in enumerate(spans):
        groups.setdefault(root(i), []).append(span)
    clusters = tuple(tuple(g) for g in sorted(groups.values(), key=lambda g: g[0]))
    confidence = sum(certainty) / len(certainty) if certainty else 1.0
    return Clusters(clusters, round(min(1.0, max(0.0, confidence)), 6))
