"""The Prediction artifact: validated when built, the cache's JSON form, and its two outputs."""
from __future__ import annotations

import json
from dataclasses import replace

import pytest

from exports import labelstudio
from exports.dialogue import Box, make_dialogue
from exports.prediction import Prediction, ProposedPerson, prediction_line


def _predicted():
    d = make_dialogue("p1", [("A", "王一博和这个小姐姐好配"), ("B", "他俩真的好看")], [([(0, 2)], "C1"), ([(4, 8)], "none"), ([(11, 12)], "none")],
                      [Box("C1", 30, (100.0, 100.0, 300.0, 330.0), "王一博")], title="#王一博")
    return replace(d, fps=30.0, frame_size=(720, 1280), frame_count=300)


def test_unlinked_persons_are_numbered_after_every_cluster():
    d = _predicted()
    assert d.cluster_numbers() == [(1,), (2,), (3,)] and d.first_free_number() == 4
    ok = Prediction(d, (ProposedPerson(2, 4, 12, (400, 500, 600, 760), 0.9),), 0.7, "text-1")
    assert ok.has_video
    with pytest.raises(ValueError, match=r"p1: prediction: unlinked persons must have distinct numbers from C4 on"):
        Prediction(d, (ProposedPerson(2, 3, 12, (400, 500, 600, 760), 0.9),), 0.7, "text-1")
    with pytest.raises(ValueError, match=r"needs? the video's frame size"):
        Prediction(replace(d, frame_size=None), ok.unlinked, 0.7, "text-1")
    with pytest.raises(ValueError, match=r"score: expected a value in \[0, 1\], got 1.5"):
        Prediction(d, (), 1.5, "text-1")
    with pytest.raises(ValueError, match=r"unlinked person 2: bbox: expected x1 < x2"):
        ProposedPerson(2, 4, 12, (600, 500, 400, 760), 0.9)


def test_the_cache_form_reads_back_to_the_same_outputs(label_interface):
    p = Prediction(_predicted(), (ProposedPerson(2, 4, 12, (400.4, 500, 600, 760.6), 0.9), ProposedPerson(3, 5, 40, (10, 10, 60, 70), 0.5)),
                   0.61, "text-1")
    stored = json.loads(json.dumps(p.to_json(), ensure_ascii=False))  # what the store's JSON column gives back
    back = Prediction.from_json(stored)
    assert back.to_json() == p.to_json()
    assert labelstudio.to_prediction(back) == labelstudio.to_prediction(p)
    assert prediction_line(back) == prediction_line(p)
    ls = labelstudio.to_prediction(p)
    assert label_interface.validate_prediction(ls, return_errors=True) == []
    boxes = [r for r in ls["result"] if r["type"] == "videorectangle"]
    assert [b["value"]["labels"] for b in boxes] == [["C1"], ["C4"], ["C5"]] and (ls["score"], ls["model_version"]) == (0.61, "text-1")
    line = json.loads(prediction_line(p))
    assert [v["box_labels"] for v in line["visual_annotations"]] == ["C1", "C4", "C5"]
    assert line["visual_annotations"][1]["bbox"] == [400, 500, 600, 761] and line["entity_label"] == ["C1", "none", "none"]
    with pytest.raises(ValueError, match=r"prediction: model_version: missing"):
        Prediction.from_json({k: v for k, v in stored.items() if k != "model_version"})
