"""What the backend does when a part it depends on goes away under it: the store's PostgreSQL restarted (requests in
the gap get a 503 with Retry-After, the backend recovers without a restart, nothing stored is lost), and the disk full
while a new model version is saved (the previous version keeps serving, the run is recorded as failed with why)."""
from __future__ import annotations

import subprocess

import pytest

import templates
from exports import labelstudio, release
from ls_backend.infra.config import Config
from ls_backend.serving.app import create_app
from ls_backend.serving.backend import Backend


def _event(line: str, ann_id: int) -> dict:
    d = release.loads(line)
    return {"action": "ANNOTATION_CREATED", "project": {"id": 1}, "task": {"id": ann_id, "data": labelstudio.to_task(d, annotation=False)["data"]},
            "annotation": {"id": ann_id, "result": labelstudio.to_result(d)}}


def _under_load(app, release_lines, restart) -> list[int]:
    """Statuses of /predict requests sent by 4 threads while ``restart`` stops and starts the database (bounded: at most
    400 requests, each with a 30 s timeout on the test client's side)."""
    import threading
    import time as _time
    from concurrent.futures import ThreadPoolExecutor

    done = threading.Event()
    tasks = [{"id": 100 + i, "data": labelstudio.to_task(release.loads(line), annotation=False)["data"]} for i, line in enumerate(release_lines[10:30])]

    def send(k: int) -> list[int]:
        client, out = app.test_client(), []
        while not done.is_set() and len(out) < 100:
            out.append(client.post("/predict", json={"tasks": [tasks[(k + len(out)) % len(tasks)]]}).status_code)
        return out

    with ThreadPoolExecutor(4) as pool:
        futures = [pool.submit(send, k) for k in range(4)]
        _time.sleep(0.5)
        restart()
        _time.sleep(0.5)
        done.set()
        return [s for f in futures for s in f.result(timeout=60)]


def test_the_store_restarting_gets_503s_then_the_backend_recovers_without_a_restart(tmp_path, release_lines):
    from tests.support.postgres import available, controlled_postgres

    if not available():
        pytest.fail("PostgreSQL's initdb / pg_ctl not found: install Debian's postgresql package (make test does)")
    with controlled_postgres() as (url, control):
        config = Config(data_dir=tmp_path / "b", database_url=url, retrain_debounce=3600.0)
        backend = Backend(config, own_trainer=False)
        client = create_app(config, backend).test_client()
        task = {"id": 1, "data": labelstudio.to_task(release.loads(release_lines[0]), annotation=False)["data"]}
        assert client.post("/predict", json={"tasks": [task], "label_config": templates.labeling_config()}).status_code == 200
        assert client.post("/webhook", json=_event(release_lines[1], 11)).status_code == 200
        statuses = _under_load(create_app(config, backend), release_lines, lambda: (control("stop"), control("start")))
        assert statuses and set(statuses) <= {200, 503} and 503 in statuses, sorted(set(statuses))  # never a 500 or a hang
        control("stop")  # the database goes away
        try:
            for path, body in (("/predict", {"tasks": [{"id": 2, "data": labelstudio.to_task(release.loads(release_lines[2]), annotation=False)["data"]}]}),
                               ("/webhook", _event(release_lines[3], 13)), ("/metrics", None)):
                resp = client.post(path, json=body) if body is not None else client.get(path)
                assert resp.status_code == 503 and resp.headers["Retry-After"] == "5", (path, resp.status_code, resp.json)
                assert "store is not answering" in resp.json["error"] and "Traceback" not in resp.get_data(as_text=True)
        finally:
            control("start")
        # back: no restart of the backend, the same objects
        assert client.post("/predict", json={"tasks": [task], "label_config": templates.labeling_config()}).status_code == 200
        assert client.post("/webhook", json=_event(release_lines[3], 13)).status_code == 200  # the client's retry
        assert sorted(a.ls_annotation_id for a in backend.store.live_annotations()) == [11, 13]  # nothing lost, nothing twice
        backend.close()
        backend.store.engine.dispose()


def test_a_full_disk_while_saving_a_version_keeps_the_previous_one_serving(tmp_path, release_lines):
    models = tmp_path / "b" / "models"
    models.mkdir(parents=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(models)], capture_output=True, text=True)
    assert mounted.returncode == 0, f"cannot mount a small tmpfs to fill (run as root, as make test does): {mounted.stderr}"
    try:
        config = Config(data_dir=tmp_path / "b", retrain_debounce=3600.0)
        backend = Backend(config, own_trainer=False)
        client = create_app(config, backend).test_client()
        before = backend.version
        assert client.post("/webhook", json=_event(release_lines[5], 21)).status_code == 200
        with pytest.raises(OSError) as caught:
            backend.trainer.retrain()  # the text model (700 KB) does not fit in 256 KB
        assert caught.value.errno == 28  # ENOSPC
        assert backend.version == before and Backend(config, own_trainer=False).version == before  # and after a restart
        (run,) = backend.store.runs()
        assert run.status == "failed" and "No space left on device" in run.error
        assert not [p for p in models.rglob("*") if p.is_file()]  # no half-written model file left behind
        task = {"id": 1, "data": labelstudio.to_task(release.loads(release_lines[0]), annotation=False)["data"]}
        assert client.post("/predict", json={"tasks": [task]}).json["model_version"] == before  # still serving
        backend.close()
    finally:
        subprocess.run(["umount", str(models)], capture_output=True)
