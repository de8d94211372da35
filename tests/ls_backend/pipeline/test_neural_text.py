"""The full text model (Maverick-style heads over a transformers encoder by path), with a tiny random-initialised
BERT (2 layers, hidden 32) and a character tokenizer saved to a temporary directory and loaded through the real
loading code: it learns (overfits 8 dialogues), saves and loads, and trains, evaluates, predicts and serves through
the same commands and backend as the embedded model."""
from __future__ import annotations

import json

import pytest

from exports import labelstudio, release
from ls_backend.cli import main as ls_main
from ls_backend.pipeline.text.neural import CATEGORIES, NeuralCoref, category
from tests.support.encoders import tiny_bert

EPOCHS = 200


@pytest.fixture(scope="module")
def eight(release_lines, tmp_path_factory):
    """8 training dialogues (characters as tokens, with nested and cross-turn clusters among them) as a release file."""
    chosen = []
    for line in release_lines:
        d = release.loads(line)
        if all(len(tok) == 1 for t in d.turns for tok in t.tokens) and len(d.clusters) >= 2:
            chosen.append((line, d))
        if len(chosen) == 8:
            break
    path = tmp_path_factory.mktemp("eight") / "eight.jsonl"
    path.write_text("".join(line + "\n" for line, _ in chosen), encoding="utf-8")
    return path, [d for _, d in chosen]


@pytest.fixture(scope="module")
def trained(eight, tmp_path_factory):
    """The neural model trained by `ls-backend train --kind neural` on the 8 dialogues (until it overfits)."""
    path, dialogues = eight
    root = tmp_path_factory.mktemp("neural")
    encoder = tiny_bert(root / "encoder", ("".join(t.text for t in d.turns) for d in dialogues), layers=2, hidden=32)
    out = root / "model"
    assert ls_main(["train", "--kind", "neural", "--encoder", str(encoder), "--data", str(path), "--out", str(out),
                    "--epochs", str(EPOCHS), "--lr", "1e-3", "--head-lr", "3e-3", "--accumulate", "1", "--device", "cpu"]) == 0
    return out


def test_categories_of_mention_pairs():
    assert [CATEGORIES[category(a, b)] for a, b in [("他", "她"), ("王一博", "他"), ("肖战", "肖战"), ("一博", "王一博"), ("姐姐", "哥哥")]] == \
        ["pron-pron", "pron-name", "match", "contain", "other"]


def test_it_overfits_eight_dialogues_and_loads_back_the_same(trained, eight):
    _, dialogues = eight
    model = NeuralCoref.load(trained, "cpu")
    info = json.loads((trained / "info.json").read_text(encoding="utf-8"))
    assert info["kind"] == "neural" and info["loss_last"] < info["loss_first"] / 10
    gold_m = pred_m = hit = 0
    for d in dialogues:
        mentions, clusters = model.predict([t.text for t in d.turns])
        gold = {s for c in d.clusters for s in c.spans}
        gold_m, pred_m, hit = gold_m + len(gold), pred_m + len(mentions.spans), hit + len(gold & set(mentions.spans))
        assert sorted(sorted(c) for c in clusters.clusters) == sorted(sorted(c.spans) for c in d.clusters), d.doc_key
    assert 2 * hit / (gold_m + pred_m) >= 0.95
    again = NeuralCoref.load(trained, "cpu")  # save -> load: the same predictions
    for d in dialogues:
        assert again.predict([t.text for t in d.turns]) == model.predict([t.text for t in d.turns])


def test_characters_map_to_sub_tokens_and_back(trained):
    model = NeuralCoref.load(trained, "cpu")
    turns = ["王一博ABC和 肖战", "他俩😀真的"]  # a Latin word piece, a space the tokenizer drops, an unknown emoji
    chars, turn_of = model._encode(turns)
    assert chars.shape[0] == sum(len(t) for t in turns) and turn_of == [0] * len(turns[0]) + [1] * len(turns[1])
    mentions, clusters = model.predict(turns)
    assert all(0 <= s <= e < sum(len(t) for t in turns) and turn_of[s] == turn_of[e] for s, e in mentions.spans)


def test_evaluate_and_predict_commands_take_the_neural_model(trained, eight, tmp_path):
    path, dialogues = eight
    scores = tmp_path / "scores.json"
    assert ls_main(["evaluate", "--data", str(path), "--model", str(trained), "--json", str(scores)]) == 0
    result = json.loads(scores.read_text(encoding="utf-8"))
    assert result["text_model"]["mentions"]["f1"] >= 0.95
    out = tmp_path / "pred.jsonl"
    assert ls_main(["predict", "--data", str(path), "--model", str(trained), "--out", str(out)]) == 0
    lines = out.read_text(encoding="utf-8").splitlines()
    assert [json.loads(l)["doc_key"] for l in lines] == [d.doc_key for d in dialogues]


def test_a_wrong_or_missing_encoder_stops_training_and_start_up(tmp_path, trained, eight, caplog):
    from ls_backend.infra.config import Config
    from ls_backend.serving.backend import Backend

    path, _ = eight
    data = tmp_path / "one.jsonl"
    data.write_text(path.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    for encoder in (None, tmp_path / "nowhere", trained.parent):  # missing, not there, not an encoder
        assert ls_main(["train", "--kind", "neural", "--data", str(data), "--out", str(tmp_path / "x"),
                        *(["--encoder", str(encoder)] if encoder else [])]) == 2
    assert "--encoder" in caplog.text and "no config.json" in caplog.text
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "info.json").write_text(json.dumps({"format": "mcr-text-neural/1"}), encoding="utf-8")
    for path, says in [(tmp_path / "nowhere", "no text model there"), (broken, "heads.pt is missing")]:
        with pytest.raises(ValueError, match=f"text_model: .*{says}"):
            Backend(Config(data_dir=tmp_path / "b", text_model=path, device="cpu"), own_trainer=False)
        assert ls_main(["start", "--text-model", str(path), "--data-dir", str(tmp_path / "s"), "--port", "0"]) == 2
        assert f"text_model: {path}" in caplog.text
        caplog.clear()


def test_the_backend_serves_the_neural_kind_and_fine_tunes_it_in_the_trainer_process(trained, eight, tmp_path):
    from ls_backend.serving.app import create_app
    from ls_backend.infra.config import Config
    from ls_backend.serving.backend import Backend
    from ls_backend.learning.trainer import me

    _, dialogues = eight
    config = Config(data_dir=tmp_path / "backend", text_model=trained, device="cpu", retrain_debounce=0.2)
    service = Backend(config)
    client = create_app(config, service).test_client()
    info = json.loads((trained / "info.json").read_text(encoding="utf-8"))
    task = labelstudio.to_task(dialogues[0], annotation=False)
    task["id"] = 1
    (pred,) = client.post("/predict", json={"tasks": [task]}).json["results"]
    assert pred["model_version"] == info["version"]
    shown = {tuple(r["value"]["text"] for r in pred["result"] if r["from_name"] == "mention")}
    assert shown and all(shown)

    done = labelstudio.to_task(dialogues[1])  # an annotation: the trainer process fine-tunes the active neural version
    event = {"action": "ANNOTATION_CREATED", "project": {"id": 1}, "task": {"id": 2, "data": done["data"]},
             "annotation": {"id": 7, "result": done["annotations"][0]["result"]}}
    assert client.post("/webhook", json=event).json["status"].startswith("stored 1 annotation(s)")
    assert service.trainer.wait_idle(300)
    row = service.store.active_version()
    assert row.version != info["version"] and row.version.endswith("-a1")
    assert row.info["kind"] == "neural" and row.info["trained_in"] != me()  # trained in the trainer process
    (again,) = client.post("/predict", json={"tasks": [task]}).json["results"]
    assert again["model_version"] == row.version
    service.close()
