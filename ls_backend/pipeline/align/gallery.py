"""The celebrity gallery: face embeddings of persons that annotators named.

Entries are taught by annotations (a box with a celebrity name, matched to the person the video
pipeline found there) and kept in the store, per embedder (dlib and facenet vectors do not mix).
A new person matches the nearest entry when its distance is below the gallery's threshold. dlib:
Euclidean **0.5**, stricter than dlib's own 0.6 (which the person clusterer uses), because naming a
face wrongly costs more than splitting a person, and because measured on the 101 scikit-image faces
(each at 110 and 220 px): the same face lies at median 0.05 (max 0.23), different faces at p1 0.52,
p5 0.58, median 0.73, with 7.7 % of different pairs under 0.6 and 0.5 % under 0.5. facenet: cosine 0.4.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from exports.names import normalise_name
from ls_backend.pipeline.video.faces import DlibFaces


@dataclass
class Gallery:
    embedder: str = "dlib"
    threshold: float = 0.5
    distance: Callable[[np.ndarray, np.ndarray], float] = DlibFaces.distance
    names: list[str] = field(default_factory=list)
    vectors: list[np.ndarray] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)  # where each face was taught (doc_key)

    def add(self, name: str, embedding, source: str = "") -> None:
        name = normalise_name(name)
        if not name:
            raise ValueError("gallery: a celebrity name is needed")
        self.names.append(name)
        self.vectors.append(np.asarray(embedding, np.float32))
        self.sources.append(source)

    def __len__(self) -> int:
        return len(self.names)

    def fingerprint(self) -> str:
        """Changes whenever a face is taught or forgotten (part of the prediction cache's key)."""
        import hashlib

        h = hashlib.sha256()
        for name, v, src in zip(self.names, self.vectors, self.sources):
            h.update(f"{name}\x00{src}\x00".encode())
            h.update(np.ascontiguousarray(v, np.float32).tobytes())
        return h.hexdigest()[:16]

    def known(self) -> set[str]:
        return set(self.names)

    def match(self, embedding, exclude: str | None = None) -> tuple[str, float] | None:
        """The nearest named face within the threshold: (name, distance), or None. ``exclude``: ignore
        the faces taught by that source (leave-one-out when training on the gallery's own tasks)."""
        if embedding is None or not self.vectors:
            return None
        e = np.asarray(embedding, np.float32)
        best, best_d = None, float("inf")
        for name, v, src in zip(self.names, self.vectors, self.sources):
            if exclude is not None and src == exclude:
                continue
            d = self.distance(e, v)
            if d < best_d:
                best, best_d = name, d
        return (best, best_d) if best is not None and best_d <= self.threshold else None

    @classmethod
    def from_store(cls, store, embedder: str = "dlib", threshold: float = 0.5, distance=DlibFaces.distance) -> Gallery:
        g = cls(embedder, threshold, distance)
        for name, vector, source in store.gallery_faces(embedder):
            g.add(name, vector, source or "")
        return g
