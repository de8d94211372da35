"""The one place where frames, boxes and text offsets change convention.

* Frames: release ``cur_frame`` is **0-based**; Label Studio's video ``frame`` is
  **1-based**, and its ``time`` is ``(frame - 1) / fps`` seconds.
* Boxes: release ``bbox`` is ``[x1, y1, x2, y2]`` in **pixels**; Label Studio's
  ``x, y, width, height`` are **percent** of the frame width / height.
* Text: a release span is ``(start, end)`` **token** offsets over the whole dialogue,
  ``end`` **inclusive**; a Label Studio paragraph region is ``start`` / ``end``
  paragraph (turn) indices plus ``startOffset`` / ``endOffset`` **character** offsets
  inside those paragraphs, ``endOffset`` **exclusive**.
"""
from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

Pixels = tuple[float, float, float, float]
Percent = tuple[float, float, float, float]

#: Two percentages closer than this are the same box (about 1e-5 px on a 1920 px frame).
PERCENT_TOLERANCE = 1e-6


def ls_frame(frame: int) -> int:
    """0-based release frame -> 1-based Label Studio frame."""
    return frame + 1


def release_frame(frame: int) -> int:
    """1-based Label Studio frame -> 0-based release frame."""
    return frame - 1


def frame_time(frame: int, fps: float) -> float:
    """Start time in seconds of a 0-based frame."""
    return frame / fps


def box_to_percent(bbox: Sequence[float], size: tuple[int, int]) -> Percent:
    """``[x1, y1, x2, y2]`` pixels -> ``(x, y, width, height)`` percent of ``size=(w, h)``."""
    w, h = size
    x1, y1, x2, y2 = bbox
    return (x1 * 100.0 / w, y1 * 100.0 / h, (x2 - x1) * 100.0 / w, (y2 - y1) * 100.0 / h)


def box_to_pixels(percent: Sequence[float], size: tuple[int, int]) -> tuple[int, int, int, int]:
    """``(x, y, width, height)`` percent -> ``[x1, y1, x2, y2]`` whole pixels (rounded)."""
    w, h = size
    x, y, bw, bh = percent
    x1, y1 = x * w / 100.0, y * h / 100.0
    return (round(x1), round(y1), round(x1 + bw * w / 100.0), round(y1 + bh * h / 100.0))


def same_percent(a: Sequence[float], b: Sequence[float]) -> bool:
    return all(abs(p - q) <= PERCENT_TOLERANCE for p, q in zip(a, b))


@dataclass(frozen=True, slots=True)
class ParagraphRange:
    """A Label Studio paragraph region: turn indices and character offsets (end exclusive)."""

    start: int
    start_offset: int
    end: int
    end_offset: int


class TextIndex:
    """Token <-> paragraph-character offsets of one dialogue.

    Args:
        turns: the tokens of each turn.
    """

    __slots__ = ("_turn_starts", "_char_starts", "_simple", "_n")

    def __init__(self, turns: Sequence[Sequence[str]]) -> None:
        self._turn_starts: list[int] = []
        self._char_starts: list[list[int]] = []  # per turn: char offset of each token, plus the end
        self._simple = True
        offset = 0
        for tokens in turns:
            self._turn_starts.append(offset)
            offset += len(tokens)
            starts, c = [], 0
            for tok in tokens:
                starts.append(c)
                c += len(tok)
                if len(tok) != 1:
                    self._simple = False
            starts.append(c)
            self._char_starts.append(starts)
        self._n = offset

    def to_paragraph(self, start: int, end: int) -> ParagraphRange:
        """Inclusive token span -> paragraph range."""
        if not 0 <= start <= end < self._n:
            raise ValueError(f"span [{start}, {end}] is out of range for {self._n} tokens")
        ps = bisect_right(self._turn_starts, start) - 1
        pe = bisect_right(self._turn_starts, end) - 1
        ts, te = start - self._turn_starts[ps], end - self._turn_starts[pe]
        if self._simple:
            return ParagraphRange(ps, ts, pe, te + 1)
        return ParagraphRange(ps, self._char_starts[ps][ts], pe, self._char_starts[pe][te + 1])

    def to_span(self, rng: ParagraphRange) -> tuple[int, int]:
        """Paragraph range -> inclusive token span.

        Raises:
            ValueError: a turn index is out of range, or an offset falls inside a token.
        """
        nturns = len(self._turn_starts)
        for name, p in (("start", rng.start), ("end", rng.end)):
            if not 0 <= p < nturns:
                raise ValueError(f"{name}: paragraph {p} is out of range for {nturns} turns")
        cs, ce = self._char_starts[rng.start], self._char_starts[rng.end]
        if self._simple:
            ts, te = rng.start_offset, rng.end_offset - 1
            ok = 0 <= ts < len(cs) - 1 and 0 <= te < len(ce) - 1
        else:
            ts = _index(cs, rng.start_offset)
            te = _index(ce, rng.end_offset)
            ok = ts is not None and te is not None and ts < len(cs) - 1 and te > 0
            te = te - 1 if te is not None else -1
        if not ok:
            raise ValueError(
                f"offsets {rng.start_offset}..{rng.end_offset} do not fall on token boundaries of "
                f"paragraphs {rng.start}..{rng.end}"
            )
        start, end = self._turn_starts[rng.start] + ts, self._turn_starts[rng.end] + te
        if end < start:
            raise ValueError(f"empty or reversed region: paragraphs {rng.start}..{rng.end}, offsets {rng.start_offset}..{rng.end_offset}")
        return start, end


def _index(starts: list[int], offset: int) -> int | None:
    i = bisect_right(starts, offset) - 1
    return i if i >= 0 and starts[i] == offset else None
