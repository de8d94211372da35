"""`--ray`: the video analyses on a real Ray cluster (``ray start --head`` on 127.0.0.1, 2 CPUs, shared by
these tests): the same predictions as the local path, a worker killed mid-job, a clip that cannot be decoded."""
from __future__ import annotations

import collections
import json
import logging
import os
import signal
import threading

import pytest

from exports import release
from ls_backend.cli import main as ls_main
from ls_backend.infra.config import Config
from ls_backend.jobs.preannotate import preannotate
from ls_backend.infra.store import Store
from tests.ls_backend.video.conftest import small_clips, video_project

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("labelstudio")]

DIALOGUE = [{"speaker": "A", "text": "王一博和这个小姐姐好配"}, {"speaker": "B", "text": "他俩真的好看"}]


def test_predict_tasks_on_ray_gives_the_local_predictions(ray_cluster, tmp_path, caplog):
    clips = small_clips(tmp_path, 3)
    (tmp_path / "broken.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42 truncated")
    tasks = [{"data": {"doc_key": f"t{i}", "dialogue": DIALOGUE, "video": name}} for i, name in enumerate([*clips, "broken.mp4"])]
    path = tmp_path / "tasks.json"
    path.write_text(json.dumps(tasks, ensure_ascii=False), encoding="utf-8")
    local, on_ray = tmp_path / "local.json", tmp_path / "ray.json"
    assert ls_main(["predict", "--tasks", str(path), "--out", str(local), "--format", "labelstudio"]) == 1  # the broken clip
    caplog.clear()
    caplog.set_level(logging.INFO, logger="ls_backend.jobs.ray_jobs")
    assert ls_main(["predict", "--tasks", str(path), "--out", str(on_ray), "--format", "labelstudio", "--ray", ray_cluster.address]) == 1
    assert "ray: 2 video workers" in caplog.text
    assert f"{tmp_path / 'broken.mp4'}: not a video PyAV can open" in caplog.text  # named as the driver knows it
    ours, theirs = json.loads(local.read_text(encoding="utf-8")), json.loads(on_ray.read_text(encoding="utf-8"))
    assert ours == theirs
    boxes = [sum(r["type"] == "videorectangle" for r in t["predictions"][0]["result"]) for t in theirs]
    assert boxes == [1, 2, 1, 0]  # the planted faces; the broken clip keeps its text proposals


def test_preannotate_on_ray_survives_a_killed_worker(ray_cluster, ls_server, ls_client, release_lines, tmp_path, monkeypatch, caplog):
    lines = release_lines[300:306]
    keys = [release.loads(line).doc_key for line in lines]
    videos = ls_server.document_root / "preannotate-ray"
    videos.mkdir(exist_ok=True)
    for key, name in zip(keys, small_clips(tmp_path, 5)):
        (tmp_path / name).rename(videos / f"{key}.mp4")
    (videos / f"{keys[5]}.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42 truncated")
    project_id = video_project(ls_server, lines, videos, tmp_path / "six.jsonl", "preannotate on ray")

    saved = collections.Counter()
    save = Store.save_video_result
    monkeypatch.setattr(Store, "save_video_result", lambda self, key, *a, **kw: (saved.update([key]), save(self, key, *a, **kw))[1])
    killed: list[int] = []
    stop = threading.Event()

    def kill_a_busy_worker() -> None:  # fault injection: SIGKILL the first worker seen analysing a clip
        while not stop.is_set() and not killed:
            for pid in ray_cluster.worker_pids("ray::VideoWorker.analyse"):
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
                break
            stop.wait(0.01)

    killer = threading.Thread(target=kill_a_busy_worker, daemon=True)
    killer.start()
    config = Config(data_dir=tmp_path / "backend")
    try:
        assert preannotate(config, ls_server.url, ls_server.token, project_id, ray=ray_cluster.address) == 1  # the broken clip
    finally:
        stop.set()
        killer.join()
    assert killed, "no worker was seen analysing a clip"
    assert len(saved) == 6 and set(saved.values()) == {1}  # every clip analysed and stored once, the killed one too
    assert "not a video PyAV can open" in caplog.text
    shown = {t.data["doc_key"]: [p if isinstance(p, dict) else p.dict() for p in t.predictions]
             for t in ls_client.tasks.list(project=project_id, fields="all")}
    assert {k: len(v) for k, v in shown.items()} == {k: 1 for k in keys}  # nothing uploaded twice
    persons = [sum(r["type"] == "videorectangle" for r in shown[k][0]["result"]) for k in keys]
    assert persons == [1, 2, 1, 2, 1, 0]

    caplog.clear()  # a re-run resumes from the store: nothing analysed, nothing uploaded again
    caplog.set_level(logging.INFO, logger="ls_backend.jobs.preannotate")
    assert preannotate(config, ls_server.url, ls_server.token, project_id, ray=ray_cluster.address) == 1
    assert "0 predictions uploaded, 6 already there" in caplog.text and len(saved) == 6 and set(saved.values()) == {1}
