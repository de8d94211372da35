from __future__ import annotations

import json

import pytest
from hypothesis import given, settings

from exports import release
from exports.dialogue import Box, Cluster, Dialogue, Turn, make_dialogue
from tests.factories import release_line
from tests.conftest import KNOWN_SLIP
from tests.strategies import dialogues


def test_every_shared_line_round_trips_byte_identical(release_lines):
    assert len(release_lines) == 911
    out = [release.to_line(release.loads(line)) for line in release_lines]
    mismatches = [i for i, (a, b) in enumerate(zip(release_lines, out)) if a != b]
    assert mismatches == []


def test_known_slip_is_kept_as_is(release_lines):
    line = next(l for l in release_lines if KNOWN_SLIP in l)
    d = release.loads(line)
    assert d.layout.mention_strings == {(10, 14): "那个跳舞的"}
    assert d.span_text((10, 14)) == "是那个跳舞"
    assert release.to_line(d) == line


def test_reads_both_spellings_and_writes_the_one_read(release_lines):
    def rename(obj, old, new):  # same position, other spelling
        return {new if k == old else k: v for k, v in obj.items()}

    record = rename(json.loads(release_lines[1]), "entity_label", "entity_labels")
    record["visual_annotations"] = [rename(b, "if_celebrity", "celebrity") for b in record["visual_annotations"]]
    line = json.dumps(record, ensure_ascii=False)
    d = release.loads(line)
    assert [c.label for c in d.clusters] == ["C1", "C2", "none"]
    assert [b.celebrity for b in d.boxes] == ["吴永恩", "王子文"]
    assert release.to_line(d) == line
    assert release.to_line(d, label_key="entity_label", celebrity_key="if_celebrity") == release_lines[1]


def test_write_other_spelling_on_request(release_lines):
    d = release.loads(release_lines[0])
    record = release.to_record(d, label_key="entity_labels", celebrity_key="celebrity")
    assert "entity_labels" in record and "entity_label" not in record
    assert record["visual_annotations"][0]["celebrity"] == "姜云升"
    assert list(record)[-2:] == ["entity_labels", "visual_annotations"]


def test_unknown_keys_and_orders_survive():
    record = {
        "genre": "wb", "doc_key": "1", "sentences": [["他", "来"], ["好"]], "clusters": [[[0, 0]]],
        "clusters_str": [["他"]], "entity_label": ["C1"], "note": {"x": [1, 2]},
        "visual_annotations": [{"bbox": [1, 2, 3, 4], "box_labels": "C1", "cur_frame": 0, "if_celebrity": "", "score": 0.5}],
    }
    line = json.dumps(record, ensure_ascii=False)
    d = release.loads(line)
    assert d.layout.extra == {"note": {"x": [1, 2]}}
    assert d.boxes[0].extra == {"score": 0.5}
    assert release.to_line(d) == line


def test_new_dialogue_gets_the_release_layout_and_upstream_paths():
    d = make_dialogue("42", [("A", "他来了"), ("B", "好")], [([(0, 0)], "C1")], [Box("C1", 7, (1, 2, 30, 40), "某人")])
    record = release.to_record(d)
    assert list(record) == list(release.DEFAULT_KEYS)
    assert record["speaker_ids"] == [["A", "A", "A"], ["B"]]
    assert record["sentence_map"] == [[0, 0, 0], [1]]
    assert record["subtoken_map"] == [[0, 1, 2], [3]]
    assert record["visual_annotations"] == [
        {"cur_frame": 7, "cur_frame_path": "frames/42/42_7_1.jpg", "bbox": [1, 2, 30, 40], "box_labels": "C1",
         "if_celebrity": "某人", "region_image_path": "faces_all/42_7_1_C1.jpg"}
    ]


@settings(max_examples=200, deadline=None)
@given(dialogues(multichar_tokens=True))
def test_generated_dialogues_round_trip(d):
    line = release.to_line(d)
    back = release.loads(line)
    assert release.to_line(back) == line
    assert back.turns == d.turns
    assert [(c.spans, c.label) for c in back.clusters] == [(c.spans, c.label) for c in d.clusters]
    assert [(b.label, b.frame, b.bbox, b.celebrity) for b in back.boxes] == [(b.label, b.frame, b.bbox, b.celebrity) for b in d.boxes]


_line = release_line


@pytest.mark.parametrize(
    ("line", "error"),
    [
        ("[1, 2]", "?: record: expected a JSON object, got list"),
        (_line(doc_key=""), "?: doc_key: expected a non-empty string, got ''"),
        (_line(sentences=...), "7: sentences: expected a list of token lists, got null"),
        (_line(sentences=[], speaker_ids=..., sentence_map=..., subtoken_map=..., clusters=[], clusters_str=[], entity_label=[], visual_annotations=[]), "7: sentences: expected at least one turn, got none"),
        (_line(sentences=[["他", ""], ["好"]], speaker_ids=..., sentence_map=..., subtoken_map=...), "7: sentences[0]: tokens[1]: expected a non-empty string, got ''"),
        (_line(clusters=[[[0, 9]]]), "7: clusters[0][0]: span [0, 9] is out of range for 4 tokens"),
        (_line(clusters=[[[2, 1]]]), "7: clusters[0][0]: expected 0 <= start <= end, got [2, 1]"),
        (_line(clusters=[[]], clusters_str=[[]]), "7: clusters[0]: expected at least one mention, got an empty cluster"),
        (_line(entity_label=["C1", "none"]), "7: entity_label: expected one label per cluster (1), got 2"),
        (_line(entity_label=["P1"]), "7: entity_label[0]: expected 'none', 'C<n>' or a group like 'C1C2', got 'P1'"),
        (_line(clusters=[[[0, 0]], [[3, 3]]], clusters_str=..., entity_label=["C1", "C1"]), "7: entity_label[1]: label 'C1' is also the label of cluster 0"),
        (_line(entity_label=["none"]), "7: visual_annotations[0].box_labels: 'C1' is not the label of any cluster"),
        (_line(visual_annotations=[{"bbox": [1, 2, 3], "box_labels": "C1", "cur_frame": 0}]), "7: visual_annotations[0].bbox: expected [x1, y1, x2, y2] numbers, got [1, 2, 3]"),
        (_line(visual_annotations=[{"bbox": [1, 2, 3, 4], "box_labels": "C1", "cur_frame": -1}]), "7: visual_annotations[0].cur_frame: expected a 0-based frame index (int >= 0), got -1"),
        (_line(visual_annotations=[{"bbox": [1, 2, 3, 4], "box_labels": "C1"}]), "7: visual_annotations[0]: missing key(s) cur_frame"),
        (_line(clusters_str=[["他", "来"]]), "7: clusters_str: expected one string per mention of each cluster"),
        (_line(speaker_ids=[["A"], ["B"]]), "7: speaker_ids: expected one speaker per token of each sentence"),
    ],
)
def test_malformed_records_give_exact_errors(line, error):
    with pytest.raises(release.ReleaseFormatError) as info:
        release.loads(line)
    assert str(info.value) == error


@pytest.mark.parametrize(
    ("build", "error"),
    [
        (lambda: Turn("", ("a",)), "speaker: expected a non-empty string, got ''"),
        (lambda: Cluster((), "none"), "spans: expected at least one mention, got an empty cluster"),
        (lambda: Cluster(((0, 1),), "C0"), "label: expected 'none', 'C<n>' or a group like 'C1C2', got 'C0'"),
        (lambda: Box("none", 0, (0, 0, 1, 1)), "box_labels: expected 'C<n>' or a group like 'C1C2', got 'none'"),
        (lambda: Box("C1", 0, (0, 0, 1, "x")), "bbox: expected [x1, y1, x2, y2] numbers, got (0, 0, 1, 'x')"),
        (lambda: Dialogue("k", (Turn("A", ("a",)),), fps=0), "fps: expected a positive number, got 0"),
        (lambda: Dialogue("k", (Turn("A", ("a",)),), frame_size=(0, 5)), "frame_size: expected (width, height) positive integers, got (0, 5)"),
        (lambda: Dialogue("k", (Turn("A", ("a",)),), boxes=(Box("C1", 0, (0, 0, 1, 1)),)), "visual_annotations[0].box_labels: 'C1' is not the label of any cluster"),
    ],
)
def test_data_model_rejects_invalid_artifacts(build, error):
    with pytest.raises(ValueError) as info:
        build()
    assert str(info.value) == error
