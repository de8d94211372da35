"""What an annotator sees: headless Chromium opens a task of the 50-dialogue project."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.support.browser import browser_page, login

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("labelstudio")]

REPO = Path(__file__).resolve().parents[2]
DOC = "6939175744706776354"  # 这个男生能接受她有儿子吗: three singletons, two boxes, C1 named 吴永恩 at frame 270


def test_annotator_sees_dialogue_video_and_regions(ls_server, ls_client, project_50):
    task = next(t for t in ls_client.tasks.list(project=project_50["id"]) if t.data["doc_key"] == DOC)
    shots = REPO / "out" / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    with browser_page() as (page, errors):
        bad_media: list[str] = []
        page.on("response", lambda r: bad_media.append(f"{r.status} {r.url}") if r.status >= 400 and "local-files" in r.url else None)
        login(page, ls_server.url, ls_server.username, ls_server.password)
        page.goto(f"{ls_server.url}/projects/{project_50['id']}/data?task={task.id}")
        page.wait_for_selector(".lsf-paragraphs >> text=这个男生能接受她有儿子吗", timeout=90_000)
        page.wait_for_function(
            "() => { const v = document.querySelector('.lsf-video video, video'); return v && v.readyState >= 2 && !v.error; }",
            timeout=90_000,
        )
        highlights = page.evaluate(
            "() => Array.from(document.querySelectorAll('.lsf-paragraphs span[class*=htx-highlight]')).map(e => e.textContent)"
        )
        assert highlights == ["这个男生", "她", "儿子"]
        assert page.locator(".lsf-outliner .lsf-tree__node").count() == 5  # 3 mentions + 2 head boxes
        assert page.get_by_text("error rendering").count() == 0
        # selecting box C1 seeks the player to its key frame: release frame 270 is Label Studio frame 271
        at_key_frame = "() => (document.querySelector('.lsf-frames-control')?.textContent || '').startsWith('271 ')"
        for _attempt in range(5):  # the editor may not take the first click while it is still busy loading
            page.locator(".lsf-tree__node_type_videorectangleregion").first.click()
            try:
                page.wait_for_function(at_key_frame, timeout=10_000)
                break
            except PlaywrightTimeout:
                continue
        assert page.evaluate(at_key_frame), page.locator(".lsf-frames-control").text_content()
        page.wait_for_timeout(500)
        assert page.get_by_text("吴永恩").count() >= 1  # the celebrity name of the selected box
        page.screenshot(path=str(shots / "workspace.png"))
        assert errors == [], f"page errors: {errors}"
        assert bad_media == []
    if os.environ.get("MCR_UPDATE_DOCS"):
        shutil.copyfile(shots / "workspace.png", REPO / "docs" / "workspace.png")
