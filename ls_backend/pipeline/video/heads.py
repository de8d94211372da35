"""Head boxes: MTCNN faces (facenet-pytorch ships its weights) turned into head boxes, or an
ultralytics YOLO head detector loaded from a checkpoint path.

The head box from a face: MTCNN's box runs from the brows to the chin and cheek to cheek; a
head box as TikTalkCoref's annotators draw it also holds the hair and the ears. With the face
box ``(x1, y1, x2, y2)`` of width ``w`` and height ``h``, and the eyes' midpoint ``ex``:

    centre x = (x1 + x2) / 2 moved 25 % of the way to ex (a turned face)
    width    = HEAD_WIDTH * w
    top      = y1 - HEAD_TOP * h,   bottom = y2 + HEAD_BOTTOM * h

clipped to the frame. The factors are in ``HeadShape`` (configurable), calibrated on the
scikit-image faces (see ``tests/ls_backend/video``).
"""
from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ls_backend.pipeline.video.artifacts import Detection, SampledFrame

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class HeadShape:
    width: float = 1.25
    top: float = 0.30
    bottom: float = 0.05

    def head_from_face(self, face: Sequence[float], landmarks: Sequence[Sequence[float]] | None, size: tuple[int, int]) -> tuple[float, float, float, float]:
        x1, y1, x2, y2 = face
        w, h = x2 - x1, y2 - y1
        cx = (x1 + x2) / 2
        if landmarks is not None and len(landmarks) >= 2:
            ex = (landmarks[0][0] + landmarks[1][0]) / 2
            cx += 0.25 * (ex - cx)
        half = self.width * w / 2
        W, H = size
        return (max(0.0, cx - half), max(0.0, y1 - self.top * h), min(float(W), cx + half), min(float(H), y2 + self.bottom * h))

    def face_from_head(self, head: Sequence[float]) -> tuple[float, float, float, float]:
        x1, y1, x2, y2 = head
        h = (y2 - y1) / (1 + self.top + self.bottom)
        w = (x2 - x1) / self.width
        cx = (x1 + x2) / 2
        top = y1 + self.top * h
        return (cx - w / 2, top, cx + w / 2, top + h)


def sharpness(image: np.ndarray, box: Sequence[float]) -> float:
    """Variance of the Laplacian of the grey crop (higher is sharper)."""
    import cv2

    x1, y1, x2, y2 = (int(round(v)) for v in box)
    H, W = image.shape[:2]
    crop = image[max(0, y1) : min(H, y2), max(0, x1) : min(W, x2)]
    if crop.size == 0 or min(crop.shape[:2]) < 3:
        return 0.0
    grey = cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY)
    return float(cv2.Laplacian(grey, cv2.CV_64F).var())


def torch_device(name: str = "auto") -> str:
    import torch

    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return name


class MtcnnHeads:
    """MTCNN faces -> head boxes. Weights: the ones facenet-pytorch ships."""

    name = "mtcnn"

    def __init__(self, device: str = "auto", min_confidence: float = 0.9, min_face: int = 32, factor: float = 0.6,
                 thresholds: tuple[float, float, float] = (0.7, 0.8, 0.8), shape: HeadShape = HeadShape()) -> None:
        from facenet_pytorch import MTCNN

        self.device = torch_device(device)
        # fewer pyramid levels (factor 0.6 instead of 0.709, faces from 32 px at analysis size) and
        # stricter stage thresholds than facenet-pytorch's defaults: half the CPU time, same faces here
        self.model = MTCNN(keep_all=True, device=self.device, min_face_size=min_face, factor=factor, thresholds=list(thresholds), post_process=False)
        if self.device == "cpu":  # channels-last convolutions and pooling: ~20 % less time on the CPU, the same boxes
            import torch

            for net in (self.model.pnet, self.model.rnet, self.model.onet):
                net.to(memory_format=torch.channels_last)
        self.min_confidence = min_confidence
        self.shape = shape

    def detect(self, frames: Sequence[SampledFrame], size: tuple[int, int]) -> list[list[Detection]]:
        """Detections of each frame (boxes in original pixels); frames of one batch share a size."""
        if not frames:
            return []
        import torch

        # MTCNN takes (N, H, W, 3) and permutes it to (N, 3, H, W): handing it a view whose permutation is
        # contiguous makes its image pyramid (area resampling) twice as fast as on the strided view
        batch = torch.from_numpy(np.stack([f.image for f in frames])).permute(0, 3, 1, 2).contiguous().permute(0, 2, 3, 1)
        boxes, probs, points = self.model.detect(batch, landmarks=True)
        out = []
        for frame, b, p, lm in zip(frames, boxes, probs, points):
            dets = []
            if b is not None:
                for box, conf, marks in zip(b, p, lm):
                    if conf is None or conf < self.min_confidence:
                        continue
                    s = frame.scale
                    face = tuple(float(v) / s for v in box)
                    marks_o = tuple((float(x) / s, float(y) / s) for x, y in marks)
                    if face[2] - face[0] < 2 or face[3] - face[1] < 2:
                        continue
                    head = self.shape.head_from_face(face, marks_o, size)
                    dets.append(Detection(frame.index, head, float(conf), face, marks_o, sharpness(frame.image, box)))
            out.append(dets)
        return out


class YoloHeads:
    """An ultralytics YOLO detector whose boxes are heads, from a local checkpoint (``.pt``)."""

    name = "yolo"

    def __init__(self, checkpoint: str | Path, device: str = "auto", min_confidence: float = 0.4, shape: HeadShape = HeadShape()) -> None:
        path = Path(checkpoint)
        if not path.is_file():
            raise ValueError(f"head_detector: {path}: no such checkpoint file")
        from ultralytics import YOLO

        try:
            self.model = YOLO(str(path), task="detect")
        except Exception as exc:  # ultralytics raises many kinds on a bad file
            raise ValueError(f"head_detector: {path}: not an ultralytics YOLO checkpoint ({type(exc).__name__}: {exc})") from None
        self.device = torch_device(device)
        self.min_confidence = min_confidence
        self.shape = shape

    def detect(self, frames: Sequence[SampledFrame], size: tuple[int, int]) -> list[list[Detection]]:
        if not frames:
            return []
        results = self.model.predict([f.image[:, :, ::-1] for f in frames], device=self.device, conf=self.min_confidence, verbose=False)
        out = []
        for frame, res in zip(frames, results):
            dets = []
            xyxy = res.boxes.xyxy.cpu().numpy() if res.boxes is not None else np.zeros((0, 4))
            conf = res.boxes.conf.cpu().numpy() if res.boxes is not None else np.zeros(0)
            for box, c in zip(xyxy, conf):
                head = tuple(float(v) / frame.scale for v in box)
                if head[2] - head[0] < 2 or head[3] - head[1] < 2:
                    continue
                face = self.shape.face_from_head(head)
                dets.append(Detection(frame.index, head, float(min(1.0, c)), face, (), sharpness(frame.image, box)))
            out.append(dets)
        return out
