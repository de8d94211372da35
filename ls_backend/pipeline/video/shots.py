"""Shot boundaries from small colour thumbnails (a 64x36 grid of Y, U, V samples) of every frame.

A cut is a frame whose thumbnail differs from the previous one by a mean absolute difference
above ``threshold`` levels (0-255, over the three channels) *and* much more than the usual frame-to-frame change (so that
fast motion or a flash is not a cut). Both numbers are configurable.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ls_backend.pipeline.video.artifacts import Shots


@dataclass
class ShotDetector:
    threshold: float = 20.0  # mean |difference| in grey levels (0-255)
    ratio: float = 3.0  # ... and this many times the running median difference
    min_shot: int = 5  # frames: no cut closer than this to the previous one
    _prev: np.ndarray | None = None
    _diffs: list[float] = field(default_factory=list)
    starts: list[int] = field(default_factory=lambda: [0])

    def feed(self, index: int, thumb: np.ndarray) -> bool:
        """Look at frame ``index``; True when it starts a new shot."""
        cur = thumb.astype(np.float32)
        cut = False
        if self._prev is not None:
            d = float(np.abs(cur - self._prev).mean())
            recent = self._diffs[-30:]
            typical = float(np.median(recent)) if recent else 0.0
            if d > self.threshold and d > self.ratio * typical and index - self.starts[-1] >= self.min_shot:
                self.starts.append(index)
                cut = True
            else:
                self._diffs.append(d)
        self._prev = cur
        return cut

    def shots(self, frame_count: int) -> Shots:
        return Shots(tuple(self.starts), frame_count)
