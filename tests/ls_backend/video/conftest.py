"""A test clip composed from scikit-image's real faces, and the pipeline that analyses it (once per session)."""
from __future__ import annotations

from dataclasses import dataclass

import pytest

from agreement.visual import iou

from ls_backend.media.synth import Placement, moving, render

SIZE = (960, 540)
FPS = 30
CUTS = (45, 90, 135)
FRAMES = 180


@dataclass
class Scene:
    path: object
    placements: list
    analysis: object


def scene_placements() -> list[Placement]:
    """Shot 0: A (the astronaut) walks right, B (an LFW face) stays; shot 1: nobody; shot 2: C comes
    closer (120 px -> 260 px); shot 3: A and B come back at other places and sizes."""
    a, b, c = 0, 12, 40
    out = moving(a, (80, 80, 260, 280), (300, 100, 480, 300), 0, 44, label="A")
    out.append(Placement(b, (600, 120, 780, 300), 0, 44, "B"))
    out += moving(c, (350, 150, 470, 270), (300, 60, 560, 320), 90, 134, label="C")
    out.append(Placement(a, (620, 200, 740, 333), 135, 179, "A"))
    out.append(Placement(b, (150, 150, 310, 310), 135, 179, "B"))
    return out


@pytest.fixture(scope="session")
def pipeline():
    from ls_backend.pipeline.video.pipeline import VideoPipeline

    return VideoPipeline().load()


@pytest.fixture(scope="session")
def scene_video(tmp_path_factory):
    path = tmp_path_factory.mktemp("scene") / "scene.mp4"
    placements = scene_placements()
    render(path, placements, size=SIZE, fps=FPS, frame_count=FRAMES, cuts=CUTS)
    return path, placements


@pytest.fixture(scope="session")
def scene(scene_video, pipeline) -> Scene:
    path, placements = scene_video
    return Scene(path, placements, pipeline.analyse(path))


def truth_at(placements, frame: int, box) -> tuple[float, str, Placement]:
    """The planted face on ``frame`` that best overlaps ``box``: (IoU, label, placement)."""
    return max(((iou(box, p.bbox), p.label, p) for p in placements if p.first <= frame <= p.last), key=lambda t: t[0], default=(0.0, "", None))
