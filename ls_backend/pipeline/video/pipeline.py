"""The video pipeline: one object, one verb (``analyse``), models loaded once and lazily."""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from ls_backend.pipeline.video.artifacts import Detection, Person, SampledFrame, Track, VideoAnalysis
from ls_backend.pipeline.video.decode import DecodedStream
from ls_backend.pipeline.video.heads import HeadShape, MtcnnHeads, YoloHeads, torch_device
from ls_backend.pipeline.video.persons import best_detections, cluster_tracks, key_quality
from ls_backend.pipeline.video.shots import ShotDetector
from ls_backend.pipeline.video.tracking import AppearanceEmbedder, ShotTracker

log = logging.getLogger(__name__)

VERSION = "video-1"


@dataclass(frozen=True)
class VideoSettings:
    sample_fps: float = 4.0
    max_side: int = 640  # the detector sees frames scaled so that the longer side is at most this
    batch: int = 8
    head_detector: Path | None = None
    face_embedder: str = "dlib"
    person_threshold: float | None = None
    device: str = "auto"
    min_track: int = 2  # sampled detections a track needs to count
    per_track: int = 3  # best detections per track that are embedded

    @classmethod
    def from_config(cls, config) -> VideoSettings:
        return cls(sample_fps=config.video_sample_fps, head_detector=config.head_detector, face_embedder=config.face_embedder,
                   person_threshold=config.person_threshold, device=config.device)

    @property
    def version(self) -> str:
        heads = f"yolo:{self.head_detector.name}" if self.head_detector else "mtcnn"
        return f"{VERSION}/{heads}/{self.face_embedder.split(':')[0]}/{self.sample_fps:g}fps"


class VideoPipeline:
    def __init__(self, settings: VideoSettings = VideoSettings()) -> None:
        self.settings = settings
        self.device = torch_device(settings.device)

    def load(self) -> VideoPipeline:
        """Load every model now (a bad checkpoint path fails here, at start-up)."""
        _ = self.heads, self.faces, self.appearance
        return self

    @cached_property
    def heads(self):
        if self.settings.head_detector:
            return YoloHeads(self.settings.head_detector, self.device, shape=HeadShape())
        return MtcnnHeads(self.device)

    @cached_property
    def faces(self):
        from ls_backend.pipeline.video.faces import load_faces

        return load_faces(self.settings.face_embedder, self.device)

    @cached_property
    def appearance(self) -> AppearanceEmbedder:
        return AppearanceEmbedder(self.device)

    @property
    def version(self) -> str:
        return self.settings.version

    def analyse(self, path: str | Path) -> VideoAnalysis:
        """Persons of a clip, each with a key frame and head box.

        Raises:
            exports.media.MediaError: the file is missing, empty, corrupt, or has no video frame.
        """
        s = self.settings
        timings = {"decode+detect": 0.0}
        started = time.perf_counter()
        stream = DecodedStream(Path(path), s.max_side)
        shots = ShotDetector()
        trackers: list[ShotTracker] = []
        crops: dict[Detection, tuple[np.ndarray, tuple[float, float, float, float]]] = {}
        pending: list[SampledFrame] = []
        next_sample = 0.0
        step = None
        sampled = 0

        def flush() -> None:
            if not pending:
                return
            size = (stream.meta.width, stream.meta.height)
            for frame, dets in zip(pending, self.heads.detect(pending, size)):
                if not trackers or trackers[-1].shot != frame.shot:
                    trackers.append(ShotTracker(self.appearance, frame.shot, 0))
                for d in dets:
                    crops[d] = _face_crop(frame, d)
                trackers[-1].update(frame, dets)
            pending.clear()

        for index, frame in stream:
            if step is None:
                step = max(1.0, stream.meta.fps / s.sample_fps)
            cut = shots.feed(index, stream.thumbnail(frame))
            if cut or index >= next_sample:
                sf = stream.analysis_image(frame, index)
                pending.append(SampledFrame(sf.index, sf.image, sf.scale, len(shots.starts) - 1))
                sampled += 1
                next_sample = index + step
                if len(pending) >= s.batch or (cut and len(pending) > 1):
                    if cut:  # the cut frame starts the next batch
                        last = pending.pop()
                        flush()
                        pending.append(last)
                    else:
                        flush()
        flush()
        meta = stream.meta
        size = (meta.width, meta.height)
        timings["decode+detect"] = time.perf_counter() - started

        t0 = time.perf_counter()
        tracks: list[Track] = []
        for tr in trackers:
            tracks.extend(tr.tracks(s.min_track))
        tracks = [Track(i + 1, t.shot, t.detections) for i, t in enumerate(tracks)]
        embeddings = []
        for t in tracks:
            descs = []
            for d in best_detections(t, size, s.per_track):
                image, face = crops[d]
                descs.extend(self.faces.embed(image, [face]))
            embeddings.append(np.mean(descs, axis=0) if descs else None)
        threshold = s.person_threshold if s.person_threshold is not None else self.faces.threshold
        groups = cluster_tracks(tracks, embeddings, self.faces.distance, threshold)
        timings["embed+cluster"] = time.perf_counter() - t0

        step_s = (step or 1.0) / meta.fps
        persons = []
        for g in groups:
            member = [tracks[i] for i in g]
            key = max((key_quality(d, size) for t in member for d in t.detections), key=lambda kf: kf.quality)
            screen = sum((t.last - t.first) / meta.fps + step_s for t in member)
            embs = [embeddings[i] for i in g if embeddings[i] is not None]
            persons.append((screen, member, key, np.mean(embs, axis=0) if embs else None))
        persons.sort(key=lambda p: (-p[0], p[1][0].first))
        out = tuple(Person(n + 1, tuple(sorted(m, key=lambda t: t.first)), k, round(st, 3), e) for n, (st, m, k, e) in enumerate(persons))
        timings["total"] = time.perf_counter() - started
        log.info("%s: %d frames, %d sampled, %d shots, %d tracks, %d persons in %.1f s", path, meta.frame_count, sampled,
                 len(shots.starts), len(tracks), len(out), timings["total"])
        return VideoAnalysis(meta, shots.shots(meta.frame_count), out, sampled, self.version, timings)


def _face_crop(frame: SampledFrame, d: Detection) -> tuple[np.ndarray, tuple[float, float, float, float]]:
    """The face with a margin, from the analysis image, and the face box within the crop (for the embedder)."""
    s = frame.scale
    fx1, fy1, fx2, fy2 = (v * s for v in (d.face or d.head))
    mw, mh = 0.4 * (fx2 - fx1), 0.4 * (fy2 - fy1)
    H, W = frame.image.shape[:2]
    x1, y1 = int(max(0, fx1 - mw)), int(max(0, fy1 - mh))
    x2, y2 = int(min(W, fx2 + mw)), int(min(H, fy2 + mh))
    image = frame.image[y1:y2, x1:x2].copy()
    return image, (fx1 - x1, fy1 - y1, fx2 - x1, fy2 - y1)

