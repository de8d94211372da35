from __future__ import annotations

import json
from pathlib import Path

from exports.cli import main
from tests.conftest import TIKTALK


def _read(path: Path) -> list[dict]:
    return [json.loads(l) for l in path.read_text(encoding="utf-8").splitlines()]


def test_split_of_the_shared_file(tmp_path, release_path, release_lines):
    rc = main(["split", "--annotations", str(release_path), "--split", str(TIKTALK / "split.jsonl"),
               "--titles", str(TIKTALK / "video_titles.jsonl"), "--out", str(tmp_path)])
    assert rc == 0
    files = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*.jsonl"))
    assert files == sorted(
        ["all.textual.jsonl", "all.visual.jsonl"]
        + [f"{g}/{s}.{k}.jsonl" for g in ("all", "celeb", "no_celeb") for s in ("train", "val", "test") for k in ("textual", "visual")]
    )
    counts = {f: len(_read(tmp_path / f)) for f in files}
    assert counts["all.textual.jsonl"] == counts["all.visual.jsonl"] == 911
    assert (counts["all/train.textual.jsonl"], counts["all/val.textual.jsonl"], counts["all/test.textual.jsonl"]) == (810, 101, 0)
    assert (counts["celeb/val.visual.jsonl"], counts["no_celeb/val.visual.jsonl"]) == (46, 55)
    text = _read(tmp_path / "all.textual.jsonl")[0]
    original = json.loads(release_lines[0])
    assert list(text) == ["doc_key", "genre", "sentences", "clusters", "clusters_str", "speaker_ids", "sentence_map", "subtoken_map", "entity_label"]
    assert all(text[k] == original[k] for k in text)
    visual = _read(tmp_path / "all.visual.jsonl")[0]
    assert visual == {
        "doc_key": "6967261753985993991",
        "video_title": "#姜云升 ：你比我还会算呗～反正姜云升能一个人叨叨半天也不带重样的～",
        "video_path": "raw_videos/6967261753985993991.mp4",
        "visual_annotations": original["visual_annotations"],
    }


def test_split_reports_missing_entries(tmp_path, release_lines, caplog):
    data = tmp_path / "in.jsonl"
    data.write_text("\n".join(release_lines[:3]) + "\n", encoding="utf-8")
    keys = [json.loads(l)["doc_key"] for l in release_lines[:3]]
    (tmp_path / "split.jsonl").write_text(
        json.dumps({"video_id": keys[0], "video_type": "celeb", "split": "test"}) + "\n"
        + json.dumps({"video_id": keys[1], "video_type": "idol", "split": "val"}) + "\n", encoding="utf-8")
    (tmp_path / "titles.jsonl").write_text(json.dumps({"video_id": keys[0], "title": "t"}) + "\n", encoding="utf-8")
    rc = main(["split", "--annotations", str(data), "--split", str(tmp_path / "split.jsonl"),
               "--titles", str(tmp_path / "titles.jsonl"), "--out", str(tmp_path / "out")])
    assert rc == 1
    # each names the file and line of the dialogue, its doc_key and the split file
    assert f"{data} line 3: doc_key {keys[2]} is not in {tmp_path / 'split.jsonl'}" in caplog.text
    assert f"{data} line 2: doc_key {keys[1]} has an unknown video_type/split idol/val" in caplog.text
    assert "2 dialogue(s) without a title" in caplog.text
    assert [r["video_title"] for r in _read(tmp_path / "out" / "all.visual.jsonl")] == ["t", "Unknown Title", "Unknown Title"]
    assert len(_read(tmp_path / "out" / "celeb" / "test.textual.jsonl")) == 1
