"""What the video stages hand each other: one validated dataclass per artifact.

Boxes are ``(x1, y1, x2, y2)`` in pixels of the original frame; frames are 0-based indices
(the release format's ``cur_frame``). Nothing here knows Label Studio's JSON.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

BoxT = tuple[float, float, float, float]


def _check_box(box: BoxT, what: str) -> None:
    if len(box) != 4 or not (box[0] < box[2] and box[1] < box[3]):
        raise ValueError(f"{what}: expected (x1, y1, x2, y2) with x1 < x2 and y1 < y2, got {box}")


@dataclass(frozen=True)
class VideoMeta:
    """The stream as decoded: frame rate, frame size, the number of frames actually decoded."""

    fps: float
    width: int
    height: int
    frame_count: int

    def __post_init__(self) -> None:
        if self.fps <= 0 or self.width <= 0 or self.height <= 0:
            raise ValueError(f"video: fps, width and height must be positive, got {self.fps}, {self.width}x{self.height}")


@dataclass(frozen=True)
class SampledFrame:
    """A frame the detector looks at: RGB pixels scaled by ``scale`` (analysis size / original size)."""

    index: int
    image: np.ndarray = field(repr=False)
    scale: float
    shot: int = 0
    reuse_of: int | None = None  # nothing moved since this detected frame: take its detections


@dataclass(frozen=True)
class Shots:
    """Shot ``i`` spans frames ``starts[i] .. starts[i + 1] - 1`` (the last one to the end of the clip)."""

    starts: tuple[int, ...]
    frame_count: int

    def __post_init__(self) -> None:
        if not self.starts or self.starts[0] != 0 or list(self.starts) != sorted(set(self.starts)):
            raise ValueError(f"shots: starts must begin at 0 and increase, got {self.starts}")

    def shot_of(self, frame: int) -> int:
        import bisect

        return bisect.bisect_right(self.starts, frame) - 1

    def span(self, shot: int) -> tuple[int, int]:
        end = self.starts[shot + 1] - 1 if shot + 1 < len(self.starts) else self.frame_count - 1
        return self.starts[shot], end


@dataclass(frozen=True)
class Detection:
    """A face on a frame and the head box derived from it (or a head from a head detector)."""

    frame: int
    head: BoxT
    confidence: float
    face: BoxT | None = None
    landmarks: tuple[tuple[float, float], ...] = ()  # left eye, right eye, nose, mouth left, mouth right
    sharpness: float = 0.0  # variance of the Laplacian of the face crop (grey, 0-255)

    def __post_init__(self) -> None:
        _check_box(self.head, f"frame {self.frame}: head box")
        if not 0.0 <= self.confidence <= 1.0:
            raise ValueError(f"frame {self.frame}: confidence must be in [0, 1], got {self.confidence}")

    @property
    def area(self) -> float:
        return (self.head[2] - self.head[0]) * (self.head[3] - self.head[1])


@dataclass(frozen=True)
class Track:
    """One person's detections within one shot, linked by the tracker."""

    id: int
    shot: int
    detections: tuple[Detection, ...]

    def __post_init__(self) -> None:
        if not self.detections:
            raise ValueError(f"track {self.id}: no detection")

    @property
    def first(self) -> int:
        return self.detections[0].frame

    @property
    def last(self) -> int:
        return self.detections[-1].frame


@dataclass(frozen=True)
class KeyFrame:
    """The frame that shows a person best, the head box on it, and why (the quality terms)."""

    detection: Detection
    quality: float
    terms: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Person:
    """Tracks of the same person across shots (joined by face embeddings)."""

    number: int  # 1-based, ordered by screen time (alignment later links persons to clusters)
    tracks: tuple[Track, ...]
    key: KeyFrame
    screen_time: float  # seconds the person is seen (sum of track spans)
    embedding: np.ndarray | None = field(default=None, repr=False, compare=False)
    crop: str | None = field(default=None, repr=False, compare=False)  # base64 JPEG of the face on the key frame


@dataclass(frozen=True)
class VideoAnalysis:
    """The result of the video pipeline for one clip."""

    meta: VideoMeta
    shots: Shots
    persons: tuple[Person, ...]
    sampled_frames: int
    pipeline_version: str
    timings: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict:
        """A JSON-able summary (what the store caches and what `/predict` needs)."""
        return {
            "pipeline_version": self.pipeline_version,
            "meta": {"fps": self.meta.fps, "width": self.meta.width, "height": self.meta.height, "frame_count": self.meta.frame_count},
            "shots": list(self.shots.starts),
            "sampled_frames": self.sampled_frames,
            "persons": [
                {
                    "number": p.number,
                    "frame": p.key.detection.frame,
                    "bbox": [round(v, 1) for v in p.key.detection.head],
                    "confidence": round(p.key.detection.confidence, 4),
                    "quality": round(p.key.quality, 4),
                    "screen_time": round(p.screen_time, 3),
                    "tracks": [{"shot": t.shot, "first": t.first, "last": t.last} for t in p.tracks],
                    "embedding": [round(float(v), 5) for v in p.embedding] if p.embedding is not None else None,
                    "crop": p.crop,
                }
                for p in self.persons
            ],
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
        }
