"""The main job (`make demo`): Label Studio + demo project, reused on re-run, stopped by Ctrl-C."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from ls_backend import demo
from ls_backend.workspace.server import free_port, port_is_free

pytestmark = pytest.mark.slow


@pytest.mark.xdist_group("labelstudio")
def test_prepare_creates_the_project_once(ls_server, ls_client):
    media = ls_server.document_root
    assert demo.make_videos(media / "videos") == 6
    assert demo.make_videos(media / "videos") == 0  # re-run: videos reused
    first, created = demo.prepare(ls_client, media, ls_server.url)
    again, created_again = demo.prepare(ls_client, media, ls_server.url)
    assert (created, created_again) == (True, False) and again == first
    tasks = list(ls_client.tasks.list(project=first, fields="all"))
    assert len(tasks) == 6
    assert all(t.data["video"].startswith("/data/local-files/?d=videos/9000000000000000") for t in tasks)
    predictions = list(ls_client.predictions.list(task=tasks[0].id))
    assert [p.model_version for p in predictions] == [demo.PROPOSALS_VERSION]
    assert {r["from_name"] for r in predictions[0].result} >= {"mention", "box"}


@pytest.mark.xdist_group("labelstudio")
def test_the_demo_post_project_is_created_once_with_its_images(ls_server, ls_client):
    media = ls_server.document_root
    assert demo.make_post_images(media / "post-images") == 11 and demo.make_post_images(media / "post-images") == 0
    first, created = demo.prepare_posts(ls_client, media, ls_server.url)
    again, created_again = demo.prepare_posts(ls_client, media, ls_server.url)
    assert (created, created_again) == (True, False) and again == first
    tasks = list(ls_client.tasks.list(project=first, fields="all"))
    assert len(tasks) == 6 and [len(t.data["images"]) for t in sorted(tasks, key=lambda t: t.data["post_id"])] == [2, 1, 3, 2, 1, 2]
    assert all(i.startswith("/data/local-files/?d=post-images/demo-post-") for t in tasks for i in t.data["images"])
    (prediction,) = ls_client.predictions.list(task=tasks[0].id)
    assert prediction.model_version == demo.PROPOSALS_VERSION and {r["from_name"] for r in prediction.result} == {"entity"}


def test_demo_job_serves_and_stops_on_ctrl_c(tmp_path):
    port = free_port()
    backend_port = free_port()
    while backend_port == port:
        backend_port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "ls_backend.demo", "--dir", str(tmp_path / "demo"), "--port", str(port), "--backend-port", str(backend_port)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    lines: list[str] = []
    try:
        deadline = time.monotonic() + 400
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line and proc.poll() is not None:
                break
            lines.append(line)
            if "Press Ctrl-C to stop." in line:
                break
        out = "".join(lines)
        assert "Press Ctrl-C to stop." in out, out[-3000:]
        url = next(l.split()[-1] for l in lines if l.strip().startswith("Open"))
        assert url.startswith(f"http://127.0.0.1:{port}/projects/")
        assert "admin@mcr-studio.local / mcr-studio" in out
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5) as resp:
            assert resp.status == 200
        assert f"Backend   http://127.0.0.1:{backend_port}" in out
        with urllib.request.urlopen(f"http://127.0.0.1:{backend_port}/health", timeout=5) as resp:
            assert json.loads(resp.read())["status"] == "UP"
        project = url.rstrip("/").split("/")[-2]
        creds = json.loads((tmp_path / "demo" / "credentials.json").read_text())
        req = urllib.request.Request(f"http://127.0.0.1:{port}/api/predictions?project={project}", headers={"Authorization": f"Token {creds['token']}"})
        with urllib.request.urlopen(req, timeout=10) as resp:
            predictions = json.loads(resp.read())
        assert len(predictions) == 6 and all(p["model_version"].startswith("text-") for p in predictions)  # from the backend
        with_persons = [p for p in predictions if any(r["type"] == "videorectangle" for r in p["result"])]
        assert len(with_persons) == 5  # preannotated; the third demo video shows nobody
        posts = next(l.split()[1] for l in lines if l.strip().startswith("Posts")).rstrip("/").split("/")[-2]
        req = urllib.request.Request(f"http://127.0.0.1:{port}/api/predictions?project={posts}", headers={"Authorization": f"Token {creds['token']}"})
        with urllib.request.urlopen(req, timeout=10) as resp:
            post_predictions = json.loads(resp.read())
        assert len(post_predictions) == 6 and all(p["model_version"].startswith("ner-") for p in post_predictions)  # the same backend
        assert sum(len(p["result"]) for p in post_predictions) >= 10
        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, rest[-2000:]
    assert "MCR Studio demo stopped." in rest
    for p in (port, backend_port):
        assert port_is_free(p)
        with pytest.raises(ConnectionRefusedError):  # nothing listens any more
            socket.create_connection(("127.0.0.1", p), timeout=5)
    assert len(list((tmp_path / "demo" / "media" / "videos").glob("*.mp4"))) == 6
