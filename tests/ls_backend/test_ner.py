"""The post NER commands' contracts on CMNER's real posts: predict keeps the file's shape and ignores its tags,
evaluate prints and writes entity P/R/F1 per type, train --task ner makes a model the others load."""
from __future__ import annotations

import json
from pathlib import Path

from exports.bio import format_bio, read_bio
from exports.posts import Post
from ls_backend.cli import main as ls_main
from tests.conftest import SHARED

DEV = SHARED / "data" / "cmner" / "dev.txt"


def _subset(tmp_path, n: int, name: str = "posts.txt", strip: bool = False):
    posts, layout = read_bio(DEV)
    posts = posts[:n]
    if strip:
        posts = [Post(p.id, p.tokens) for p in posts]
    path = tmp_path / name
    path.write_bytes(format_bio(posts, layout).encode("utf-8"))
    return path, posts


def test_predict_keeps_the_files_shape_and_ignores_its_tags(tmp_path):
    gold, posts = _subset(tmp_path, 120)
    bare, _ = _subset(tmp_path, 120, "bare.txt", strip=True)
    assert ls_main(["predict", "--task", "ner", "--data", str(gold), "--out", str(tmp_path / "a.txt")]) == 0
    assert ls_main(["predict", "--task", "ner", "--data", str(bare), "--out", str(tmp_path / "b.txt")]) == 0
    a = (tmp_path / "a.txt").read_bytes()
    assert a == (tmp_path / "b.txt").read_bytes()  # the input's tags play no part
    predicted, _ = read_bio(tmp_path / "a.txt")
    assert [(p.id, p.tokens) for p in predicted] == [(p.id, p.tokens) for p in posts]
    assert a.count(b"\r\n") == gold.read_bytes().count(b"\r\n")  # CMNER's CRLF lines, post for post
    assert sum(len(p.entities) for p in predicted) > 0.6 * sum(len(p.entities) for p in posts)


def test_evaluate_prints_and_writes_scores_per_type(tmp_path, capsys):
    gold, _ = _subset(tmp_path, 200)
    assert ls_main(["evaluate", "--task", "ner", "--data", str(gold), "--json", str(tmp_path / "s.json")]) == 0
    out = json.loads((tmp_path / "s.json").read_text())
    assert set(out["metrics"]) == {"overall", "PER", "LOC", "ORG", "MISC"} and out["posts"] == 200
    assert out["metrics"]["overall"]["f1"] > 0.7 and out["metrics"]["PER"]["f1"] > 0.7  # the shipped model on real dev posts
    lo, hi = out["f1_intervals_95"]["overall"]
    assert lo <= out["metrics"]["overall"]["f1"] <= hi and hi - lo < 0.2
    assert "PER" in capsys.readouterr().out


def test_train_makes_a_model_the_other_commands_load(tmp_path):
    train_file = tmp_path / "train.txt"
    posts, layout = read_bio(SHARED / "data" / "cmner" / "train.txt")
    train_file.write_bytes(format_bio(posts[:150], layout).encode("utf-8"))
    assert ls_main(["train", "--task", "ner", "--data", str(train_file), "--out", str(tmp_path / "model")]) == 0
    gold, _ = _subset(tmp_path, 50)
    assert ls_main(["evaluate", "--task", "ner", "--data", str(gold), "--model", str(tmp_path / "model"), "--json", str(tmp_path / "s.json")]) == 0
    assert json.loads((tmp_path / "s.json").read_text())["model"].startswith("ner-")
    assert ls_main(["evaluate", "--task", "ner", "--data", str(gold), "--model", str(tmp_path / "nowhere")]) == 2


def test_the_backend_serves_post_ner_projects_by_their_labeling_config(tmp_path):
    """One server for both kinds of project: a post NER task gets the CRF's entities; its annotations are checked
    against the post template, stored, and refused with a 400 naming the region when they do not fit."""
    from label_studio_sdk.label_interface import LabelInterface

    import templates
    from exports.labelstudio import post as post_task
    from ls_backend.serving.app import create_app
    from ls_backend.infra.config import Config
    from ls_backend.serving.backend import Backend

    posts, layout = read_bio(DEV)
    backend = Backend(Config(data_dir=tmp_path / "b", retrain_debounce=3600.0))
    client = create_app(backend.config, backend).test_client()
    version = client.post("/setup", json={"schema": templates.ner_config()}).json["model_version"]
    assert version.startswith("ner-")
    tasks = [{"id": i, **post_task.to_task(p, layout, i, annotation=False)} for i, p in enumerate(posts[:5])]
    resp = client.post("/predict", json={"tasks": [*tasks, {"id": 99, "data": {"post_id": "x", "text": 5}}], "label_config": templates.ner_config()})
    *preds, bad = resp.json["results"]
    assert resp.status_code == 200 and resp.json["model_version"] == version and bad["error"] == "task 99 (x): data.text: expected the post's text"
    interface = LabelInterface(templates.ner_config())
    assert all(interface.validate_prediction(p, return_errors=True) == [] and 0 < p["score"] <= 1 for p in preds)
    assert sum(len(p["result"]) for p in preds) > 0 and all(r["origin"] == "prediction" for p in preds for r in p["result"])

    annotated = {"id": 1, **post_task.to_task(posts[1], layout, 1)}
    result = annotated.pop("annotations")[0]["result"]
    event = {"action": "ANNOTATION_CREATED", "project": {"id": 2}, "task": annotated, "annotation": {"id": 9, "result": result}}
    assert client.post("/webhook", json=event).status_code == 200 and backend.store.count_annotations() == 1
    broken = [{**result[0], "value": {**result[0]["value"], "end": result[0]["value"]["end"] + 10_000}}]
    resp = client.post("/webhook", json={**event, "annotation": {"id": 10, "result": broken}})
    assert resp.status_code == 400 and "result[0].value: offsets" in resp.json["error"] and backend.store.count_annotations() == 1
    backend.close()


def test_ner_annotations_train_a_new_ner_version_in_the_trainer_process(tmp_path):
    """Learning in the loop for posts: an annotated post reaches the trainer process, which trains the CRF on the base
    posts plus the annotation and activates it as the NER version every worker then serves."""
    import os

    import templates
    from exports.labelstudio import post as post_task
    from ls_backend.serving.app import create_app
    from ls_backend.infra.config import Config
    from ls_backend.serving.backend import Backend

    posts, layout = read_bio(SHARED / "data" / "cmner" / "train.txt")
    base = tmp_path / "base.txt"
    base.write_bytes(format_bio(posts[:60], layout).encode("utf-8"))  # a small base: the run takes seconds
    backend = Backend(Config(data_dir=tmp_path / "b", retrain_debounce=0.2, ner_training_data=base))
    client = create_app(backend.config, backend).test_client()
    before = client.post("/setup", json={"schema": templates.ner_config()}).json["model_version"]
    text_before = backend.version
    gold, dev_layout = read_bio(DEV)
    task = {"id": 1, **post_task.to_task(gold[0], dev_layout, 0)}
    result = task.pop("annotations")[0]["result"]
    assert client.post("/webhook", json={"action": "ANNOTATION_CREATED", "task": task, "annotation": {"id": 3, "result": result}}).status_code == 200
    assert backend.trainer.wait_idle(180)
    row = backend.store.active_version("ner")
    assert row is not None and row.version.startswith("ner-") and row.version.endswith("-a1") and row.info["posts"] == 61
    assert int(row.info["trained_in"].rpartition(":")[2]) != os.getpid()
    assert client.post("/setup", json={"schema": templates.ner_config()}).json["model_version"] == row.version != before
    assert backend.version == text_before  # a post annotation does not retrain the coreference model
    (pred,) = client.post("/predict", json={"tasks": [task], "label_config": templates.ner_config()}).json["results"]
    assert pred["model_version"] == row.version
    backend.close()


def _tiny_encoder(directory, posts):
    from tests.support.encoders import tiny_bert

    return tiny_bert(directory, ("".join(p.tokens) for p in posts), layers=1)


def test_the_full_model_fine_tunes_an_encoder_by_path_and_serves_through_the_same_commands(tmp_path):
    import torch

    torch.manual_seed(0)
    posts, layout = read_bio(SHARED / "data" / "cmner" / "train.txt")
    posts = posts[:40]
    data = tmp_path / "train.txt"
    data.write_bytes(format_bio(posts, layout).encode("utf-8"))
    encoder = _tiny_encoder(tmp_path / "encoder", posts)
    assert ls_main(["train", "--task", "ner", "--kind", "neural", "--encoder", str(encoder), "--data", str(data), "--out", str(tmp_path / "m"),
                    "--epochs", "8", "--device", "cpu"]) == 0
    info = json.loads((tmp_path / "m" / "info.json").read_text())
    assert info["loss_last"] < info["loss_first"] and info["posts"] == 40  # it learns
    assert ls_main(["predict", "--task", "ner", "--data", str(data), "--out", str(tmp_path / "p.txt"), "--model", str(tmp_path / "m")]) == 0
    predicted, _ = read_bio(tmp_path / "p.txt")
    assert [p.tokens for p in predicted] == [p.tokens for p in posts]
    assert ls_main(["evaluate", "--task", "ner", "--data", str(data), "--model", str(tmp_path / "m"), "--json", str(tmp_path / "s.json")]) == 0
    assert json.loads((tmp_path / "s.json").read_text())["model"].startswith("ner-neural-")
    assert ls_main(["train", "--task", "ner", "--kind", "neural", "--encoder", str(tmp_path / "nowhere"), "--data", str(data),
                    "--out", str(tmp_path / "x")]) == 2

    import templates
    from exports.labelstudio import post as post_task
    from ls_backend.serving.app import create_app
    from ls_backend.infra.config import Config

    from ls_backend.serving.backend import Backend

    backend = Backend(Config(data_dir=tmp_path / "b", ner_model=tmp_path / "m", device="cpu", ner_training_data=data), own_trainer=False)
    client = create_app(backend.config, backend).test_client()  # served by path
    (pred,) = client.post("/predict", json={"tasks": [post_task.to_task(posts[0], layout, annotation=False)],
                                            "label_config": templates.ner_config()}).json["results"]
    assert pred["model_version"] == info["version"] and 0 < pred["score"] <= 1
    # learning in the loop keeps the full model: an annotated post fine-tunes it, no CRF takes its place
    task = {"id": 1, **post_task.to_task(posts[1], layout, 1)}
    result = task.pop("annotations")[0]["result"]
    assert client.post("/webhook", json={"action": "ANNOTATION_CREATED", "task": task, "annotation": {"id": 5, "result": result}}).status_code == 200
    backend.trainer.retrain()
    row = backend.store.active_version("ner")
    assert row.version.startswith("ner-") and row.version.endswith("-a1") and row.info["model_kind"] == "neural-ner"
    assert (Path(row.path) / "config.json").is_file() and row.info["posts"] == 40  # the annotated post replaced its base copy
    (pred,) = client.post("/predict", json={"tasks": [post_task.to_task(posts[0], layout, annotation=False)],
                                            "label_config": templates.ner_config()}).json["results"]
    assert pred["model_version"] == row.version and 0 < pred["score"] <= 1
    backend.close()


def test_cross_validation_scores_every_post_once_held_out(tmp_path):
    posts, layout = read_bio(SHARED / "data" / "cmner" / "train.txt")
    data = tmp_path / "train.txt"
    data.write_bytes(format_bio(posts[:60], layout).encode("utf-8"))
    assert ls_main(["evaluate", "--task", "ner", "--data", str(data), "--folds", "3", "--json", str(tmp_path / "cv.json")]) == 0
    out = json.loads((tmp_path / "cv.json").read_text())
    assert out["model"].startswith("3-fold cross-validation") and out["metrics"]["overall"]["support"] == sum(len(p.entities) for p in posts[:60])
    assert ls_main(["evaluate", "--task", "ner", "--data", str(data), "--folds", "1"]) == 2
