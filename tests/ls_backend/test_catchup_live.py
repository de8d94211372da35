"""Catch-up learning on a real Label Studio 1.23.2: annotations imported with the tasks, and ones submitted while the
backend was stopped, never came by webhook; the backend reads them through the API before training and counts each
once (a webhook and a catch-up of the same annotation are one annotation)."""
from __future__ import annotations

import contextlib
import io
import json
import time
import urllib.request

import pytest

from exports import labelstudio, release
from ls_backend.cli import main as ls_main
from tests.support.backend import running_backend

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("labelstudio")]


def _post(url: str, body: dict) -> dict:
    req = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as resp:
        return json.loads(resp.read())


def _wait(backend, what, timeout: float = 180.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        metrics = backend.metrics()
        if what(metrics) or time.monotonic() > deadline:
            return metrics
        time.sleep(1)


def test_annotations_that_no_webhook_brought_are_learned_from(ls_server, ls_client, release_lines, tmp_path):
    source = tmp_path / "six.jsonl"
    source.write_text("\n".join(release_lines[200:206]) + "\n", encoding="utf-8")
    ls_server.wait()
    env = {"LABEL_STUDIO_URL": ls_server.url, "LABEL_STUDIO_API_KEY": ls_server.token}
    data = tmp_path / "backend"
    with running_backend(data, debounce=3600.0, env=env) as backend:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):  # two annotated tasks come with the import: no webhook for them
            assert ls_main(["project", "create", "--url", ls_server.url, "--api-key", ls_server.token, "--title", "catch-up",
                            "--from", str(source), "--with-annotations", "--ml-backend", backend.url]) == 0
        project_id = int(out.getvalue().strip().splitlines()[-1])
        tasks = sorted(ls_client.tasks.list(project=project_id, fields="all"), key=lambda t: t.id)
        assert len(tasks) == 6 and all(len(t.annotations) == 1 for t in tasks)
        other = tmp_path / "other.jsonl"  # a project of the same Label Studio that is not connected to this backend
        other.write_text("\n".join(release_lines[220:223]) + "\n", encoding="utf-8")
        with contextlib.redirect_stdout(io.StringIO()):
            assert ls_main(["project", "create", "--url", ls_server.url, "--api-key", ls_server.token, "--title", "not ours",
                            "--from", str(other), "--with-annotations"]) == 0
        _post(backend.url + "/train", {})
        metrics = _wait(backend, lambda m: m["annotations"] == 6 and not m["training"] and m["training_runs"])
        assert metrics["annotations"] == 6 and metrics["annotations_by_catch_up"] == 6  # the other project's 3 are not ours
        assert metrics["training_runs"][-1]["annotations"] == 6  # the run trained on all of them
    # the backend is stopped: an annotation submitted now reaches no webhook
    d = release.loads(release_lines[206])
    late = ls_client.tasks.create(project=project_id, data=labelstudio.to_task(d, annotation=False)["data"])
    ls_client.annotations.create(id=late.id, result=labelstudio.to_result(d), was_cancelled=False)
    ls_client.annotations.delete(id=tasks[0].annotations[0]["id"] if isinstance(tasks[0].annotations[0], dict) else tasks[0].annotations[0].id)
    with running_backend(data, debounce=3600.0, env=env) as backend:  # restarted on the same store
        _post(backend.url + "/train", {})
        metrics = _wait(backend, lambda m: len(m["training_runs"]) >= 2 and not m["training"])
        assert metrics["annotations"] == 6  # 6 - 1 deleted + 1 late, each once
        assert metrics["training_runs"][-1]["annotations"] == 6 and metrics["annotations_by_catch_up"] == 6
        shown = ls_main(["status", "--backend", backend.url])
        assert shown == 0
