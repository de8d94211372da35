"""The ML backend over Flask's test client: protocol, bad input, learning in the loop, the store."""
from __future__ import annotations

import base64
import json
import time

import pytest

from exports import labelstudio, release
from ls_backend.serving.app import create_app
from ls_backend.infra.config import Config
from ls_backend.serving.backend import Backend
from ls_backend.infra.store import Store

TEMPLATE = open(__import__("templates").__file__.replace("__init__.py", "coref_video.xml"), encoding="utf-8").read()


@pytest.fixture
def config(tmp_path, database_url):
    """The backend on SQLite and on PostgreSQL (every test of this module runs on both)."""
    return Config(data_dir=tmp_path / "backend", retrain_debounce=0.2, database_url=database_url)


@pytest.fixture
def client(config):
    return create_app(config).test_client()


def _task(tid: int, a: str, b: str, title: str = "", doc_key: str | None = None) -> dict:
    return {"id": tid, "data": {"doc_key": doc_key or f"d{tid}", "dialogue": [{"speaker": "A", "text": a}, {"speaker": "B", "text": b}], "title": title}}


def test_setup_then_predict_follows_the_protocol(client, label_interface):
    version = client.post("/setup", json={"project": "1.1700000000", "schema": TEMPLATE}).json["model_version"]
    assert version.startswith("text-")
    resp = client.post("/predict", json={"tasks": [_task(1, "王一博和肖战他俩太好笑了", "他真的很可爱", "#王一博 #肖战")], "label_config": TEMPLATE})
    assert resp.status_code == 200
    (pred,) = resp.json["results"]
    assert pred["model_version"] == version == resp.json["model_version"]
    assert 0.0 <= pred["score"] <= 1.0
    assert label_interface.validate_prediction(pred, return_errors=True) == []
    texts = {r["value"]["text"] for r in pred["result"]}
    assert {"王一博", "肖战", "他俩"} <= texts


def test_prediction_cache_survives_a_restart(config):
    task = _task(1, "王一博和肖战他俩太好笑了", "他真的很可爱")
    first = create_app(config).test_client().post("/predict", json={"tasks": [task]}).json["results"][0]
    service = Backend(config)  # a new process: same store
    again = create_app(config, service).test_client().post("/predict", json={"tasks": [task]}).json["results"][0]
    assert again == first and service.stats.counts["cache_hits"] == 1


@pytest.mark.parametrize(
    ("route", "payload", "status", "error"),
    [
        ("/predict", "not json", 400, "expected a JSON object body"),
        ("/predict", {}, 400, "predict: 'tasks' is missing; expected a list of Label Studio tasks"),
        ("/predict", {"tasks": "abc"}, 400, "predict: 'tasks' must be a list of tasks, got str"),
        ("/predict", {"tasks": [_task(1, "你好", "好")], "label_config": "<View><Text name='t' value='$t'/></View>"}, 400,
         'predict: the labeling config has no <Paragraphs name="dialogue"> or <ParagraphLabels name="mention">; use MCR Studio\'s template (templates/coref_video.xml)'),
        ("/setup", {"schema": "<View><Paragraphs name='dialogue' value='$d'/></View>"}, 400,
         'setup: the labeling config has no <ParagraphLabels name="mention">; use MCR Studio\'s template (templates/coref_video.xml)'),
        ("/setup", {"schema": "<View"}, 400, "setup: the labeling config is not XML: unclosed token: line 1, column 0"),
        ("/webhook", {"annotation": {}}, 400, "webhook: 'action' is missing; expected a Label Studio webhook event"),
        ("/webhook", {"action": "ANNOTATION_CREATED", "annotation": {"id": "x"}}, 400,
         "webhook: ANNOTATION_CREATED: annotation: expected an object with an integer 'id'"),
        ("/webhook", {"action": "ANNOTATION_CREATED", "annotation": {"id": 3, "result": []}}, 400,
         "webhook: ANNOTATION_CREATED: task.data: expected the annotated task's data (send_payload must be on)"),
        ("/nowhere", {}, 404, "no route /nowhere"),
    ],
)
def test_malformed_payloads_get_exact_errors(client, route, payload, status, error):
    if isinstance(payload, str):
        resp = client.post(route, data=payload, content_type="application/json")
    else:
        resp = client.post(route, json=payload)
    assert resp.status_code == status
    assert resp.json == {"error": error}


@pytest.mark.parametrize(
    ("task", "error"),
    [
        ({"id": 7, "data": {"dialogue": []}}, "task 7: data.dialogue: expected a non-empty list of {speaker, text} turns"),
        ({"id": 8, "data": {"dialogue": [{"speaker": "A", "text": "我" * 100_000}]}}, "task 8: data.dialogue: 100000 characters; this backend takes dialogues of up to 4000"),
        ({"id": 9, "data": {"dialogue": [{"speaker": "A", "text": ""}]}}, "task 9: data.dialogue: every turn is empty"),
        ({"id": 10, "data": {"dialogue": [{"speaker": "A", "text": "他"}], "title": 5}}, "task 10: data.title: expected a string, got int"),
        ("oops", "tasks[1]: expected a task object, got str"),
    ],
)
def test_a_bad_task_gets_an_error_and_the_others_are_answered(client, task, error):
    resp = client.post("/predict", json={"tasks": [_task(1, "他来了", "你好"), task]})
    assert resp.status_code == 200
    good, bad = resp.json["results"]
    assert "result" in good and "error" not in good
    assert bad["error"] == error and "result" not in bad  # Label Studio skips entries without a result
    only_bad = client.post("/predict", json={"tasks": [task]})
    assert only_bad.status_code == 400 and only_bad.json["results"][0]["error"] == error.replace("tasks[1]", "tasks[0]")


def test_basic_auth(config):
    app = create_app(Config(data_dir=config.data_dir, basic_auth_user="ls", basic_auth_pass="s3cret"))
    c = app.test_client()
    assert c.get("/health").status_code == 401
    bad = base64.b64encode(b"ls:wrong").decode()
    assert c.get("/health", headers={"Authorization": f"Basic {bad}"}).status_code == 401
    good = base64.b64encode(b"ls:s3cret").decode()
    assert c.get("/health", headers={"Authorization": f"Basic {good}"}).json["status"] == "UP"


def _annotation_event(aid: int, tid: int, doc_key: str, name: str, tail: str) -> dict:
    d = release.loads(json.dumps({"doc_key": doc_key, "genre": "wb", "sentences": [list(name + tail), list("哈哈哈")],
                                  "clusters": [[[0, len(name) - 1]]], "entity_label": ["none"], "visual_annotations": []}, ensure_ascii=False))
    task = labelstudio.to_task(d)
    return {"action": "ANNOTATION_CREATED", "project": {"id": 1},
            "task": {"id": tid, "data": task["data"]}, "annotation": {"id": aid, "result": task["annotations"][0]["result"]}}


def test_annotations_of_a_new_name_change_later_predictions(config):
    service = Backend(config)
    client = create_app(config, service).test_client()
    probe = _task(100, "可乐今天的造型绝了", "确实好看")

    def found() -> bool:
        (pred,) = client.post("/predict", json={"tasks": [probe]}).json["results"]
        return any(r["value"]["text"] == "可乐" for r in pred["result"])

    before = client.post("/setup", json={}).json["model_version"]
    assert not found()
    tails = ["跳得真好", "太可爱了吧", "这次又上热搜", "唱歌好听", "演技进步了", "笑起来好甜"]
    for i, tail in enumerate(tails):
        resp = client.post("/webhook", json=_annotation_event(i + 1, i + 1, f"n{i}", "可乐", tail))
        assert resp.status_code == 200 and resp.json["status"].startswith("stored 1 annotation(s)")
    assert service.trainer.wait_idle(120)
    after = client.post("/setup", json={}).json["model_version"]
    assert after != before and after.endswith("-a6")
    assert found()
    assert [r.status for r in service.store.runs()] == ["done"]  # six annotations, one debounced training run
    metrics = client.get("/metrics").json
    assert metrics["model_version"] == after and metrics["annotations"] == 6


def test_deleted_annotations_and_other_events(config):
    service = Backend(config)
    client = create_app(config, service).test_client()
    client.post("/webhook", json=_annotation_event(5, 5, "n5", "可乐", "跳得真好"))
    assert client.post("/webhook", json={"action": "ANNOTATIONS_DELETED", "annotations": [{"id": 5}]}).json["status"] == "marked 1 annotation(s) deleted"
    assert client.post("/webhook", json={"action": "PROJECT_UPDATED", "project": {"id": 1}}).json["status"] == "ignored 'PROJECT_UPDATED'"
    assert service.store.count_annotations() == 0
    assert service.trainer.wait_idle(120)


def test_a_failed_training_keeps_the_previous_version(config, monkeypatch):
    service = Backend(config)
    before = service.version

    def broken(*args, **kwargs):
        raise MemoryError("simulated crash while training")

    monkeypatch.setattr("ls_backend.pipeline.text.model.train", broken)
    with pytest.raises(MemoryError):
        service.trainer.retrain()
    assert service.version == before
    assert Backend(config).version == before  # and after a restart
    (run,) = service.store.runs()
    assert run.status == "failed" and "simulated crash" in run.error


def test_wrong_model_path_fails_at_start_up(tmp_path):
    with pytest.raises(ValueError, match="no text model there"):
        Backend(Config(data_dir=tmp_path / "b", text_model=tmp_path / "missing"))


def test_config_layers(tmp_path):
    file = tmp_path / "c.json"
    file.write_text(json.dumps({"retrain_debounce": 5, "max_dialogue_chars": 100}))
    cfg = Config.load(file, env={"MCR_RETRAIN_DEBOUNCE": "7"}, data_dir=str(tmp_path))
    assert (cfg.retrain_debounce, cfg.max_dialogue_chars, cfg.data_dir) == (7.0, 100, tmp_path)
    file.write_text(json.dumps({"debounce": 5}))
    with pytest.raises(ValueError, match=r"unknown key\(s\) \['debounce'\]"):
        Config.load(file, env={})
    with pytest.raises(ValueError, match="config max_dialogue_chars: expected int, got 'lots'"):
        Config.load(None, env={"MCR_MAX_DIALOGUE_CHARS": "lots"})


def test_store_activates_one_version_at_a_time(tmp_path, database_url):
    store = Store(database_url or f"sqlite:///{tmp_path / 'x.db'}")
    store.add_version("v1", "/p", {})
    store.add_version("v2", "/q", {})
    assert store.active_version().version == "v2" and [v.version for v in store.versions()] == ["v1", "v2"]


def _box_region(rid: str, label: str, frame: int = 10) -> dict:
    value = labelstudio.box_value(frame, (100, 100, 200, 220), (720, 1280), 30.0, 900)
    return {"id": rid, "from_name": "box", "to_name": "video", "type": "videorectangle", "origin": "prediction",
            "value": {**value, "labels": [label]}}


def test_an_annotation_with_proposals_left_in_trains_on_its_valid_parts(config):
    """Submitted as proposed: an unlinked box (C3, no mention has its number) and an orphan name do not
    cost the clusters; what was left out is reported in /metrics, not only in a log."""
    service = Backend(config)
    client = create_app(config, service).test_client()
    d = release.loads(json.dumps({"doc_key": "w1", "genre": "wb", "sentences": [list("可乐今天的造型绝了"), list("她真的好看")],
                                  "clusters": [[[0, 1], [9, 9]]], "entity_label": ["none"], "visual_annotations": []}, ensure_ascii=False))
    task = {"id": 7, "data": {**labelstudio.to_task(d)["data"], "fps": 30.0, "frame_width": 720, "frame_height": 1280}}
    result = labelstudio.to_result(d) + [_box_region("p1", "C1"), _box_region("p2", "C3", 40)]
    event = {"action": "ANNOTATION_CREATED", "annotation": {"id": 71, "result": result}, "task": task, "project": {"id": 1}}
    assert client.post("/webhook", json=event).status_code == 200
    assert service.trainer.wait_idle(120)
    dialogues, _, n_annotated = service.trainer.training_set()
    assert n_annotated == 1
    (trained,) = [x for x in dialogues if x.doc_key == "w1"]
    assert [c.spans for c in trained.clusters] == [((0, 1), (9, 9))] and [b.label for b in trained.boxes] == ["C1"]
    metrics = client.get("/metrics").json
    assert metrics["annotations_not_fully_used"] == 1
    (note,) = metrics["left_out_of_training"]
    assert note["annotation"] == 71 and note["task"] == 7 and note["doc_key"] == "w1" and note["usable"] is True
    assert note["left_out"] == ["box C3: no mention is labelled with the box's number(s); left out"]
    from ls_backend.commands.status import render  # what `ls-backend status` prints for the project lead

    shown = render(metrics)
    assert "1 received; 1 not fully used for training" in shown
    assert "  annotation 71 (task 7, w1)\n    - box C3: no mention is labelled with the box's number(s); left out" in shown
    assert service.store.runs()[-1].annotations == 1  # the training run counted it
    # the annotator fixes it: the note goes away
    fixed = {**event, "action": "ANNOTATION_UPDATED", "annotation": {"id": 71, "result": result[:-1]}}
    client.post("/webhook", json=fixed)
    assert client.get("/metrics").json["left_out_of_training"] == []
    assert service.trainer.wait_idle(120)


def test_an_unreadable_annotation_is_reported(config):
    service = Backend(config)
    client = create_app(config, service).test_client()
    event = {"action": "ANNOTATION_CREATED", "annotation": {"id": 72, "result": []}, "task": {"id": 8, "data": {"dialogue": []}}}
    client.post("/webhook", json=event)
    (note,) = client.get("/metrics").json["left_out_of_training"]
    assert note["usable"] is False and note["left_out"][0].startswith("not usable for training: task 8: data.doc_key")
    assert service.trainer.wait_idle(120)


def test_metrics_add_up_every_worker(config):
    """Two services on one store stand for two gunicorn workers: /metrics of either reports both."""
    one, two = Backend(config), Backend(config)
    a, b = create_app(config, one).test_client(), create_app(config, two).test_client()
    a.post("/predict", json={"tasks": [_task(1, "王一博今天好帅", "他真的很可爱")]})
    b.post("/predict", json={"tasks": [_task(2, "肖战唱歌好听", "他唱得真好")]})
    b.post("/predict", json={"tasks": [_task(2, "肖战唱歌好听", "他唱得真好")]})
    deadline = time.monotonic() + 30  # each worker writes its counters in the background within a second
    while time.monotonic() < deadline:
        seen = [(m["predictions"], m["cache_hits"], m["latency_ms"]["n"]) for m in (c.get("/metrics").json for c in (a, b))]
        if seen == [(3, 1, 3)] * 2:
            break
        time.sleep(0.2)
    assert seen == [(3, 1, 3)] * 2


def test_training_runs_in_a_process_of_its_own(config):
    """The web side only requests a run; a trainer process (not this one) trains and activates the version."""
    import os

    service = Backend(config)
    client = create_app(config, service).test_client()
    before = service.version
    assert client.post("/webhook", json=_annotation_event(1, 1, "n1", "可乐", "跳得真好")).status_code == 200
    assert service.trainer.wait_idle(120)
    row = service.store.active_version()
    assert row.version != before and row.version == client.get("/health").json["model_version"]
    host, _, pid = row.info["trained_in"].rpartition(":")
    assert pid.isdigit() and int(pid) != os.getpid()
    service.close()


def test_label_studio_connection_settings(tmp_path):
    from exports.io import InputError

    file = tmp_path / "c.json"
    file.write_text(json.dumps({"label_studio_url": "http://file:8080", "label_studio_token": "k-file"}))  # the key's old name
    assert Config.load(file, env={}).label_studio() == ("http://file:8080", "k-file")
    cfg = Config.load(file, env={"LABEL_STUDIO_URL": "http://env:8080", "LABEL_STUDIO_API_KEY": "k-env"})
    assert cfg.label_studio() == ("http://env:8080", "k-env")
    assert cfg.label_studio("http://flag:1", None) == ("http://flag:1", "k-env")  # a flag wins
    with pytest.raises(InputError, match=r"needs --url and --api-key \(or LABEL_STUDIO_URL and LABEL_STUDIO_API_KEY\)"):
        Config.load(None, env={}).label_studio()
    assert Config.from_json(json.loads(json.dumps(cfg.to_json()))) == cfg  # what the trainer process is given
