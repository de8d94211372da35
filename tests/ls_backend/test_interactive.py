"""Interactive assistance (``/predict`` with ``params.context``): one mention marked, the rest of its chain proposed
with the same number; one entity marked, its other occurrences and the model's entities of its type. Never a region
the task shows already, never the annotator's own regions; a bad context is a 400 naming the field."""
from __future__ import annotations

import pytest

import templates
from exports import labelstudio
from exports.dialogue import make_dialogue
from exports.labelstudio import post as post_task
from exports.labelstudio.marks import dialogue_regions, post_regions
from exports.posts import Post
from ls_backend.infra.config import Config
from ls_backend.pipeline.assist import chain, entities
from ls_backend.serving.app import create_app
from ls_backend.serving.backend import Backend

CONFIG = templates.labeling_config()
# a nickname no training data marks, twice; a pronoun the model links to it
DIALOGUE = make_dialogue("i1", [("A", "蓝莓酱酱今天的舞台太炸了，她真的好会"), ("B", "蓝莓酱酱是我的本命，爱了")])
SECOND = (len("蓝莓酱酱今天的舞台太炸了，她真的好会"), len("蓝莓酱酱今天的舞台太炸了，她真的好会") + 3)  # 蓝莓酱酱 in turn B


@pytest.fixture()
def client(tmp_path):
    config = Config(data_dir=tmp_path / "b", project_memory=False)
    backend = Backend(config, own_trainer=False)
    yield create_app(config, backend).test_client(), backend
    backend.close()


def _task(d, **extra) -> dict:
    return {"id": 7, "data": labelstudio.to_task(d, annotation=False)["data"], **extra}


def _ask(client, task, context, config=CONFIG):
    return client.post("/predict", json={"tasks": [task], "label_config": config, "params": {"context": {"result": context}}})


def _mentions(result) -> list[tuple[str, list[str]]]:
    return [(r["value"]["text"], r["value"]["paragraphlabels"]) for r in result if r["from_name"] == "mention"]


def test_one_mention_marked_brings_the_rest_of_its_chain_with_its_number(client):
    client, _ = client
    mark = dialogue_regions(DIALOGUE, ("C4",), [(0, 3)])  # 蓝莓酱酱 in the first turn, under a new number
    resp = _ask(client, _task(DIALOGUE), mark)
    assert resp.status_code == 200
    (answer,) = resp.json["results"]
    got = _mentions(answer["result"])
    assert ("蓝莓酱酱", ["C4"]) in got  # the same name in the second turn
    assert all(labels == ["C4"] for _, labels in got) and len(got) == len({r["id"] for r in answer["result"]})
    assert all(r["value"]["start"] != "0" or r["value"]["startOffset"] != 0 for r in answer["result"])  # the marked one is not sent back
    assert answer["model_version"] and 0 <= answer["score"] <= 1
    # what the editor then holds reads back as one cluster of the two mentions (and whatever the model linked)
    d = labelstudio.from_task(_task(DIALOGUE), mark + answer["result"])
    (cluster,) = [c for c in d.clusters if (0, 3) in c.spans]
    assert SECOND in cluster.spans


def test_nothing_the_task_shows_already_is_proposed_again(client):
    client, _ = client
    mark = dialogue_regions(DIALOGUE, ("C4",), [(0, 3)])
    shown = dialogue_regions(DIALOGUE, ("C2",), [SECOND])  # the editor's prediction holds the second 蓝莓酱酱 already
    resp = _ask(client, _task(DIALOGUE, predictions=[{"result": shown}]), mark)
    assert resp.status_code == 200 and ("蓝莓酱酱", ["C4"]) not in _mentions(resp.json["results"][0]["result"])
    draft = _task(DIALOGUE, drafts=[{"result": shown}])  # the same from a draft
    assert ("蓝莓酱酱", ["C4"]) not in _mentions(_ask(client, draft, mark).json["results"][0]["result"])


def test_a_marked_entity_brings_its_other_occurrences_and_the_models_entities_of_its_type(client):
    client, _ = client
    post = Post("p1", tuple("蓝莓酱酱今天来北京了，蓝莓酱酱说北京很美，上海也不错"))
    task = {"id": 3, **post_task.to_task(post, annotation=False)}
    (per,) = _ask(client, task, post_regions(post, ("PER",), [(0, 3)]), templates.ner_config()).json["results"]
    assert [(r["value"]["text"], r["value"]["labels"]) for r in per["result"]] == [("蓝莓酱酱", ["PER"])]
    assert per["result"][0]["value"]["start"] == 11
    (loc,) = _ask(client, task, post_regions(post, ("LOC",), [(7, 8)]), templates.ner_config()).json["results"]
    got = [(r["value"]["text"], r["value"]["start"]) for r in loc["result"]]
    text = "".join(post.tokens)
    assert ("北京", text.index("北京", 9)) in got and ("北京", 7) not in got and all(r["value"]["labels"] == ["LOC"] for r in loc["result"])


@pytest.mark.parametrize("context, says", [
    ("nope", 'params.context: expected {"result": [the regions just marked]}'),
    ([], "params.context.result: expected at least one region"),
    ([{"from_name": "mention", "value": {"start": "0", "end": "0", "startOffset": 0, "endOffset": 4, "paragraphlabels": ["C99"]}}],
     "context.result[0].value.paragraphlabels: unknown cluster number(s) ['C99']"),
    ([{"from_name": "mention", "value": {"start": "5", "end": "5", "startOffset": 0, "endOffset": 2, "paragraphlabels": ["C1"]}}],
     "context.result[0].value: bad mention offsets"),
    ([{"from_name": "entity", "value": {"start": 0, "end": 4, "labels": ["PER"]}}],
     "context.result[0].from_name: expected a 'mention' region, got 'entity'"),
    ([{"from_name": "mention", "value": {"start": "0", "end": "0", "startOffset": 0, "endOffset": 4, "paragraphlabels": ["C1"]}},
      {"from_name": "mention", "value": {"start": "1", "end": "1", "startOffset": 0, "endOffset": 4, "paragraphlabels": ["C2"]}}],
     "context.result: expected the regions of one label set"),
])
def test_a_bad_context_is_a_400_naming_the_field(client, context, says):
    client, _ = client
    body = {"tasks": [_task(DIALOGUE)], "label_config": CONFIG, "params": {"context": context if context == "nope" else {"result": context}}}
    resp = client.post("/predict", json=body)
    assert resp.status_code == 400 and says in resp.json["error"], resp.json


def test_a_post_labels_foreign_to_the_post_template_are_refused(client):
    client, _ = client
    post = Post("p1", tuple("北京欢迎你"))
    task = {"id": 3, **post_task.to_task(post, annotation=False)}
    bad = [{"from_name": "entity", "value": {"start": 0, "end": 2, "labels": ["C1"]}}]
    resp = _ask(client, task, bad, templates.ner_config())
    assert resp.status_code == 400 and "context.result[0].value.labels: expected one of PER, LOC, ORG, MISC" in resp.json["error"]
    two = [{"id": "x", "from_name": "entity", "value": {"start": 0, "end": 2, "labels": ["LOC"]}}]
    resp = client.post("/predict", json={"tasks": [task, task], "label_config": templates.ner_config(), "params": {"context": {"result": two}}})
    assert resp.status_code == 400 and "an interactive request is about one task, got 2" in resp.json["error"]


def test_chain_and_entities_keep_off_what_is_taken_and_off_pronoun_strings():
    tokens = list("唐九洲今天好帅九洲哥哥我爱他") + list("唐九洲和他的粉丝")
    turns = [(0, 13), (14, 21)]
    linked = [[(0, 2), (13, 13)]]  # the model links 他 to 唐九洲
    assert chain(tokens, turns, [(0, 2)], linked, set(), names=["唐九洲"]) == [(13, 13), (14, 16)]
    assert chain(tokens, turns, [(0, 2)], linked, {(13, 13)}) == [(14, 16)]  # taken: never proposed again
    assert chain(tokens, turns, [(13, 13)], [], set()) == []  # 他 is not matched as a string (18 is another person's)
    assert entities(list("北京欢迎你北京"), [(0, 1)], [(5, 6)], set()) == [(5, 6)]
    assert entities("I love New York and New York".split(), [(2, 3)], [], set()) == [(5, 6)]
