"""Scoring every (text cluster, person) pair and solving the assignment per dialogue.

Single clusters: a Hungarian assignment on -log p, where each cluster may also take "nobody"
at the cost of the scorer's threshold (so a cluster with no visible person gets no box, and two
clusters never take the same person). A group cluster ("他俩", "他们") then takes the persons of
the clusters mentioned before it (the two most recent for 俩 / 两), when at least two are visible;
otherwise every person whose probability clears the group threshold, when at least two do.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from exports.dialogue import Dialogue
from ls_backend.pipeline.align import signals as S
from ls_backend.pipeline.align.clusters import text_clusters
from ls_backend.pipeline.text.features import HASHTAG
from ls_backend.pipeline.align.artifacts import Alignment, TextCluster
from ls_backend.pipeline.align.gallery import Gallery
from ls_backend.pipeline.align.scorer import AlignScorer
from ls_backend.pipeline.video.artifacts import Person


class Aligner:
    def __init__(self, scorer: AlignScorer, gallery: Gallery | None = None, clip=None, signals: Sequence[str] = S.SIGNALS) -> None:
        unknown = set(signals) - set(S.SIGNALS)
        if unknown:
            raise ValueError(f"signals: unknown {sorted(unknown)}; known: {list(S.SIGNALS)}")
        self.scorer, self.gallery, self.clip, self.signals = scorer, gallery, clip, tuple(signals)

    def known_faces(self, persons: Sequence[Person]) -> dict[int, tuple[str, float]]:
        if self.gallery is None or "names" not in self.signals:
            return {}
        out = {}
        for p in persons:
            m = self.gallery.match(p.embedding)
            if m is not None:
                out[p.number] = m
        return out

    def features(self, clusters: Sequence[TextCluster], persons: Sequence[Person], hashtags: Sequence[str] = (),
                 known: Mapping[int, tuple[str, float]] | None = None) -> dict[tuple[int, int], dict[str, float]]:
        known = self.known_faces(persons) if known is None else known
        sims = None
        if self.clip is not None and "clip" in self.signals and clusters and persons and all(p.crop_image is not None for p in persons):
            t = self.clip.encode_texts([c.text for c in clusters])
            i = self.clip.encode_images([p.crop_image for p in persons])
            sims = t @ i.T
        by_salience = sorted(persons, key=lambda p: (-p.screen_time, p.number))
        person_rank = {p.number: r for r, p in enumerate(by_salience)}
        cluster_rank = {c.index: r for r, c in enumerate(sorted(clusters, key=lambda c: (-len(c.mentions), c.first)))}
        total = sum(p.screen_time for p in persons) or 1.0
        dialogue_names = tuple(n for c in clusters if not c.group for n in c.names)
        out = {}
        for ci, c in enumerate(clusters):
            for pi, p in enumerate(persons):
                f: dict[str, float] = {}
                if "names" in self.signals:
                    f.update(S.names(c, p, known.get(p.number), hashtags, dialogue_names))
                if sims is not None:
                    f.update(S.clip(float(sims[ci, pi])))
                if "priors" in self.signals:
                    f.update(S.priors(c, p, person_rank[p.number], cluster_rank[c.index], len(persons), len(clusters), p.screen_time / total))
                out[(c.index, p.number)] = f
        return out

    def align_dialogue(self, dialogue: Dialogue, persons: Sequence[Person], gazetteer: frozenset[str] = frozenset()) -> tuple[list[TextCluster], Alignment]:
        """The dialogue's clusters (names: the gazetteer, the title's hashtags, the gallery's celebrities)
        aligned to the persons."""
        known = self.gallery.known() if self.gallery is not None and "names" in self.signals else ()
        clusters = text_clusters(dialogue, gazetteer, known)
        return clusters, self.align(clusters, persons, HASHTAG.findall(dialogue.title or ""))

    def align(self, clusters: Sequence[TextCluster], persons: Sequence[Person], hashtags: Sequence[str] = ()) -> Alignment:
        from scipy.optimize import linear_sum_assignment

        known = self.known_faces(persons)
        feats = self.features(clusters, persons, hashtags, known)
        scores = {k: self.scorer.score(f) for k, f in feats.items()}
        assigned: dict[int, tuple[int, ...]] = {c.index: () for c in clusters}
        single = [c for c in clusters if not c.group]
        certainty = []
        if single and persons:
            eps = 1e-6
            none_cost = -math.log(self.scorer.threshold)
            cost = np.full((len(single), len(persons) + len(single)), 1e6)
            for r, c in enumerate(single):
                for j, p in enumerate(persons):
                    cost[r, j] = -math.log(max(scores[(c.index, p.number)], eps))
                cost[r, len(persons) + r] = none_cost
            rows, cols = linear_sum_assignment(cost)
            for r, j in zip(rows, cols):
                c = single[r]
                if j < len(persons):
                    assigned[c.index] = (persons[j].number,)
                    certainty.append(abs(2 * scores[(c.index, persons[j].number)] - 1))
                else:
                    best = max((scores[(c.index, p.number)] for p in persons), default=0.0)
                    certainty.append(abs(2 * best - 1))
        for c in clusters:
            if c.group and persons:
                # the persons of the clusters mentioned before it (most recent first): 他俩 after 王一博和肖战
                before = sorted((s for s in single if s.first < c.first and assigned[s.index]), key=lambda s: -s.first)
                named = list(dict.fromkeys(assigned[s.index][0] for s in before))
                size = 2 if any(w in m for m in c.mentions for w in ("俩", "两", "二")) else len(named)
                if len(named) >= 2 and size >= 2:
                    members = tuple(sorted(named[:size]))
                else:  # nobody named before it: the scorer decides
                    members = tuple(sorted(p.number for p in persons if scores[(c.index, p.number)] >= self.scorer.group_threshold))
                assigned[c.index] = members if len(members) >= 2 else ()
                certainty.append(abs(2 * max(scores[(c.index, p.number)] for p in persons) - 1))
        confidence = sum(certainty) / len(certainty) if certainty else 1.0
        return Alignment(scores, assigned, dict(known), round(confidence, 6))
