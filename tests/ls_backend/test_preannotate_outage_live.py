"""Label Studio stopping in the middle of ``ls-backend preannotate``: the run says so and stops (exit 1, no long
list of failures), and a re-run once it is back resumes: it uploads only what is missing, one prediction per task."""
from __future__ import annotations

import logging

import pytest

from exports import release
from exports.io.media import VideoSource
from ls_backend.cli import main as ls_main
from ls_backend.jobs import preannotate as job
from ls_backend.workspace.project import create_project
from ls_backend.workspace.server import LabelStudioServer, free_port

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("labelstudio")]


def test_label_studio_going_away_mid_run_then_a_rerun_resumes(tmp_path, release_lines, monkeypatch, caplog):
    from label_studio_sdk import LabelStudio

    server = LabelStudioServer(data_dir=tmp_path / "ls", document_root=tmp_path / "media", port=free_port())
    server.start()
    try:
        client = LabelStudio(base_url=server.url, api_key=server.token)
        dialogues = [release.loads(line) for line in release_lines[300:306]]
        project = create_project(client, title="outage", dialogues=dialogues, videos=VideoSource())
        real_connect = job.connect

        def connect_and_stop_after_two(url, api_key, **kw):
            c = real_connect(url, api_key, **kw)
            create = c.predictions.create
            done = []

            def create_then_stop(**kwargs):
                out = create(**kwargs)
                done.append(kwargs["task"])
                if len(done) == 2:
                    server.stop()  # Label Studio goes away under the run
                return out

            c.predictions.create = create_then_stop
            return c

        monkeypatch.setattr(job, "connect", connect_and_stop_after_two)
        args = ["preannotate", "--url", server.url, "--api-key", server.token, "--project", str(project.id), "--data-dir", str(tmp_path / "b")]
        caplog.set_level(logging.INFO, logger="ls_backend.jobs.preannotate")
        assert ls_main(args) == 1
        assert "Label Studio stopped answering at task" in caplog.text and "Run `ls-backend preannotate` again" in caplog.text
        assert caplog.text.count("upload failed") == 1  # stopped at the first failure, not one error per remaining task
        monkeypatch.setattr(job, "connect", real_connect)
        server.start()  # back, same data
        caplog.clear()
        assert ls_main(args) == 0
        assert "4 predictions uploaded, 2 already there" in caplog.text
        client = LabelStudio(base_url=server.url, api_key=server.token)
        tasks = list(client.tasks.list(project=project.id, fields="all"))
        assert len(tasks) == 6 and all(len(t.predictions) == 1 for t in tasks)  # each exactly once
    finally:
        server.stop()
