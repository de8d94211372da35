"""R@K of alignment: for each cluster linked to a person, is one of its persons among the K best?

Overall and by cluster kind (name-, noun-, pronoun-central: the paper's Table 7 split).
"""
from __future__ import annotations

from collections.abc import Sequence

from ls_backend.pipeline.align.aligner import Aligner
from ls_backend.pipeline.align.synthetic import AlignExample


def recall_at_k(aligner: Aligner, examples: Sequence[AlignExample], gazetteer: frozenset[str] = frozenset(), ks: Sequence[int] = (1, 2, 3)) -> dict:
    hits = {kind: {k: 0 for k in ks} for kind in ("all", "name", "noun", "pronoun")}
    totals = {kind: 0 for kind in hits}
    assignment = {"correct": 0, "clusters": 0}
    for ex in examples:
        clusters, alignment = aligner.align_dialogue(ex.dialogue, ex.persons, gazetteer)
        for c in clusters:
            gold = ex.gold.get(c.index, ())
            assignment["clusters"] += 1
            assignment["correct"] += tuple(sorted(alignment.assigned.get(c.index, ()))) == tuple(sorted(gold))
            if not gold:
                continue
            ranking = alignment.ranking(c.index)
            for kind in ("all", c.kind):
                totals[kind] += 1
                for k in ks:
                    hits[kind][k] += any(p in gold for p in ranking[:k])
    out = {kind: {f"R@{k}": (hits[kind][k] / totals[kind] if totals[kind] else None) for k in ks} | {"clusters": totals[kind]} for kind in hits}
    out["assignment_accuracy"] = assignment["correct"] / assignment["clusters"] if assignment["clusters"] else None
    out["dialogues"] = len(examples)
    return out
