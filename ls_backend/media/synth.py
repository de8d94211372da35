"""Videos composed from the real face photos that scikit-image ships, for demos and tests.

No video of TikTalkCoref is public, so MCR Studio builds its own: a background, faces
pasted at planted head boxes over planted frame ranges, and the frame index printed in a
corner (so a person can check in the browser that Label Studio's frame N is the frame
the data says). Encoded as H.264 MP4 (yuv420p) with PyAV, playable in Chromium.

Faces: ``skimage.data.astronaut()`` (one colour face) and the 100 face crops of
``skimage.data.lfw_subset()`` (25x25 grey, upscaled).
"""
from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np

from exports.dialogue import Dialogue

log = logging.getLogger(__name__)

PORTRAIT = (720, 1280)
# libx264 as a short-video platform re-encodes uploads: B-frames (3, pyramid), key frames at scene cuts and
# at most every 250 frames (the render default, ultrafast with a key frame every 30 frames and no B-frame,
# is like a phone camera's stream)
PLATFORM = {"preset": "faster", "g": "250", "bf": "3", "sc_threshold": "40"}
LANDSCAPE = (1280, 720)


@dataclass(frozen=True, slots=True)
class Placement:
    """Face ``face`` shown in pixel box ``bbox`` (x1, y1, x2, y2) on 0-based frames ``first..last``."""

    face: int
    bbox: tuple[int, int, int, int]
    first: int
    last: int
    label: str = ""


@dataclass(frozen=True, slots=True)
class SyntheticVideo:
    path: Path
    fps: float
    size: tuple[int, int]
    frame_count: int
    placements: tuple[Placement, ...] = field(default_factory=tuple)


@cache
def faces() -> tuple[np.ndarray, ...]:
    """RGB uint8 face images: the astronaut's face, then the 100 LFW faces (upscaled to 100 px)."""
    from PIL import Image
    from skimage import data

    astro = data.astronaut()[30:200, 150:300]  # her head, hair to chin
    out = [np.ascontiguousarray(astro)]
    lfw = data.lfw_subset()[:100]
    for img in lfw:
        grey = Image.fromarray((img * 255).astype(np.uint8)).resize((100, 100), Image.BICUBIC)
        out.append(np.stack([np.asarray(grey)] * 3, axis=-1))
    return tuple(out)


def _resized(face: np.ndarray, w: int, h: int) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.fromarray(face).resize((max(1, w), max(1, h)), Image.BILINEAR))


def _stamp(planes: np.ndarray, w: int, h: int, text: str) -> None:
    """Write ``text`` white on black into the top-left corner of a yuv420p frame array."""
    from PIL import Image, ImageDraw

    img = Image.new("L", (150, 34), 16)
    ImageDraw.Draw(img).text((6, 4), text, fill=235, font_size=24)
    planes[8:42, 8:158] = np.asarray(img)
    # chroma of that corner: neutral grey (U and V planes follow the luma plane, w/2 x h/2 each)
    u = planes[h : h + h // 4].reshape(h // 2, w // 2)
    v = planes[h + h // 4 :].reshape(h // 2, w // 2)
    u[4:21, 4:79] = 128
    v[4:21, 4:79] = 128


def render(
    path: str | Path,
    placements: Sequence[Placement],
    *,
    size: tuple[int, int] = PORTRAIT,
    fps: float = 30.0,
    frame_count: int = 90,
    background: tuple[int, int, int] = (70, 90, 110),
    cuts: Sequence[int] = (),
    stamp: bool = True,
    grain: float = 0.0,
    crf: int = 30,
    encoder: Mapping[str, str] | None = None,
) -> SyntheticVideo:
    """Encode a video with ``placements`` to ``path`` (H.264 MP4).

    ``cuts``: frames that start a new shot (a new background colour and gradient).
    ``grain``: standard deviation of per-frame luma noise, as a camera's sensor adds (it gives the
    clip a camera-like bitrate, and so a realistic decoding cost); ``crf``: x264 quality; ``encoder``: other
    libx264 options, over the defaults (``ultrafast``, a key frame every 30 frames, no B-frames: a phone's
    camera-like stream; ``PLATFORM`` is a short-video platform's re-encode, with B-frames and long GOPs).

    Raises:
        ValueError: a box outside the frame, or a face index out of range.
    """
    import av

    w, h = size
    if w % 2 or h % 2:
        raise ValueError(f"size: expected even width and height for yuv420p, got {w}x{h}")
    pool = faces()
    for p in placements:
        x1, y1, x2, y2 = p.bbox
        if not (0 <= x1 < x2 <= w and 0 <= y1 < y2 <= h):
            raise ValueError(f"placement {p.label or p.face}: box {list(p.bbox)} is outside the {w}x{h} frame")
        if not 0 <= p.face < len(pool):
            raise ValueError(f"placement {p.label}: face {p.face} out of range (0..{len(pool) - 1})")
    bases = [_background(background, w, h, k) for k in range(len(cuts) + 1)]
    starts = sorted(cuts)
    sprites = [(p, _resized(pool[p.face], p.bbox[2] - p.bbox[0], p.bbox[3] - p.bbox[1])) for p in placements]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.part")
    from fractions import Fraction

    with av.open(str(tmp), mode="w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=Fraction(fps).limit_denominator(1001))
        stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
        stream.options = {"preset": "ultrafast", "crf": str(crf), "g": "30", **(encoder or {})}
        rng = np.random.default_rng(0)
        noise = [rng.normal(0, grain, (h, w)).astype(np.int16) for _ in range(8)] if grain > 0 else []
        last_key = None
        yuv = None
        for i in range(frame_count):
            shot = sum(1 for c in starts if c <= i)
            visible = (shot,) + tuple(j for j, (p, _) in enumerate(sprites) if p.first <= i <= p.last)
            if visible != last_key:  # compose in RGB and convert once per change of who is visible
                rgb = bases[shot].copy()
                for j in visible[1:]:
                    p, sprite = sprites[j]
                    x1, y1, x2, y2 = p.bbox
                    rgb[y1:y2, x1:x2] = sprite
                yuv = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format="yuv420p").to_ndarray()
                last_key = visible
            planes = yuv.copy()
            if noise:
                luma = planes[:h]
                luma[:] = np.clip(luma.astype(np.int16) + noise[i % len(noise)], 0, 255).astype(np.uint8)
            if stamp:
                _stamp(planes, w, h, f"frame {i + 1}")  # Label Studio's 1-based frame number
            frame = av.VideoFrame.from_ndarray(planes, format="yuv420p")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    tmp.replace(path)
    return SyntheticVideo(path, fps, size, frame_count, tuple(placements))


PALETTE = ((70, 90, 110), (150, 120, 80), (60, 120, 70), (120, 70, 120), (40, 40, 60), (170, 160, 150))


def _background(colour: tuple[int, int, int], w: int, h: int, shot: int) -> np.ndarray:
    """Shot 0 in ``colour``, later shots in the palette's colours; a vertical gradient, not a flat card."""
    c = colour if shot == 0 else PALETTE[shot % len(PALETTE)]
    base = np.empty((h, w, 3), np.uint8)
    base[:] = c
    base[:, :, 2] = np.linspace(c[2], 200 if c[2] < 150 else 60, h, dtype=np.uint8)[:, None]
    return base


def moving(face: int, start: tuple[int, int, int, int], end: tuple[int, int, int, int], first: int, last: int, *, step: int = 2, label: str = "") -> list[Placement]:
    """Placements of a face that moves (and scales) linearly from box ``start`` to box ``end``."""
    out = []
    n = max(1, (last - first) // step)
    for k in range(n + 1):
        a = k / n
        box = tuple(int(round(s0 + a * (e0 - s0))) for s0, e0 in zip(start, end))
        f0 = first + k * step
        f1 = min(last, f0 + step - 1) if k < n else last
        if f0 > last:
            break
        out.append(Placement(face, box, f0, f1, label))
    return out


def size_for(dialogue: Dialogue) -> tuple[int, int]:
    """Portrait 720x1280 unless a box reaches right of x=720, then landscape 1280x720."""
    right = max((b.bbox[2] for b in dialogue.boxes), default=0)
    bottom = max((b.bbox[3] for b in dialogue.boxes), default=0)
    if right <= PORTRAIT[0] and bottom <= PORTRAIT[1]:
        return PORTRAIT
    if right <= LANDSCAPE[0] and bottom <= LANDSCAPE[1]:
        return LANDSCAPE
    side = int(max(right, bottom) + 1) // 2 * 2 + 2
    return (side, side)


def video_for_dialogue(dialogue: Dialogue, path: str | Path, *, fps: float = 30.0, tail: int = 30) -> SyntheticVideo:
    """A video in which each boxed person's face sits in its box for the whole clip.

    The clip is long enough to hold every key frame (``max key frame + 1 + tail`` frames).
    Faces are picked deterministically from the doc_key so that a person keeps a face.
    """
    size = size_for(dialogue)
    frames = max((b.frame for b in dialogue.boxes), default=0) + 1 + tail
    seed = int(dialogue.doc_key) if dialogue.doc_key.isdigit() else sum(map(ord, dialogue.doc_key))
    placements = []
    for i, box in enumerate(dialogue.boxes):
        x1, y1, x2, y2 = (int(round(v)) for v in box.bbox)
        x1, y1 = max(0, x1), max(0, y1)
        x2, y2 = min(size[0], max(x2, x1 + 1)), min(size[1], max(y2, y1 + 1))
        placements.append(Placement(face=(seed + 7 * i) % len(faces()), bbox=(x1, y1, x2, y2), first=0, last=frames - 1, label=box.label))
    return render(path, placements, size=size, fps=fps, frame_count=frames)
