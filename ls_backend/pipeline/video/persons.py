"""Key frames and person clusters.

Key frame quality of a detection (each term in [0, 1], the product weighted by confidence):

    size     = min(1, sqrt(head area) / (0.5 * shorter frame side))        large faces first
    sharp    = L / (L + 100), L the variance of the Laplacian of the face   not blurred
    frontal  = 1 - |d(nose, left eye) - d(nose, right eye)| / (sum)        symmetric landmarks
    quality  = confidence * (0.55 size + 0.15 sharp + 0.3 frontal)

Person clusters: each track's face embedding (the mean of its best detections' descriptors);
average-linkage agglomeration of tracks below the embedder's distance threshold; two tracks
seen at the same time in the same shot are never one person.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from ls_backend.pipeline.video.artifacts import Detection, KeyFrame, Track


def key_quality(d: Detection, size: tuple[int, int]) -> KeyFrame:
    side = min(size)
    size_term = min(1.0, math.sqrt(max(d.area, 0.0)) / (0.5 * side))
    sharp = d.sharpness / (d.sharpness + 100.0)
    frontal = 0.5
    if len(d.landmarks) >= 3:
        (lx, ly), (rx, ry), (nx, ny) = d.landmarks[:3]
        dl, dr = math.hypot(nx - lx, ny - ly), math.hypot(nx - rx, ny - ry)
        frontal = 1.0 - abs(dl - dr) / (dl + dr) if dl + dr > 0 else 0.0
    quality = d.confidence * (0.55 * size_term + 0.15 * sharp + 0.3 * frontal)
    return KeyFrame(d, quality, {"confidence": d.confidence, "size": size_term, "sharpness": sharp, "frontal": frontal})


def best_detections(track: Track, size: tuple[int, int], k: int) -> list[Detection]:
    return [kf.detection for kf in sorted((key_quality(d, size) for d in track.detections), key=lambda kf: -kf.quality)[:k]]


def _overlap(a: Track, b: Track) -> bool:
    return a.shot == b.shot and not (a.last < b.first or b.last < a.first)


def cluster_tracks(tracks: Sequence[Track], embeddings: Sequence[np.ndarray | None], distance, threshold: float) -> list[list[int]]:
    """Groups of track indices (average linkage with cannot-links); a track without embedding stays alone."""
    groups: list[list[int]] = [[i] for i in range(len(tracks))]

    def link(g: list[int], h: list[int]) -> float:
        if any(_overlap(tracks[i], tracks[j]) for i in g for j in h):
            return math.inf
        ds = [distance(embeddings[i], embeddings[j]) for i in g for j in h if embeddings[i] is not None and embeddings[j] is not None]
        return sum(ds) / len(ds) if ds and len(ds) == len(g) * len(h) else math.inf

    while len(groups) > 1:
        best, pair = math.inf, None
        for a in range(len(groups)):
            for b in range(a + 1, len(groups)):
                d = link(groups[a], groups[b])
                if d < best:
                    best, pair = d, (a, b)
        if pair is None or best > threshold:
            break
        a, b = pair
        groups[a] = groups[a] + groups[b]
        del groups[b]
    return groups
