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
    """One person's detections within one shot, linked by the tracker.

    A track read back from the store keeps its frame span only (``detections`` is empty)."""

    id: int
    shot: int
    detections: tuple[Detection, ...] = ()
    frames: tuple[int, int] | None = None  # (first, last): derived from the detections when there are any

    def __post_init__(self) -> None:
        if self.detections:
            span = (self.detections[0].frame, self.detections[-1].frame)
            if self.frames is not None and tuple(self.frames) != span:
                raise ValueError(f"track {self.id}: frames {self.frames} differ from its detections' {span}")
            object.__setattr__(self, "frames", span)
        elif self.frames is None:
            raise ValueError(f"track {self.id}: no detection")
        elif not 0 <= self.frames[0] <= self.frames[1]:
            raise ValueError(f"track {self.id}: frames: expected 0 <= first <= last, got {self.frames}")

    @property
    def first(self) -> int:
        return self.frames[0]  # type: ignore[index]

    @property
    def last(self) -> int:
        return self.frames[1]  # type: ignore[index]


@dataclass(frozen=True)
class KeyFrame:
    """The frame that shows a person best, the head box on it, and why (the quality terms)."""

    detection: Detection
    quality: float
    terms: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Person:
    """A person of a clip: tracks of the same person across shots (joined by face embeddings), the key
    frame that shows them best, and their face. The one shape of a person: the video pipeline builds it,
    the store keeps it (:meth:`VideoAnalysis.to_json`), alignment and the proposals read it."""

    number: int  # 1-based, ordered by screen time (alignment later links persons to clusters)
    tracks: tuple[Track, ...]
    key: KeyFrame
    screen_time: float  # seconds the person is seen (sum of track spans)
    embedding: np.ndarray | None = field(default=None, repr=False, compare=False)
    crop: str | None = field(default=None, repr=False, compare=False)  # base64 JPEG of the face on the key frame
    frame_size: tuple[int, int] | None = None  # (width, height) of the clip
    image: np.ndarray | None = field(default=None, repr=False, compare=False)  # the face crop (RGB), else decoded from ``crop``

    @classmethod
    def candidate(cls, number: int, frame: int, bbox: BoxT, frame_size: tuple[int, int], screen_time: float, confidence: float = 1.0,
                  embedding: np.ndarray | None = None, image: np.ndarray | None = None) -> Person:
        """A person seen on one key frame only (alignment's training examples: faces planted at annotated boxes)."""
        key = KeyFrame(Detection(frame, tuple(float(v) for v in bbox), confidence), 1.0)
        return cls(number, (), key, screen_time, embedding, None, frame_size, image)

    @property
    def frame(self) -> int:
        return self.key.detection.frame

    @property
    def bbox(self) -> BoxT:
        return self.key.detection.head

    @property
    def confidence(self) -> float:
        return self.key.detection.confidence

    @property
    def size(self) -> float:
        """Square root of the head box area over the frame area (0..1)."""
        if self.frame_size is None:
            raise ValueError(f"person {self.number}: frame_size is unknown")
        w, h = self.frame_size
        return float(np.sqrt(max(0.0, (self.bbox[2] - self.bbox[0]) * (self.bbox[3] - self.bbox[1])) / (w * h)))

    @property
    def crop_image(self) -> np.ndarray | None:
        """The face crop as RGB pixels (decoded from the JPEG once)."""
        if self.image is None and self.crop:
            import base64
            import io

            from PIL import Image

            object.__setattr__(self, "image", np.asarray(Image.open(io.BytesIO(base64.b64decode(self.crop))).convert("RGB")))
        return self.image

    def to_json(self) -> dict:
        return {
            "number": self.number,
            "frame": self.frame,
            "bbox": [round(v, 1) for v in self.bbox],
            "confidence": round(self.confidence, 4),
            "quality": round(self.key.quality, 4),
            "screen_time": round(self.screen_time, 3),
            "tracks": [{"shot": t.shot, "first": t.first, "last": t.last} for t in self.tracks],
            "embedding": [round(float(v), 5) for v in self.embedding] if self.embedding is not None else None,
            "crop": self.crop,
        }

    @classmethod
    def from_json(cls, data: dict, frame_size: tuple[int, int]) -> Person:
        key = KeyFrame(Detection(int(data["frame"]), tuple(float(v) for v in data["bbox"]), float(data.get("confidence", 1.0))),
                       float(data.get("quality", 0.0)))
        tracks = tuple(Track(i + 1, int(t["shot"]), frames=(int(t["first"]), int(t["last"]))) for i, t in enumerate(data.get("tracks") or []))
        emb = np.asarray(data["embedding"], np.float32) if data.get("embedding") is not None else None
        return cls(int(data["number"]), tracks, key, float(data["screen_time"]), emb, data.get("crop"), frame_size)


@dataclass(frozen=True)
class VideoAnalysis:
    """The result of the video pipeline for one clip (what the store keeps, as :meth:`to_json`)."""

    meta: VideoMeta
    shots: Shots
    persons: tuple[Person, ...]
    sampled_frames: int
    pipeline_version: str
    timings: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict:
        """A JSON-able summary; :meth:`from_json` reads it back (``to_json(from_json(j)) == j``)."""
        return {
            "pipeline_version": self.pipeline_version,
            "meta": {"fps": self.meta.fps, "width": self.meta.width, "height": self.meta.height, "frame_count": self.meta.frame_count},
            "shots": list(self.shots.starts),
            "sampled_frames": self.sampled_frames,
            "persons": [p.to_json() for p in self.persons],
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
        }

    @classmethod
    def from_json(cls, data: dict) -> VideoAnalysis:
        """A stored analysis as the artifact (tracks keep their frame spans, not their detections).

        Raises:
            ValueError: not an analysis (a key is missing or a value is wrong; the message names it).
        """
        try:
            m = data["meta"]
            meta = VideoMeta(float(m["fps"]), int(m["width"]), int(m["height"]), int(m["frame_count"]))
            size = (meta.width, meta.height)
            return cls(meta, Shots(tuple(data["shots"]), meta.frame_count), tuple(Person.from_json(p, size) for p in data["persons"]),
                       int(data["sampled_frames"]), str(data["pipeline_version"]), dict(data.get("timings") or {}))
        except KeyError as exc:
            raise ValueError(f"video analysis: {exc.args[0]}: missing") from None
        except (TypeError, AttributeError) as exc:
            raise ValueError(f"video analysis: {exc}") from None
