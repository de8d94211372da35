"""`ls-backend start` (gunicorn) connected to a real Label Studio 1.23.2."""
from __future__ import annotations

import contextlib
import io
import json
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from exports import labelstudio, release
from ls_backend.infra.config import Config
from ls_backend.pipeline.text.model import SHIPPED, TextModel
from ls_backend.pipeline.text.predict import predict_dialogue
from ls_backend.cli import main as ls_main
from tests.support.backend import running_backend

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("labelstudio")]
REPO = Path(__file__).resolve().parents[2]


def _get(url: str, timeout: float = 5.0) -> dict:
    with urllib.request.urlopen(url, timeout=timeout) as resp:
        return json.loads(resp.read())


@pytest.fixture(scope="module")
def backend(tmp_path_factory):
    with running_backend(tmp_path_factory.mktemp("backend")) as server:
        yield server.url


def test_label_studio_gets_predictions_and_learns(ls_server, ls_client, backend, release_lines, tmp_path):
    src = tmp_path / "ten.jsonl"
    src.write_text("\n".join(release_lines[100:110]) + "\n", encoding="utf-8")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        rc = ls_main(["project", "create", "--url", ls_server.url, "--api-key", ls_server.token, "--title", "with backend",
                      "--from", str(src), "--ml-backend", backend])
    assert rc == 0
    project_id = int(out.getvalue().strip().splitlines()[-1])
    version = _get(backend + "/health")["model_version"]

    # project create asked Label Studio to retrieve predictions from the backend for every task
    tasks = list(ls_client.tasks.list(project=project_id, fields="all"))
    assert len(tasks) == 10
    model, mentions = TextModel.load(SHIPPED), 0
    for i, task in enumerate(tasks):
        shown = [p if isinstance(p, dict) else p.dict() for p in task.predictions]  # what the editor shows
        assert [p["model_version"] for p in shown] == [version], task.id
        proposed, _ = predict_dialogue(model, labelstudio.read_task({"id": task.id, "data": task.data}, i, Config().max_dialogue_chars))
        text = "".join(t.text for t in proposed.turns)
        expected = sorted(text[s : e + 1] for c in proposed.clusters for s, e in c.spans)  # what the model proposes
        assert sorted(r["value"]["text"] for r in shown[0]["result"] if r["from_name"] == "mention") == expected, task.id
        mentions += len(expected)
    assert mentions >= 10
    backend_row = next(iter(ls_client.ml.list(project=project_id)))
    assert backend_row.model_version == version

    # an annotation submitted through the API reaches /webhook and yields a new version
    d = release.loads(release_lines[100])
    ls_client.annotations.create(id=tasks[0].id, result=labelstudio.to_result(d), was_cancelled=False)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        metrics = _get(backend + "/metrics")
        if metrics["model_version"] != version:
            break
        time.sleep(1)
    assert metrics["model_version"] != version and metrics["model_version"].endswith("-a1")
    assert metrics["annotations"] == 1
    assert _get(backend + "/health")["model_version"] == metrics["model_version"]


def test_kill_during_training_leaves_the_previous_version(tmp_path):
    """SIGKILL a process in the middle of retraining: the store still serves the old version."""
    from ls_backend.infra.config import Config
    from ls_backend.serving.backend import Backend

    config = Config(data_dir=tmp_path / "b")
    before = Backend(config).version
    script = (
        "import time, ls_backend.serving.backend as s, ls_backend.pipeline.text.model as t\n"
        "from ls_backend.infra.config import Config\n"
        "real = t.train\n"
        "def slow(*a, **k):\n"
        "    print('training', flush=True); time.sleep(60); return real(*a, **k)\n"
        "t.train = slow\n"
        f"s.Backend(Config(data_dir=__import__('pathlib').Path({str(config.data_dir)!r}))).trainer.retrain()\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, cwd=REPO)
    assert proc.stdout.readline().strip() == "training"
    proc.kill()
    proc.wait(10)
    service = Backend(config)  # the next start
    assert service.version == before
    assert [r.status for r in service.store.runs()] == ["interrupted"]
