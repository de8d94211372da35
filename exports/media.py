"""Facts about a video file that the formats need: frame rate, frame size, frame count."""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path


@dataclass(frozen=True, slots=True)
class VideoInfo:
    fps: float
    width: int
    height: int
    frame_count: int | None


class MediaError(ValueError):
    """A video that cannot be opened or has no video stream."""


def probe_video(path: str | Path) -> VideoInfo:
    """Read the container header of ``path`` with PyAV (no frame is decoded).

    Raises:
        MediaError: the file is missing, unreadable, or has no video stream.
    """
    import av  # lazy: only commands that touch videos pay for it

    path = Path(path)
    if not path.is_file():
        raise MediaError(f"{path}: no such video file")
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise MediaError(f"{path}: no video stream")
            stream = container.streams.video[0]
            rate = stream.average_rate or stream.base_rate or stream.guessed_rate
            if not rate:
                raise MediaError(f"{path}: the video stream has no frame rate")
            fps = float(Fraction(rate))
            frames = stream.frames or None
            if frames is None and stream.duration is not None and stream.time_base is not None:
                frames = round(float(stream.duration * stream.time_base) * fps) or None
            return VideoInfo(fps=round(fps, 6), width=stream.codec_context.width, height=stream.codec_context.height, frame_count=frames)
    except av.error.FFmpegError as exc:
        raise MediaError(f"{path}: cannot read the video: {exc}") from None
