"""Decode a clip with PyAV, only as much as the analysis needs.

The container says, before anything is decoded, where each group of pictures (GOP: a key frame and
the frames that refer back to it) begins, each frame's presentation time and how many bytes it was
coded in. ``DecodedStream.frames(plan)`` hands each GOP's ``PacketInfo`` (in decoding order) to
``plan``, which answers the frames it wants; then it decodes

- the GOP's packets in decoding order only up to the last wanted frame (a wanted frame depends on
  earlier packets only): the rest of the GOP is never sent to the decoder;
- within that, frames that are not wanted with ``skip_frame = NONREF``: the decoder drops those
  that no other frame refers to (B-frames of a typical H.264 stream) and decodes the rest;

and yields the wanted frames, in presentation order, with 0-based indices from their presentation
times (each frame's rank, as counting decoded frames would give). The decoded pixels are those a
full decode gives (``tests/ls_backend/video/test_decode.py``). A GOP after which the next one has
leading pictures (an open GOP: frames shown before its key frame that refer to the GOP before) is
decoded whole. A stream without usable timestamps, or with a GOP longer than ``MAX_GOP`` frames,
raises ``Unplannable``: decode it with ``frames()`` (every frame, counted).

Sampled frames are converted to RGB at analysis size (``analysis_image``); a small colour
thumbnail of a frame is read straight from the decoded planes (``thumbnail``).
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from fractions import Fraction
from functools import lru_cache
from pathlib import Path

import numpy as np

from exports.io.media import MediaError
from ls_backend.pipeline.video.artifacts import SampledFrame, VideoMeta

log = logging.getLogger(__name__)

THUMB = (32, 18)
GRID = (64, 36)
MAX_GOP = 1200  # frames from one key frame to the next that planning holds (40 s at 30 fps); longer: decode every frame


@dataclass(frozen=True)
class PacketInfo:
    """What the container says of a frame before it is decoded."""

    index: int  # 0-based, presentation order
    key: bool  # a key frame: decodable on its own, starts a GOP
    size: int  # bytes it was coded in


class Unplannable(Exception):
    """The stream's timestamps do not say which packet is which frame (missing or repeated):
    decode every frame instead (``DecodedStream.frames()`` without a plan)."""


Plan = Callable[[Sequence[PacketInfo]], set[int]]


@dataclass
class DecodedStream:
    """Frames of a clip in presentation order: ``(0-based index, av.VideoFrame)``. ``meta`` is known
    once iteration has begun (``frame_count`` is final after it). Convert only what is needed with
    ``thumbnail`` and ``analysis_image``."""

    path: Path
    max_side: int = 640
    threads: int = 0  # decoder threads; 0: FFmpeg's choice (frame and slice threads, about one per core)
    meta: VideoMeta | None = None
    scale: float = 1.0
    decoded: int = 0  # frames the decoder produced (wanted or not)
    _size: tuple[int, int] = (0, 0)
    _known: int = field(default=0, repr=False)  # frames the stream is known to have so far (meta.frame_count at the end)

    def frames(self, plan: Plan | None = None) -> Iterator[tuple[int, object]]:
        """The wanted frames (all of them without ``plan``).

        Raises:
            MediaError: the file is missing, empty, not a video, or has no decodable frame.
            Unplannable: with ``plan``, the timestamps do not identify the frames (see the class).
        """
        import av

        with self._opened() as (container, stream):
            self._known, last = 0, -1
            try:
                source = self._planned(container, stream, plan) if plan is not None else self._all(container, stream)
                for last, frame in source:
                    yield last, frame
            except av.error.FFmpegError as exc:
                self._known = max(self._known, last + 1)
                if self._known == 0:
                    raise MediaError(f"{self.path}: cannot decode the video stream ({exc})") from None
                log.warning("%s: decoding stopped after frame %d: %s", self.path, self._known - 1, exc)
            if self._known == 0:
                raise MediaError(f"{self.path}: the video stream has no frame")
            self.meta = replace(self.meta, frame_count=self._known)

    @contextmanager
    def _opened(self):
        """The container and its video stream, with ``meta``, ``scale`` and the analysis size set.

        Raises:
            MediaError: the file is missing or empty, not a container PyAV opens, or without a usable video stream.
        """
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
            if self.threads > 0:
                stream.codec_context.thread_count = self.threads
            stream.thread_type = "AUTO"
            rate = stream.average_rate or stream.base_rate or stream.guessed_rate
            fps = float(Fraction(rate)) if rate else 0.0
            width, height = stream.codec_context.width, stream.codec_context.height
            if fps <= 0 or width <= 0 or height <= 0:
                raise MediaError(f"{path}: the video stream has no frame rate or size")
            self.meta = VideoMeta(round(fps, 6), width, height, 0)
            self.scale = min(1.0, self.max_side / max(width, height))
            self._size = (max(2, int(round(width * self.scale / 2)) * 2), max(2, int(round(height * self.scale / 2)) * 2))
            yield container, stream

    def _all(self, container, stream) -> Iterator[tuple[int, object]]:
        for index, frame in enumerate(container.decode(stream)):
            self._known = index + 1
            self.decoded += 1
            yield index, frame

    def _planned(self, container, stream, plan: Plan) -> Iterator[tuple[int, object]]:
        cc = stream.codec_context
        index: dict[int, int] = {}  # pts -> frame index, for this GOP and the one before (late output)
        before: dict[int, int] = {}
        pending: set[int] = set()  # wanted frames not yet out of the decoder
        last = [-1]

        def out(frames) -> Iterator[tuple[int, object]]:
            for frame in frames:
                self.decoded += 1
                i = index.get(frame.pts)
                if i is None or i <= last[0]:
                    raise Unplannable(f"{self.path}: a decoded frame's timestamp {frame.pts} is not one of the packets' (or out of order)")
                if i in pending:
                    pending.discard(i)
                    last[0] = i
                    yield i, frame

        groups = _gops(container.demux(stream), self.path)
        gop, following = next(groups, None), None
        if gop is not None:
            following = next(groups, None)
        offset = 0
        while gop is not None:
            times = [p.pts for p in gop]
            if None in times or len(set(times)) < len(times):
                raise Unplannable(f"{self.path}: packets without a presentation time (or with a repeated one) near frame {offset}")
            this = {t: offset + r for r, t in enumerate(sorted(times))}
            index, before = before | this, this  # frames of the GOP before may still come out of the decoder
            infos = [PacketInfo(index[p.pts], bool(p.is_keyframe), p.size) for p in gop]
            wanted = set(plan(infos)) & {p.index for p in infos}
            pending |= wanted
            leading = following is not None and following[0].pts is not None and any(
                p.pts is not None and p.pts < following[0].pts for p in following[1:])
            ends = [k for k, p in enumerate(gop) if index[p.pts] in wanted]
            feed = gop if leading else gop[: ends[-1] + 1] if ends else []
            for packet in feed:
                cc.skip_frame = "DEFAULT" if index[packet.pts] in wanted else "NONREF"
                yield from out(cc.decode(packet))
            if len(feed) < len(gop):  # the rest of this GOP is not needed: take what the decoder holds, start afresh
                cc.skip_frame = "DEFAULT"
                yield from out(cc.decode(None))
                cc.flush_buffers()
            offset += len(gop)
            self._known = offset
            gop, following = following, next(groups, None) if following is not None else None
        cc.skip_frame = "DEFAULT"
        yield from out(cc.decode(None))
        if pending:
            raise Unplannable(f"{self.path}: the decoder gave no frame for {len(pending)} wanted frame(s), first {min(pending)}")

    @staticmethod
    def thumbnail(frame) -> np.ndarray:
        """A 64x36 grid of (Y, U, V) samples read straight from the decoder's planes (no conversion);
        other pixel formats are scaled to 32x18 RGB."""
        if frame.format.name in ("yuv420p", "yuvj420p") and frame.width >= 128 and frame.height >= 72:
            planes = []
            for k, (w, h) in enumerate(((frame.width, frame.height), (frame.width // 2, frame.height // 2), (frame.width // 2, frame.height // 2))):
                plane = frame.planes[k]
                arr = np.frombuffer(plane, np.uint8).reshape(plane.height, plane.line_size)
                ys, xs = _grid(w, h)
                planes.append(arr[ys, xs])
            return np.stack(planes, axis=-1)
        return frame.reformat(width=THUMB[0], height=THUMB[1], format="rgb24", interpolation="FAST_BILINEAR").to_ndarray()

    def analysis_image(self, frame, index: int) -> SampledFrame:
        w, h = self._size
        return SampledFrame(index, frame.reformat(width=w, height=h, format="rgb24").to_ndarray(), w / self.meta.width)


@lru_cache(maxsize=16)
def _grid(w: int, h: int) -> tuple[np.ndarray, np.ndarray]:
    """Row and column indices of the thumbnail's samples in a ``w`` x ``h`` plane (broadcast to a grid)."""
    ys = np.linspace(0, h - 1, GRID[1]).astype(int)[:, None]
    xs = np.linspace(0, w - 1, GRID[0]).astype(int)[None, :]
    return ys, xs


def _gops(packets, path: Path) -> Iterator[list]:
    """Packets in decoding order, grouped from one key frame to the next (the empty flush packet dropped).

    Raises:
        Unplannable: a GOP longer than ``MAX_GOP`` frames (its packets would all be held at once).
    """
    gop: list = []
    for packet in packets:
        if not packet.size:
            continue
        if packet.is_keyframe and gop:
            yield gop
            gop = []
        gop.append(packet)
        if len(gop) > MAX_GOP:
            raise Unplannable(f"{path}: a group of pictures longer than {MAX_GOP} frames")
    if gop:
        yield gop


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
