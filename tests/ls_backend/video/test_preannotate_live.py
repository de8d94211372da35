"""`ls-backend preannotate` against a real Label Studio 1.23.2 serving the videos from local files."""
from __future__ import annotations

import logging
import shutil

import pytest

from ls_backend.infra.config import Config
from ls_backend.jobs.preannotate import preannotate
from exports import release
from tests.ls_backend.video.conftest import video_project

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("labelstudio")]


def _predictions(client, project_id: int) -> dict[str, list[dict]]:
    out = {}
    for task in client.tasks.list(project=project_id, fields="all"):
        out[task.data["doc_key"]] = [p if isinstance(p, dict) else p.dict() for p in task.predictions]
    return out


def test_preannotate_a_project_with_videos(ls_server, ls_client, release_lines, scene_video, tmp_path, caplog):
    lines = release_lines[200:203]
    keys = [release.loads(line).doc_key for line in lines]
    videos = ls_server.document_root / "preannotate"
    videos.mkdir(exist_ok=True)
    shutil.copy(scene_video[0], videos / f"{keys[0]}.mp4")
    shutil.copy(scene_video[0], videos / f"{keys[1]}.mp4")  # the same clip twice: analysed once
    (videos / f"{keys[2]}.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42 truncated")
    project_id = video_project(ls_server, lines, videos, tmp_path / "three.jsonl", "preannotate")

    config = Config(data_dir=tmp_path / "backend")
    assert preannotate(config, ls_server.url, ls_server.token, project_id) == 1  # one video cannot be decoded
    assert f"{keys[2]}.mp4" in caplog.text and "not a video PyAV can open" in caplog.text
    shown = _predictions(ls_client, project_id)
    for key in keys[:2]:
        (pred,) = shown[key]
        boxes = [r for r in pred["result"] if r["type"] == "videorectangle"]
        assert len(boxes) == 3 and any(r["from_name"] == "mention" for r in pred["result"])
    (broken,) = shown[keys[2]]
    assert not [r for r in broken["result"] if r["type"] == "videorectangle"]  # still gets its text proposals
    assert any(r["from_name"] == "mention" for r in broken["result"])

    # what the annotator sees: the proposals in the editor, the person boxes on the video
    _look_at_task(ls_server, ls_client, project_id, keys[0], len(shown[keys[0]][0]["result"]))

    # a second run resumes: analyses come from the store, nothing is uploaded twice
    caplog.clear()
    caplog.set_level(logging.INFO, logger="ls_backend.jobs.preannotate")
    assert preannotate(config, ls_server.url, ls_server.token, project_id) == 1
    assert "0 predictions uploaded, 3 already there" in caplog.text
    assert {k: len(v) for k, v in _predictions(ls_client, project_id).items()} == {k: 1 for k in keys}


def _look_at_task(ls_server, ls_client, project_id: int, doc_key: str, regions: int) -> None:
    import os
    import shutil
    from pathlib import Path

    from tests.support.browser import browser_page, login

    repo = Path(__file__).resolve().parents[3]
    task = next(t for t in ls_client.tasks.list(project=project_id) if t.data["doc_key"] == doc_key)
    shots = repo / "out" / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    with browser_page() as (page, errors):
        login(page, ls_server.url, ls_server.username, ls_server.password)
        page.goto(f"{ls_server.url}/projects/{project_id}/data?task={task.id}")
        page.wait_for_function(
            "() => { const v = document.querySelector('.lsf-video video, video'); return v && v.readyState >= 2 && !v.error; }",
            timeout=90_000,
        )
        page.wait_for_selector(".lsf-tree__node_type_videorectangleregion", timeout=60_000)
        assert page.locator(".lsf-tree__node_type_videorectangleregion").count() == 3
        page.locator(".lsf-tree__node_type_videorectangleregion").first.click()
        page.wait_for_timeout(1000)
        page.screenshot(path=str(shots / "preannotated.png"))
        assert page.get_by_text("error rendering").count() == 0
        assert errors == [], f"page errors: {errors}"
    if os.environ.get("MCR_UPDATE_DOCS"):
        shutil.copyfile(shots / "preannotated.png", repo / "docs" / "preannotated.png")
