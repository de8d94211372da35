"""Shot boundaries: where a cut may be, from the stream; whether it is one, from small colour thumbnails.

A cut cannot be predicted from the frame before it, so an encoder codes the first frame of a shot
as a picture of its own: a key frame, or a frame many times larger than the stream's usual one (or
B-frames shown just before such a frame, predicted from it). ``candidates`` names those frames of a
GOP from the packet sizes and order alone, before decoding, so that each is decoded with the frame
before it and a cut is found at its frame. ``feed`` looks at the decoded frames in order (a 64x36
grid of Y, U, V samples each): a frame starts a shot when its thumbnail differs from the previous
fed frame's by a mean absolute difference above ``threshold`` levels (0-255, over the three
channels) *and* much more than the usual change over the same distance (frames next to each other,
or the half second between sampled frames), so that fast motion or a flash is not a cut. A cut
the stream did not show is still found, at the first frame decoded after it.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ls_backend.pipeline.video.artifacts import Shots
from ls_backend.pipeline.video.decode import PacketInfo

WINDOW = 16  # packets before and after a frame whose sizes say what is usual around it
NEAR = 2  # frames apart: "next to each other" (a decoder that skips B-frames leaves gaps of one)


@dataclass
class ShotDetector:
    threshold: float = 20.0  # mean |difference| in grey levels (0-255)
    ratio: float = 3.0  # ... and this many times the running median difference over the same distance
    min_shot: int = 5  # frames: no cut closer than this to the previous one
    big: float = 4.0  # a frame coded in this many times the median packet around it may start a shot
    _prev: tuple[int, np.ndarray] | None = None
    _near: list[float] = field(default_factory=list)  # differences of frames next to each other
    _far: list[float] = field(default_factory=list)  # ... and of frames further apart
    _sizes: list[int] = field(default_factory=list)
    starts: list[int] = field(default_factory=lambda: [0])

    def candidates(self, gop: Sequence[PacketInfo]) -> set[int]:
        """The frames of a GOP (given in decoding order) where a shot may start: its key frame, the frames
        coded in more than ``big`` times the median of the non-key frames around them (``WINDOW`` before
        and after in decoding order), and the B-frames shown before such a frame but decoded after it
        (they may predict the new shot from it alone, and be small)."""
        before = len(self._sizes)
        sizes = self._sizes + [p.size for p in gop if not p.key]
        out = set()
        j = before
        for k, p in enumerate(gop):
            if p.key:
                big = True
            else:
                around = sizes[max(0, j - WINDOW) : j + WINDOW + 1]
                big = len(around) > 1 and p.size > self.big * float(np.median(around))
                j += 1
            if big:
                out.add(p.index)
                for q in gop[k + 1 :]:
                    if q.index > p.index:
                        break
                    out.add(q.index)
        self._sizes = sizes[-WINDOW:]
        return out

    def feed(self, index: int, thumb: np.ndarray) -> bool:
        """Look at frame ``index`` (after the frames fed before it); True when it starts a new shot: the
        frame itself when the frame before it was fed (a candidate's), else the first frame after the
        cut that was decoded (a cut the stream did not show, found up to a sampling step late)."""
        cur = thumb.astype(np.float32)
        cut = False
        if self._prev is not None:
            gap = index - self._prev[0]
            d = float(np.abs(cur - self._prev[1]).mean())
            same = self._near if gap <= NEAR else self._far
            recent = (same or self._near or self._far)[-30:]
            typical = float(np.median(recent)) if recent else 0.0
            if d > self.threshold and d > self.ratio * typical and index - self.starts[-1] >= self.min_shot:
                self.starts.append(index)
                cut = True
            else:
                same.append(d)
                del same[:-60]
        self._prev = (index, cur)
        return cut

    def shots(self, frame_count: int) -> Shots:
        return Shots(tuple(self.starts), frame_count)
