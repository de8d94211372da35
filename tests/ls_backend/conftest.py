"""Fixtures for the tests that need the real Label Studio server."""
from __future__ import annotations

import contextlib
import io

import pytest

from exports import release
from ls_backend.cli import main as ls_main
from tests.support.labelstudio import videos_for

N_DIALOGUES = 50


@pytest.fixture(scope="session")
def project_50(ls_server, release_lines, tmp_path_factory):
    """A project from the first 50 shared dialogues, with annotations and generated videos."""
    tmp = tmp_path_factory.mktemp("project50")
    source = tmp / "first50.jsonl"
    source.write_text("\n".join(release_lines[:N_DIALOGUES]) + "\n", encoding="utf-8")
    dialogues = [release.loads(l) for l in release_lines[:N_DIALOGUES]]
    video_dir = ls_server.document_root / "videos"
    videos_for(dialogues, video_dir)  # generated while Label Studio starts
    ls_server.wait()
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        rc = ls_main([
            "project", "create", "--url", ls_server.url, "--api-key", ls_server.token, "--title", "TikTalkCoref 50",
            "--from", str(source), "--with-annotations", "--video-root", str(video_dir),
            "--document-root", str(ls_server.document_root),
        ])
    assert rc == 0
    project_id = int(buf.getvalue().strip().splitlines()[-1])
    return {"id": project_id, "source": source, "dialogues": dialogues, "tmp": tmp}


