"""``ls-backend simulate`` as a project lead runs it: a small campaign on real val dialogues and dev posts,
through the backend's /predict and /webhook, with its CSV, PNG and JSON; and bad input refused by name."""
from __future__ import annotations

import csv
import json

import pytest

from exports.bio import format_bio, read_bio
from exports.posts import Post
from ls_backend.cli import main as ls_main
from tests.conftest import SHARED

TIKTALK = SHARED / "data" / "tiktalkcoref"
RELEASE = TIKTALK / "all_textual_and_visual_annotations.jsonl"
DEV = SHARED / "data" / "cmner" / "dev.txt"


def _rows(path):
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_a_dialogue_campaign_counts_gestures_and_learns_between_batches(tmp_path, capsys):
    out = tmp_path / "sim"
    args = ["simulate", "--data", str(RELEASE), "--split", str(TIKTALK / "split.jsonl"), "--only", "val",
            "--titles", str(TIKTALK / "video_titles.jsonl"), "--limit", "8", "--batch", "4", "--shuffles", "500",
            "--csv", str(out / "s.csv"), "--png", str(out / "s.png"), "--json", str(out / "s.json")]
    assert ls_main(args) == 0
    printed = capsys.readouterr().out
    assert "learning - frozen" in printed and "p" in printed
    rows = _rows(out / "s.csv")
    assert len(rows) == 16 and {r["campaign"] for r in rows} == {"frozen", "learning"}
    assert len({r["key"] for r in rows}) == 8
    summary = json.loads((out / "s.json").read_text(encoding="utf-8"))
    for campaign in ("frozen", "learning"):
        mine = [r for r in rows if r["campaign"] == campaign]
        scratch, gestures = sum(int(r["scratch"]) for r in mine), sum(int(r["gestures"]) for r in mine)
        figure = summary["all"][campaign]
        assert (figure["scratch"], figure["gestures"]) == (scratch, gestures)
        assert figure["saved"] == pytest.approx(1 - gestures / scratch)
        lo, hi = figure["saved_95"]
        assert lo <= figure["saved"] <= hi
    assert 0 < summary["all"]["learning_vs_frozen"]["p_value"] <= 1
    # the frozen model never changes; the learning one retrained after batch 1 on the 4 annotations
    frozen_versions = {r["model_version"] for r in rows if r["campaign"] == "frozen"}
    later = {r["model_version"] for r in rows if r["campaign"] == "learning" and r["batch"] == "2"}
    assert len(frozen_versions) == 1 and len(later) == 1 and later.pop().endswith("-a4")
    assert (out / "s.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_post_campaign_learns_from_the_project_memory(tmp_path):
    posts, layout = read_bio(DEV)
    data = tmp_path / "posts.txt"
    data.write_bytes(format_bio(posts[:8], layout).encode("utf-8"))
    out = tmp_path / "p.json"
    assert ls_main(["simulate", "--task", "ner", "--data", str(data), "--batch", "4", "--no-retrain", "--order", "random",
                    "--shuffles", "200", "--json", str(out)]) == 0
    summary = json.loads(out.read_text(encoding="utf-8"))
    assert summary["part"] == "entities" and summary["all"]["frozen"]["documents"] == 8
    assert summary["all"]["frozen"]["scratch"] == 2 * sum(len(p.entities) for p in posts[:8])
    assert summary["all"]["frozen"]["saved"] > 0.3  # the shipped CRF proposes most of them


@pytest.mark.parametrize("extra, message", [
    (["--order", "sideways"], "--order: expected one of file, random, uncertain, got 'sideways'"),
    (["--batch", "0"], "--batch: expected a batch size of at least 1, got 0"),
    (["--folds", "1"], "--folds: expected at least 2 folds"),
])
def test_bad_options_are_named(tmp_path, caplog, extra, message):
    assert ls_main(["simulate", "--data", str(RELEASE), *extra]) == 2
    assert message in caplog.text


def test_a_file_without_gold_is_refused(tmp_path, caplog):
    bare = tmp_path / "bare.jsonl"
    bare.write_text(json.dumps({"doc_key": "1", "genre": "wb", "sentences": [["他", "来"], ["好"]], "clusters": [],
                                "entity_label": [], "visual_annotations": []}) + "\n", encoding="utf-8")
    assert ls_main(["simulate", "--data", str(bare)]) == 2
    assert "no dialogue has a mention: a campaign needs gold annotations to replay" in caplog.text
    posts, layout = read_bio(DEV)
    untagged = tmp_path / "untagged.txt"
    untagged.write_bytes(format_bio([Post(p.id, p.tokens) for p in posts[:3]], layout).encode("utf-8"))
    assert ls_main(["simulate", "--task", "ner", "--data", str(untagged)]) == 2
    assert "no post has an entity" in caplog.text


def test_auto_annotation_is_counted_mark_by_mark(tmp_path, capsys):
    """A nickname the model proposes nowhere, twice in one dialogue: without Auto-Annotation both mentions are added
    (2 + 2 gestures); with it the first is marked (2) and the second comes back from /predict (0)."""
    from exports import release
    from exports.dialogue import make_dialogue

    first = "今天又是想小土豆的一天"
    at, second = first.index("小土豆"), len(first)
    gold = make_dialogue("nick-1", [("A", first), ("B", "小土豆冲冲冲")], [(((at, at + 2), (second, second + 2)), "none")])
    data = tmp_path / "gold.jsonl"
    data.write_text(release.to_line(gold) + "\n", encoding="utf-8")
    out = tmp_path / "s.json"
    assert ls_main(["simulate", "--data", str(data), "--interactive", "--shuffles", "100", "--csv", str(tmp_path / "s.csv"),
                    "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "interactive - frozen" in printed and "1 marks answered with 1 proposed regions" in printed
    summary = json.loads(out.read_text(encoding="utf-8"))
    assert summary["second"] == "interactive" and summary["interactive"] == {"marks": 1, "proposed": 1}
    assert (summary["all"]["frozen"]["scratch"], summary["all"]["frozen"]["gestures"], summary["all"]["learning"]["gestures"]) == (4, 4, 2)
    assert {r["campaign"] for r in _rows(tmp_path / "s.csv")} == {"frozen", "interactive"}
