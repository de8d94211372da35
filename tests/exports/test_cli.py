from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from exports import labelstudio as ls
from exports import release
from exports.cli import main
from tests.conftest import KNOWN_SLIP

BIN = Path(sys.executable).parent


def test_console_script_validate_finds_the_known_slip(release_path):
    proc = subprocess.run([str(BIN / "exports"), "validate", str(release_path)], capture_output=True, text=True)
    assert proc.returncode == 1
    assert proc.stdout.splitlines() == [
        f"{KNOWN_SLIP}: clusters_str[0][0]: '那个跳舞的' does not match the text of span [10, 14], '是那个跳舞' (line 131)"
    ]
    assert "911 dialogue line(s), 1 problem(s)" in proc.stderr


def test_to_and_from_labelstudio_is_byte_identical(tmp_path, release_path):
    tasks, out = tmp_path / "tasks.json", tmp_path / "back.jsonl"
    assert main(["to-labelstudio", str(release_path), "--out", str(tasks), "--video-url-prefix", "http://media.local/v/"]) == 0
    data = json.loads(tasks.read_text(encoding="utf-8"))
    assert len(data) == 911 and data[0]["data"]["video"] == "http://media.local/v/6967261753985993991.mp4"
    assert main(["from-labelstudio", str(tasks), "--out", str(out)]) == 0
    assert out.read_bytes() == release_path.read_bytes()


def test_frame_size_option_turns_boxes_into_regions(tmp_path, release_path, label_interface):
    tasks, out = tmp_path / "tasks.json", tmp_path / "back.jsonl"
    assert main(["to-labelstudio", str(release_path), "--out", str(tasks), "--fps", "30", "--frame-size", "900x1000"]) == 0
    data = json.loads(tasks.read_text(encoding="utf-8"))
    regions = [r for t in data for r in t["annotations"][0]["result"] if r["type"] == "videorectangle"]
    assert len(regions) == 794
    assert main(["from-labelstudio", str(tasks), "--out", str(out)]) == 0
    assert out.read_bytes() == release_path.read_bytes()


def _export(release_lines, n=3):
    """A Label Studio style export: ids, two annotators on task 2, a cancelled one, one task without any."""
    tasks = []
    for i, line in enumerate(release_lines[:n], start=1):
        task = ls.to_task(release.loads(line))
        task["id"] = i
        ann = task["annotations"][0]
        task["annotations"] = [dict(ann, id=10 * i, completed_by=1)]
        tasks.append(task)
    second = dict(tasks[1]["annotations"][0], id=99, completed_by={"id": 2, "email": "li.na@example.org"})
    second["result"] = [r for r in second["result"] if r["id"] != "m2_0"]  # li.na dropped the singleton 儿子
    tasks[1]["annotations"].append(second)
    tasks[1]["annotations"].append(dict(second, id=98, was_cancelled=True))
    tasks.append({"id": n + 1, "data": tasks[0]["data"], "annotations": []})
    return tasks


def test_several_annotators_write_one_file_each(tmp_path, release_lines):
    path = tmp_path / "export.json"
    path.write_text(json.dumps(_export(release_lines), ensure_ascii=False), encoding="utf-8")
    assert main(["from-labelstudio", str(path), "--out-dir", str(tmp_path / "by")]) == 0
    files = sorted(p.name for p in (tmp_path / "by").iterdir())
    assert files == ["li.na@example.org.jsonl", "user1.jsonl"]
    assert (tmp_path / "by" / "user1.jsonl").read_text(encoding="utf-8").splitlines() == release_lines[:3]
    (li,) = (tmp_path / "by" / "li.na@example.org.jsonl").read_text(encoding="utf-8").splitlines()
    assert json.loads(li)["clusters"] == json.loads(release_lines[1])["clusters"][:2]


def test_several_annotators_with_out_reports_and_writes_the_rest(tmp_path, release_lines, caplog):
    path = tmp_path / "export.json"
    path.write_text(json.dumps(_export(release_lines), ensure_ascii=False), encoding="utf-8")
    assert main(["from-labelstudio", str(path), "--out", str(tmp_path / "out.jsonl")]) == 1
    key = json.loads(release_lines[1])["doc_key"]
    assert f"task 2 ({key}): annotations: 2 annotations; use --out-dir for one file per annotator" in caplog.text
    assert "1 task(s) without annotations were skipped" in caplog.text
    assert (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines() == [release_lines[0], release_lines[2]]


def test_bad_lines_are_reported_and_the_rest_converted(tmp_path, release_lines, caplog):
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join([release_lines[0], "{oops", '{"doc_key": "x", "sentences": 5}', release_lines[1]]) + "\n", encoding="utf-8")
    assert main(["conll", str(path), "--out", str(tmp_path / "o.conll")]) == 1
    assert f"{path}:2: ?: json: malformed JSON" in caplog.text
    assert f"{path}:3: x: sentences: expected a list of token lists, got 5" in caplog.text
    assert (tmp_path / "o.conll").read_text(encoding="utf-8").count("#begin document") == 2


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["validate", "/nonexistent.jsonl"], "/nonexistent.jsonl: no such file"),
        (["from-labelstudio", "{bad}", "--out", "x.jsonl"], "{bad}:1: malformed JSON"),
        (["to-labelstudio", "{release}", "--out", "t.json", "--video-root", "/nonexistent-dir"], "--video-root /nonexistent-dir: no such directory"),
    ],
)
def test_unreadable_input_exits_2_with_a_clear_message(tmp_path, release_path, caplog, monkeypatch, argv, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.json").write_text("{not json", encoding="utf-8")
    argv = [a.replace("{bad}", str(tmp_path / "bad.json")).replace("{release}", str(release_path)) for a in argv]
    message = message.replace("{bad}", str(tmp_path / "bad.json"))
    assert main(argv) == 2
    assert message in caplog.text


def test_option_errors_are_usage_errors(capsys):
    with pytest.raises(SystemExit) as info:
        main(["to-labelstudio", "x.jsonl", "--out", "t.json", "--frame-size", "wide"])
    assert info.value.code == 2
    assert "expected WIDTHxHEIGHT such as 720x1280, got 'wide'" in capsys.readouterr().err


def test_release_key_spelling_option(tmp_path, release_lines):
    src = tmp_path / "one.jsonl"
    src.write_text(release_lines[0] + "\n", encoding="utf-8")
    assert main(["to-labelstudio", str(src), "--out", str(tmp_path / "t.json")]) == 0
    assert main(["from-labelstudio", str(tmp_path / "t.json"), "--out", str(tmp_path / "o.jsonl"), "--label-key", "entity_labels", "--celebrity-key", "celebrity"]) == 0
    record = json.loads((tmp_path / "o.jsonl").read_text(encoding="utf-8"))
    assert "entity_labels" in record and record["visual_annotations"][0]["celebrity"] == "姜云升"


def test_box_of_a_deleted_person_is_dropped_with_a_warning(caplog, release_lines):
    task = ls.to_task(release.loads(release_lines[1]))
    task["annotations"][0]["result"] = [r for r in task["annotations"][0]["result"] if r["id"] != "m0_0"]
    d = ls.from_task(task)
    assert [b.label for b in d.boxes] == ["C2"]
    assert "box C1 (not shown, no video size) has no mention labelled C1 any more; dropped" in caplog.text
