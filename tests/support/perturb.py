"""A seeded perturbation of real annotations: what a second, less careful annotator might do."""
from __future__ import annotations

import random
from dataclasses import replace

from exports.dialogue import NONE_LABEL, Box, Cluster, Dialogue


def perturb(d: Dialogue, rng: random.Random, rate: float = 0.3) -> Dialogue:
    """Drop or add a mention, split or merge clusters, move a box, change a key frame or a name."""
    clusters = [list(c.spans) for c in d.clusters]
    labels = [c.label for c in d.clusters]
    n = len(d.tokens)
    if clusters and rng.random() < rate:  # drop a mention
        i = rng.randrange(len(clusters))
        if len(clusters[i]) > 1:
            clusters[i].pop(rng.randrange(len(clusters[i])))
    if rng.random() < rate:  # add a singleton mention
        s = rng.randrange(n)
        span = (s, min(n - 1, s + rng.randrange(2)))
        if all(span not in c for c in clusters):
            clusters.append([span])
            labels.append(NONE_LABEL)
    if len(clusters) >= 2 and rng.random() < rate / 2:  # merge two clusters
        i, j = sorted(rng.sample(range(len(clusters)), 2))
        if labels[j] == NONE_LABEL:
            clusters[i] += clusters.pop(j)
            labels.pop(j)
    for i in range(len(clusters)):  # split a cluster
        if len(clusters[i]) > 1 and rng.random() < rate / 2:
            clusters.append([clusters[i].pop()])
            labels.append(NONE_LABEL)
            break
    boxes = []
    for b in d.boxes:
        if b.label not in labels:
            continue
        frame, bbox, name = b.frame, b.bbox, b.celebrity
        if rng.random() < rate:
            dx, dy = rng.randint(-20, 20), rng.randint(-20, 20)
            bbox = (max(0, bbox[0] + dx), max(0, bbox[1] + dy), max(1, bbox[2] + dx), max(1, bbox[3] + dy))
        if rng.random() < rate:
            frame = max(0, frame + rng.randint(-40, 40))
        if name and rng.random() < rate / 2:
            name = name[:-1] or "某人"
        boxes.append(Box(b.label, frame, bbox, name))
    return replace(d, clusters=tuple(Cluster(tuple(c), l) for c, l in zip(clusters, labels)), boxes=tuple(boxes), layout=None)
