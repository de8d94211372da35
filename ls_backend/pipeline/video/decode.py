"""Decode a clip with PyAV: every frame goes through the decoder (H.264 needs it), but only the
sampled frames are converted to RGB, at analysis size, and every frame gives a small colour
thumbnail for shot detection (samples read from the decoded planes, no conversion)."""
from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from exports.io.media import MediaError
from ls_backend.pipeline.video.artifacts import SampledFrame, VideoMeta

log = logging.getLogger(__name__)

THUMB = (32, 18)
GRID = (64, 36)


@dataclass
class DecodedStream:
    """Frames of a clip in presentation order: ``(0-based index, av.VideoFrame)``. ``meta`` is known
    after opening (``frame_count`` is final after iteration). Convert only what is needed with
    ``thumbnail`` and ``analysis_image``."""

    path: Path
    max_side: int = 640
    meta: VideoMeta | None = None
    scale: float = 1.0
    _size: tuple[int, int] = (0, 0)

    def __iter__(self) -> Iterator[tuple[int, object]]:
        import av

        path = self.path
        if not path.is_file():
            raise MediaError(f"{path}: no such video file")
        if path.stat().st_size == 0:
            raise MediaError(f"{path}: the file is empty (0 bytes)")
        try:
            container = av.open(str(path))
        except av.error.FFmpegError as exc:
            raise MediaError(f"{path}: not a video PyAV can open ({exc})") from None
        with container:
            if not container.streams.video:
                kinds = ", ".join(sorted({s.type for s in container.streams})) or "no stream"
                raise MediaError(f"{path}: no video stream ({kinds})")
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            rate = stream.average_rate or stream.base_rate or stream.guessed_rate
            fps = float(Fraction(rate)) if rate else 0.0
            width, height = stream.codec_context.width, stream.codec_context.height
            if fps <= 0 or width <= 0 or height <= 0:
                raise MediaError(f"{path}: the video stream has no frame rate or size")
            self.meta = VideoMeta(round(fps, 6), width, height, 0)
            self.scale = min(1.0, self.max_side / max(width, height))
            self._size = (max(2, int(round(width * self.scale / 2)) * 2), max(2, int(round(height * self.scale / 2)) * 2))
            index = -1
            try:
                for frame in container.decode(stream):
                    index += 1
                    yield index, frame
            except av.error.FFmpegError as exc:
                if index < 0:
                    raise MediaError(f"{path}: cannot decode the video stream ({exc})") from None
                log.warning("%s: decoding stopped after frame %d: %s", path, index, exc)
            if index < 0:
                raise MediaError(f"{path}: the video stream has no frame")
            self.meta = VideoMeta(round(fps, 6), width, height, index + 1)

    @staticmethod
    def thumbnail(frame) -> np.ndarray:
        """A 64x36 grid of (Y, U, V) samples read straight from the decoder's planes (no conversion);
        other pixel formats are scaled to 32x18 RGB."""
        if frame.format.name in ("yuv420p", "yuvj420p") and frame.width >= 128 and frame.height >= 72:
            planes = []
            for k, (w, h) in enumerate(((frame.width, frame.height), (frame.width // 2, frame.height // 2), (frame.width // 2, frame.height // 2))):
                plane = frame.planes[k]
                arr = np.frombuffer(plane, np.uint8).reshape(plane.height, plane.line_size)[:h, :w]
                ys = np.linspace(0, h - 1, GRID[1]).astype(int)
                xs = np.linspace(0, w - 1, GRID[0]).astype(int)
                planes.append(arr[np.ix_(ys, xs)])
            return np.stack(planes, axis=-1)
        return frame.reformat(width=THUMB[0], height=THUMB[1], format="rgb24", interpolation="FAST_BILINEAR").to_ndarray()

    def analysis_image(self, frame, index: int) -> SampledFrame:
        w, h = self._size
        return SampledFrame(index, frame.reformat(width=w, height=h, format="rgb24").to_ndarray(), w / self.meta.width)


def decode_all(path: str | Path) -> int:
    """Decode and convert every frame to RGB (the reference cost the benchmark divides by)."""
    import av

    n = 0
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        for frame in container.decode(stream):
            frame.to_ndarray(format="rgb24")
            n += 1
    return n
