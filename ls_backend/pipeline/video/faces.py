"""Face embeddings that join one person's tracks across shots.

- ``dlib`` (default, CPU): dlib's ResNet face descriptor (128-D) with its 5-point aligner, both
  from face-recognition-models; compared by Euclidean distance. dlib's convention: the same
  person below 0.6. (Cosine is the wrong measure here: different people are at cosine 0.8-0.9.)
- ``facenet:<path>``: facenet-pytorch's InceptionResnetV1 with weights from a local file
  (a ``state_dict``); 512-D, L2-normalised, compared by cosine distance, threshold 0.4.
"""
from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)


class DlibFaces:
    name = "dlib"
    metric = "euclidean"
    threshold = 0.6

    def __init__(self) -> None:
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # face_recognition_models imports pkg_resources
            import dlib
            import face_recognition_models as frm

        self._dlib = dlib
        self.aligner = dlib.shape_predictor(frm.pose_predictor_five_point_model_location())
        self.model = dlib.face_recognition_model_v1(frm.face_recognition_model_location())

    def embed(self, image: np.ndarray, faces: Sequence[Sequence[float]]) -> list[np.ndarray]:
        """Descriptors of the faces (boxes in ``image`` pixels) of one RGB image."""
        if not faces:
            return []
        img = np.ascontiguousarray(image)
        chips = []
        for x1, y1, x2, y2 in faces:
            rect = self._dlib.rectangle(int(round(x1)), int(round(y1)), int(round(x2)), int(round(y2)))
            chips.append(self._dlib.get_face_chip(img, self.aligner(img, rect), size=150))
        return [np.asarray(d, dtype=np.float32) for d in self.model.compute_face_descriptor(chips)]

    @staticmethod
    def distance(a: np.ndarray, b: np.ndarray) -> float:
        return float(np.linalg.norm(a - b))


class FacenetFaces:
    name = "facenet"
    metric = "cosine"
    threshold = 0.4

    def __init__(self, weights: str | Path, device: str = "cpu") -> None:
        import torch
        from facenet_pytorch import InceptionResnetV1

        path = Path(weights)
        if not path.is_file():
            raise ValueError(f"face_embedder: {path}: no such weights file")
        try:
            state = torch.load(str(path), map_location="cpu", weights_only=True)
        except Exception as exc:
            raise ValueError(f"face_embedder: {path}: cannot load the weights ({type(exc).__name__}: {exc})") from None
        if not isinstance(state, dict):
            raise ValueError(f"face_embedder: {path}: expected a state_dict of InceptionResnetV1")
        self.model = InceptionResnetV1(pretrained=None, classify=False).eval()
        missing, unexpected = self.model.load_state_dict(state, strict=False)
        if missing:
            raise ValueError(f"face_embedder: {path}: not InceptionResnetV1 weights ({len(missing)} missing keys, e.g. {missing[0]})")
        self.device = device
        self.model.to(device)
        self._torch = torch

    def embed(self, image: np.ndarray, faces: Sequence[Sequence[float]]) -> list[np.ndarray]:
        from PIL import Image

        if not faces:
            return []
        batch = []
        for box in faces:
            x1, y1, x2, y2 = (int(round(v)) for v in box)
            crop = Image.fromarray(np.ascontiguousarray(image)).crop((x1, y1, x2, y2)).resize((160, 160))
            batch.append((np.asarray(crop, dtype=np.float32) - 127.5) / 128.0)
        x = self._torch.from_numpy(np.stack(batch)).permute(0, 3, 1, 2).to(self.device)
        with self._torch.no_grad():
            out = self.model(x).cpu().numpy()
        return [v / (np.linalg.norm(v) + 1e-9) for v in out]

    @staticmethod
    def distance(a: np.ndarray, b: np.ndarray) -> float:
        return float(1.0 - np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b) + 1e-9))


def load_faces(spec: str, device: str = "cpu"):
    """``dlib`` or ``facenet:<weights path>``.

    Raises:
        ValueError: an unknown embedder or a bad weights path (at start-up, not at the first request).
    """
    if spec in ("", "dlib"):
        return DlibFaces()
    if spec.startswith("facenet:"):
        return FacenetFaces(spec.split(":", 1)[1], device)
    raise ValueError(f"face_embedder: expected 'dlib' or 'facenet:<weights path>', got {spec!r}")
