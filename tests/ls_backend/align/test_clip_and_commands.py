"""CN-CLIP through the library's own classes (a tiny random-initialised model saved to a temporary
directory), fine-tuning, and the alignment commands."""
from __future__ import annotations

import json

import numpy as np
import pytest

from ls_backend.cli import main as ls_main
from ls_backend.pipeline.align.clip import ClipEncoder, save_random, tiny_config
from ls_backend.pipeline.align.train import finetune_clip
from tests.conftest import SHARED, TIKTALK


@pytest.fixture(scope="module")
def tiny_clip(tmp_path_factory):
    return save_random(tmp_path_factory.mktemp("clip") / "tiny")


def test_tiny_cn_clip_loads_and_encodes(tiny_clip):
    enc = ClipEncoder(tiny_clip)
    t = enc.encode_texts(["王一博", "这个小姐姐", "他俩"])
    i = enc.encode_images([np.zeros((60, 40, 3), np.uint8), np.full((80, 80, 3), 200, np.uint8)])
    assert t.shape == (3, tiny_config()["embed_dim"]) and i.shape == (2, tiny_config()["embed_dim"])
    assert np.allclose(np.linalg.norm(t, axis=1), 1, atol=1e-4)


def test_finetuning_the_projections_lowers_the_contrastive_loss_and_reloads(tiny_clip, tmp_path, face_pool):
    enc = ClipEncoder(tiny_clip)
    before = {k: v.clone() for k, v in enc.model.state_dict().items()}
    pairs = [(text, face_pool[f], f"video{v}") for v in range(4) for text, f in (("王一博", 12 + v), ("这个小姐姐", 40 + v))]
    losses = finetune_clip(enc, pairs, epochs=8, lr=5e-2)
    assert losses[-1] < losses[0]
    after = enc.model.state_dict()
    changed = {k for k in before if not np.array_equal(before[k].numpy(), after[k].numpy())}
    assert changed == {"text_projection", "visual.proj"}  # only the projections move
    enc.save(tmp_path / "tuned")
    again = ClipEncoder(tmp_path / "tuned")
    # cn_clip's loading path (convert_weights) holds the weights in float16: equal up to that rounding
    assert np.allclose(again.encode_texts(["王一博"]), enc.encode_texts(["王一博"]), atol=1e-3)


@pytest.mark.parametrize(
    "setting, message",
    [
        ({"clip_checkpoint": "{tmp}/missing"}, "clip_checkpoint: {tmp}/missing: no such file or directory"),
        ({"clip_checkpoint": "{tmp}/empty"}, "clip_checkpoint: {tmp}/empty: expected config.json and model.pt"),
        ({"clip_checkpoint": "{tmp}/file.pt"}, "a release checkpoint needs clip_model"),
        ({"clip_checkpoint": "{tmp}/file.pt", "clip_model": "ViT-B-16@RoBERTa-wwm-ext-base-chinese"}, "clip_checkpoint: {tmp}/file.pt: cannot load as ViT-B-16@"),
        ({"align_scorer": "{tmp}/scorer.json"}, "align_scorer: {tmp}/scorer.json: no alignment scorer there"),
    ],
    ids=["missing", "empty-dir", "file-without-model", "bad-file", "bad-scorer"],
)
def test_a_wrong_checkpoint_stops_start_up_with_a_clear_error(tmp_path, caplog, setting, message):
    (tmp_path / "empty").mkdir()
    (tmp_path / "file.pt").write_bytes(b"not torch")
    cfg = tmp_path / "config.json"
    cfg.write_text(json.dumps({k: v.format(tmp=tmp_path) for k, v in setting.items()}))
    assert ls_main(["start", "--config", str(cfg), "--data-dir", str(tmp_path / "d"), "--port", "1"]) == 2
    assert message.format(tmp=tmp_path) in caplog.text


def test_train_align_and_evaluate_align_commands(tmp_path, tiny_clip, capsys):
    data = [str(TIKTALK / "all_textual_and_visual_annotations.jsonl"), "--split", str(TIKTALK / "split.jsonl"),
            "--titles", str(TIKTALK / "video_titles.jsonl"), "--gazetteer", str(SHARED / "data" / "cmner" / "dev.txt")]
    out = tmp_path / "align"
    assert ls_main(["train-align", "--data", *data, "--only", "train", "--synthetic", "--limit", "40",
                    "--clip-checkpoint", str(tiny_clip), "--epochs", "2", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "CLIP projections fine-tuned" in printed and "alignment scorer:" in printed
    assert (out / "align_scorer.json").exists() and (out / "clip" / "model.pt").exists() and (out / "align_pairs.jsonl.gz").exists()
    report = tmp_path / "r.json"
    assert ls_main(["evaluate-align", "--data", *data, "--only", "val", "--limit", "40", "--scorer", str(out / "align_scorer.json"),
                    "--clip-checkpoint", str(out / "clip"), "--json", str(report)]) == 0
    scores = json.loads(report.read_text(encoding="utf-8"))
    assert scores["all"]["clusters"] > 0 and 0 <= scores["all"]["R@1"] <= scores["all"]["R@2"] <= scores["all"]["R@3"] <= 1
    assert set(scores) >= {"name", "noun", "pronoun", "assignment_accuracy", "gallery_faces"}
    assert "R@1" in capsys.readouterr().out
