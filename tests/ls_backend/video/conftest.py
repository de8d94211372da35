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


@pytest.fixture(scope="session")
def ray_cluster():
    """One real Ray cluster on 127.0.0.1 (2 CPUs) for the session's Ray tests, stopped at the end."""
    from tests.support import ray_cluster

    cluster = ray_cluster.start(num_cpus=2)
    try:
        yield cluster
    finally:
        cluster.stop()


def small_clips(folder, count: int) -> list[str]:
    """``count`` distinct 2-second clips (one or two of scikit-image's faces each), named ``clip<i>.mp4``."""
    names = []
    for i in range(count):
        placements = [Placement(i * 3 % 40, (60 + 20 * i, 60, 260 + 20 * i, 260), 0, 59)]
        if i % 2:
            placements.append(Placement(40 - i, (380, 40, 580, 240), 10, 59))
        render(folder / f"clip{i}.mp4", placements, size=(640, 360), fps=30, frame_count=60)
        names.append(f"clip{i}.mp4")
    return names


def video_project(ls_server, lines: list[str], videos, src, title: str) -> int:
    """A Label Studio project of release ``lines`` (written to ``src``) whose videos lie in ``videos`` under
    the server's document root, created by `ls-backend project create`; returns its id."""
    import contextlib
    import io

    from ls_backend.cli import main as ls_main

    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert ls_main(["project", "create", "--url", ls_server.url, "--api-key", ls_server.token, "--title", title,
                        "--from", str(src), "--video-root", str(videos), "--document-root", str(ls_server.document_root)]) == 0
    return int(out.getvalue().strip().splitlines()[-1])
