from __future__ import annotations

import copy
import dataclasses
import json

import pytest
from hypothesis import given, settings

import templates as T
from exports import labelstudio as ls
from exports import release
from exports.dialogue import Box, make_dialogue
from tests.strategies import dialogues


def _through_json(task):
    return json.loads(json.dumps(task, ensure_ascii=False))


def _assert_valid(label_interface, result):
    errors = label_interface.validate_prediction({"result": result}, return_errors=True)
    assert errors == []


@pytest.mark.parametrize("media", [False, True], ids=["no-video", "video-known"])
def test_shared_dialogues_round_trip_and_validate(release_lines, label_interface, media):
    mismatches, shown = [], 0
    for line in release_lines:
        d = release.loads(line)
        if media:
            d = dataclasses.replace(d, frame_size=(900, 1000), fps=30.0, frame_count=4000)
        task = _through_json(ls.to_task(d))
        result = task["annotations"][0]["result"]
        _assert_valid(label_interface, result)
        shown += sum(1 for r in result if r["type"] == "videorectangle")
        if release.to_line(ls.from_task(task)) != line:
            mismatches.append(d.doc_key)
    assert mismatches == []
    assert shown == (794 if media else 0)  # every box is a region once the frame is known


@settings(max_examples=200, deadline=None)
@given(dialogues(multichar_tokens=True))
def test_generated_dialogues_round_trip(label_interface, d):
    task = _through_json(ls.to_task(d))
    _assert_valid(label_interface, task["annotations"][0]["result"])
    back = ls.from_task(task)
    assert release.to_line(back) == release.to_line(d)
    assert [(c.not_in_video, c.face_unidentifiable) for c in back.clusters] == [
        (c.not_in_video, c.face_unidentifiable) for c in d.clusters
    ]
    assert (back.title, back.comment, back.fps, back.frame_size) == (d.title, d.comment, d.fps, d.frame_size)


def _demo(**kwargs):
    return make_dialogue(
        "100",
        [("A", "这个男生和她在一起"), ("B", "他俩好甜")],
        [([(0, 3)], "C2"), ([(5, 5)], "none"), ([(9, 10)], "C1C2")],
        [Box("C2", 9, (100, 50, 180, 150), "吴永恩"), Box("C1C2", 30, (10, 20, 300, 200))],
        fps=25.0, frame_size=(720, 1280), frame_count=500, **kwargs,
    )


def test_regions_follow_the_template(label_interface):
    task = ls.to_task(_demo())
    result = task["annotations"][0]["result"]
    _assert_valid(label_interface, result)
    mentions = [r for r in result if r["from_name"] == T.MENTION]
    assert [(r["value"]["start"], r["value"]["startOffset"], r["value"]["endOffset"], r["value"]["text"], r["value"]["paragraphlabels"]) for r in mentions] == [
        ("0", 0, 4, "这个男生", ["C2"]),  # paragraph indices are strings, as Label Studio's editor requires
        ("0", 5, 6, "她", ["C3"]),  # "none" takes the smallest number no label uses (C1, C2 are in C1C2)
        ("1", 0, 2, "他俩", ["C1", "C2"]),
    ]
    boxes = [r for r in result if r["from_name"] == T.BOX]
    first = boxes[0]["value"]["sequence"][0]
    assert first["frame"] == 10  # release frame 9 is Label Studio frame 10
    assert first["enabled"] is False
    assert first["time"] == pytest.approx(9 / 25)
    assert (first["x"], first["y"], first["width"], first["height"]) == pytest.approx((100 / 7.2, 50 / 12.8, 80 / 7.2, 100 / 12.8))
    assert boxes[1]["value"]["labels"] == ["C1", "C2"]
    celeb = [r for r in result if r["from_name"] == T.CELEBRITY]
    assert [(r["id"], r["value"]["text"]) for r in celeb] == [(boxes[0]["id"], ["吴永恩"])]
    assert task["data"]["fps"] == 25.0 and task["data"]["frame_width"] == 720


def test_annotator_edits_are_read_back():
    task = _through_json(ls.to_task(_demo()))
    result = task["annotations"][0]["result"]
    box = next(r for r in result if r["from_name"] == T.BOX)
    box["value"]["sequence"][0].update(frame=41, x=50.0, y=25.0, width=10.0, height=5.0)  # moved + other key frame
    name = next(r for r in result if r["from_name"] == T.CELEBRITY)
    name["value"]["text"] = ["  王子文 "]
    result.append({"id": "m0_0", "from_name": T.FLAGS, "to_name": T.DIALOGUE, "type": "choices",
                   "value": {"start": 0, "end": 0, "startOffset": 0, "endOffset": 4, "choices": [T.FLAG_FACE_UNIDENTIFIABLE]}})
    result.append({"id": "new", "from_name": T.MENTION, "to_name": T.DIALOGUE, "type": "paragraphlabels",
                   "value": {"start": 1, "end": 1, "startOffset": 0, "endOffset": 1, "paragraphlabels": ["C2"]}})
    d = ls.from_task(task)
    c2 = d.clusters[0]
    assert c2.spans == ((0, 3), (9, 9)) and c2.face_unidentifiable and not c2.not_in_video
    b = d.box_for("C2")
    assert (b.frame, b.bbox, b.celebrity) == (40, (360, 320, 432, 384), "王子文")
    assert b.region_path is None  # the old crop path no longer fits the box


def test_export_with_integer_paragraph_indices_and_unsorted_labels():
    task = _through_json(ls.to_task(_demo()))
    for r in task["annotations"][0]["result"]:
        if r["from_name"] == T.MENTION:
            r["value"]["start"] = int(r["value"]["start"])
            r["value"]["end"] = int(r["value"]["end"])
            r["value"]["paragraphlabels"].reverse()
    d = ls.from_task(task)
    assert [c.label for c in d.clusters] == ["C2", "none", "C1C2"]


def _with(change):
    task = _through_json(ls.to_task(_demo()))
    task["id"] = 5
    change(task)
    return task


@pytest.mark.parametrize(
    ("change", "error"),
    [
        (lambda t: t["data"].pop("doc_key"), "task 5: data.doc_key: expected a non-empty string, got None"),
        (lambda t: t["data"].update(dialogue=[]), "task 5 (100): data.dialogue: expected a non-empty list of {speaker, text} turns"),
        (lambda t: t["annotations"][0]["result"][0]["value"].update(paragraphlabels=["X1"]),
         "task 5 (100): result[0].value.paragraphlabels: unknown cluster number(s) ['X1']; expected C1..C20"),
        (lambda t: t["annotations"][0]["result"][0]["value"].update(startOffset=30),
         "task 5 (100): result[0].value: bad mention offsets: offsets 30..4 do not fall on token boundaries of paragraphs 0..0"),
        (lambda t: t["annotations"][0]["result"][0].update(from_name="speaker"),
         "task 5 (100): result[0].from_name: unknown control 'speaker'; the template has mention, flags, box, person, celebrity, comment"),
        (lambda t: t["annotations"][0]["result"][0].update(value="C1"), "task 5 (100): result[0]: expected a region object with a 'value'"),
        (lambda t: t["annotations"][0]["result"][3]["value"].update(labels=["C7"]),
         "task 5 (100): box C7: no mention is labelled with the box's number(s)"),
        (lambda t: (t["data"].pop("frame_width"), t["data"].pop("frame_height")),
         "task 5 (100): data.frame_width: box C2 is drawn but the task has no frame size to convert it to pixels"),
        (lambda t: t["data"].update(fps="fast"), "task 5 (100): data.fps: expected a positive number, got 'fast'"),
        (lambda t: t["annotations"].append(copy.deepcopy(t["annotations"][0])), "task 5 (100): annotations: 2 annotations: say which one to read"),
    ],
)
def test_malformed_tasks_give_exact_errors(change, error):
    with pytest.raises(ls.LabelStudioFormatError) as info:
        ls.from_task(_with(change))
    assert str(info.value) == error


def test_more_clusters_than_the_template_offers():
    d = make_dialogue("1", [("A", "我" * 25)], [([(i, i)], "none") for i in range(21)])
    with pytest.raises(ValueError, match="needs cluster number C21, the template offers C1..C20"):
        ls.to_task(d)


def test_salvage_mode_keeps_every_readable_part(release_lines):
    """What training reads of an annotation: orphan or duplicate boxes and unreadable regions are left
    out and named; the rest is the same dialogue as without them."""
    d = next(x for x in map(release.loads, release_lines) if x.boxes and len(x.clusters) >= 2)
    d = dataclasses.replace(d, fps=30.0, frame_size=(1000, 1000), frame_count=2000)
    task = ls.to_task(d)
    good = task["annotations"][0]["result"]
    box = next(r for r in good if r["from_name"] == "box")
    junk = [
        {**box, "id": "orphan", "value": {**box["value"], "labels": ["C19"]}},
        {**box, "id": "twin"},
        {"id": "x", "from_name": "mention", "to_name": "dialogue", "type": "paragraphlabels",
         "value": {"start": "0", "end": "0", "startOffset": 0, "endOffset": 999, "paragraphlabels": ["C1"]}},
        {"id": "y", "from_name": "elsewhere", "value": {}},
        "not a region",
    ]
    with pytest.raises(ls.LabelStudioFormatError):
        ls.from_task(task, good + junk)
    dropped: list[str] = []
    salvaged = ls.from_task(task, good + junk, dropped=dropped)
    assert release.to_line(salvaged) == release.to_line(ls.from_task(task, good))
    assert [p.split(":")[0] for p in dropped] == [f"result[{len(good) + 2}].value", f"result[{len(good) + 3}].from_name",
                                                    f"result[{len(good) + 4}]", "box C19", f"box {box['value']['labels'][0]}"]
    assert all(p.endswith("; left out") for p in dropped)
