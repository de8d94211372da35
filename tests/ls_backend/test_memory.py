"""Project memory: what annotators marked in a project is proposed at the very next /predict of that project,
before any retraining; other projects and requests without a project are untouched."""
from __future__ import annotations

import pytest

from ls_backend.serving.app import create_app
from ls_backend.infra.config import Config
from ls_backend.pipeline.memory import Memory
from ls_backend.serving.backend import Backend

from .test_app import _annotation_event, _task


@pytest.fixture
def config(tmp_path, database_url):
    return Config(data_dir=tmp_path / "backend", retrain_debounce=3600.0, database_url=database_url)


def _texts(client, task, project=None) -> set[str]:
    body = {"tasks": [task]} if project is None else {"tasks": [task], "project": project}
    (pred,) = client.post("/predict", json=body).json["results"]
    return {r["value"]["text"] for r in pred["result"] if "text" in r.get("value", {})}


def test_a_nickname_marked_once_is_proposed_in_the_next_task_of_the_project(config):
    backend = Backend(config, own_trainer=False)  # no training run at all: only the memory can change
    client = create_app(config, backend=backend).test_client()
    probe = _task(100, "可乐今天的造型绝了", "确实好看")
    version = client.post("/setup", json={}).json["model_version"]
    assert "可乐" not in _texts(client, probe, "1.1700000000")  # the shipped model does not know the nickname

    resp = client.post("/webhook", json=_annotation_event(1, 1, "n1", "可乐", "跳得真好"))
    assert resp.status_code == 200 and resp.json["status"].startswith("stored 1 annotation(s)")

    assert "可乐" in _texts(client, probe, "1.1700000000")  # the same project: proposed at once
    assert "可乐" not in _texts(client, probe, "2.1700000000")  # another project keeps its own memory
    assert "可乐" not in _texts(client, probe)  # a request that names no project gets no memory
    assert client.post("/setup", json={}).json["model_version"] == version  # and no retraining happened
    assert backend.store.runs() == []


def test_a_deleted_annotation_leaves_the_memory(config):
    backend = Backend(config, own_trainer=False)
    client = create_app(config, backend=backend).test_client()
    probe = _task(100, "可乐今天的造型绝了", "确实好看")
    client.post("/webhook", json=_annotation_event(1, 1, "n1", "可乐", "跳得真好"))
    assert "可乐" in _texts(client, probe, "1.1")
    client.post("/webhook", json={"action": "ANNOTATIONS_DELETED", "annotations": [{"id": 1}]})
    assert "可乐" not in _texts(client, probe, "1.1")  # the cache knows the memory's revision


def test_memory_counts_marks_and_unmarked_occurrences():
    docs = [(list("可乐跳得好"), [(0, 2)], []), (list("可乐真棒他来"), [(0, 2), (4, 5)], []),
            (list("喝可乐吧"), [], []),  # the drink: an occurrence annotators left unmarked
            (list("小白小白小白"), [(0, 2)], [])]  # marked once, left twice
    m = Memory.count(docs)
    assert m.marked == {"可乐": 2, "他": 1, "小白": 1} and m.unmarked == {"可乐": 1, "小白": 2}
    assert m.rate("可乐", prior=0.1) == pytest.approx((2 + 0.1) / (3 + 1))
    tokens = list("可乐和小白他都来了")
    got = m.mentions(tokens, kept=[((3, 4), 0.9)], prior=lambda span: 0.0)
    assert ((0, 1), pytest.approx(2.0 / 4)) in got  # proposed: marked more often than not
    assert all(span != (3, 4) for span, _ in got)  # dropped: (1 + 0.9) / (3 + 1) < 0.5
    assert all(span != (5, 5) for span, _ in got)  # one character is never added from the memory
    assert not Memory() and Memory().mentions(tokens, [((3, 4), 0.9)], lambda s: 0.0) == [((3, 4), 0.9)]


def test_surfaces_the_training_data_marks_are_left_to_the_model():
    docs = [(list("美女可乐来了"), [(0, 2), (2, 4)], []), (list("那个美女"), [], [])]
    m = Memory.count(docs, learned={"美女"})
    assert m.marked == {"可乐": 1} and "美女" not in m.unmarked  # the shipped data marks 美女: not the memory's call
    got = m.mentions(list("美女和可乐"), kept=[((0, 1), 0.3)], prior=lambda span: 0.0)
    assert [span for span, _ in got] == [(0, 1), (3, 4)]


def test_the_backend_memory_knows_what_the_shipped_data_marks(config):
    from ls_backend.infra.store import Store
    from ls_backend.kinds import backend_kind
    from ls_backend.learning.memory import ProjectMemories

    config.data_dir.mkdir(parents=True, exist_ok=True)
    memories = ProjectMemories(config, Store(config.db_url))
    learned = memories.learned(backend_kind("coref"))
    assert {"他们", "美女"} <= learned and "可乐" not in learned
    assert "中国" in memories.learned(backend_kind("ner"))


def test_an_entity_marked_in_one_post_is_proposed_in_the_next(config):
    import templates
    from exports.labelstudio import post as post_task
    from exports.posts import Entity, Post

    backend = Backend(config, own_trainer=False)
    client = create_app(config, backend=backend).test_client()
    name = "蓝莓酱酱"  # a nickname CMNER's train posts never mark
    marked = Post("p1", tuple(f"今天{name}来北京了"), (Entity(2, 6, "PER"),))
    probe = {"id": 2, **post_task.to_task(Post("p2", tuple(f"好想见{name}啊")), annotation=False)}

    def entities(project):
        body = {"tasks": [probe], "label_config": templates.ner_config(), "project": project}
        (pred,) = client.post("/predict", json=body).json["results"]
        return {(r["value"]["text"], r["value"]["labels"][0]) for r in pred["result"]}

    assert (name, "PER") not in entities("1.1")
    task = {"id": 1, **post_task.to_task(marked)}
    result = task.pop("annotations")[0]["result"]
    event = {"action": "ANNOTATION_CREATED", "project": {"id": 1}, "task": task, "annotation": {"id": 5, "result": result}}
    assert client.post("/webhook", json=event).status_code == 200
    assert (name, "PER") in entities("1.1")  # the same project, before any retraining
    assert (name, "PER") not in entities("3.1")
    assert backend.store.runs() == []
