from __future__ import annotations


import pytest

from exports.validate import check_lines
from tests.factories import release_line
from tests.conftest import KNOWN_SLIP


def test_shared_file_has_exactly_the_known_slip(release_lines):
    problems = [str(p) for p in check_lines(release_lines)]
    assert problems == [
        f"{KNOWN_SLIP}: clusters_str[0][0]: '那个跳舞的' does not match the text of span [10, 14], '是那个跳舞' (line 131)"
    ]


_rec = release_line


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        ([_rec()], []),
        (["{bad json"], ["?: json: malformed JSON: Expecting property name enclosed in double quotes at column 2 (line 1)"]),
        ([_rec(), _rec()], ["7: doc_key: duplicate doc_key (first on line 1) (line 2)"]),
        ([_rec(doc_key=...)], ["?: doc_key: missing (line 1)"]),
        ([_rec(clusters=[[[0, 9]]])], ["7: clusters[0][0]: span [0, 9] is out of range for 4 tokens (line 1)"]),
        ([_rec(clusters=[[[2, 3]]], clusters_str=[["了好"]])], ["7: clusters[0][0]: span [2, 3] crosses from turn 0 to turn 1 (line 1)"]),
        ([_rec(clusters_str=[["她"]])], ["7: clusters_str[0][0]: '她' does not match the text of span [0, 0], '他' (line 1)"]),
        ([_rec(entity_label=["C1", "none"])], ["7: entity_label: 2 labels for 1 clusters (line 1)"]),
        ([_rec(clusters=[[[0, 0]], [[0, 0]]], clusters_str=[["他"], ["他"]], entity_label=["C1", "none"])],
         ["7: clusters[1][0]: duplicate span [0, 0] (also clusters[0][0]) (line 1)"]),
        ([_rec(visual_annotations=[{"cur_frame": 0, "bbox": [-5, 2, 30, 40], "box_labels": "C1", "if_celebrity": ""}])],
         ["7: visual_annotations[0].bbox: box [-5, 2, 30, 40] is outside the frame (line 1)"]),
        ([_rec(visual_annotations=[{"cur_frame": 0, "bbox": [30, 2, 30, 40], "box_labels": "C1", "if_celebrity": ""}])],
         ["7: visual_annotations[0].bbox: empty box [30, 2, 30, 40]: expected x1 < x2 and y1 < y2 (line 1)"]),
        ([_rec(entity_label=["none"])],
         ["7: visual_annotations[0].box_labels: box label 'C1' is not the label of any cluster (line 1)"]),
        ([_rec(entity_label=["C2"])],
         ["7: visual_annotations[0].box_labels: box label 'C1' is not the label of any cluster (line 1)",
          "7: entity_label[0]: label 'C2' has no box in visual_annotations (line 1)"]),
        ([_rec(entity_labels=["C1"], entity_label=...)], []),
        ([_rec(speaker_ids=[["A", "B", "A"], ["B"]])], ["7: speaker_ids[0]: several speakers in one turn: ['A', 'B'] (line 1)"]),
        (["", _rec(sentences=[])], ["7: sentences: expected a non-empty list of turns, each a list of non-empty token strings (line 2)"]),
    ],
)
def test_problem_rows(lines, expected):
    assert [str(p) for p in check_lines(lines)] == expected


def test_frame_size_checks_the_right_and_bottom_edges():
    line = _rec(visual_annotations=[{"cur_frame": 0, "bbox": [1, 2, 721, 40], "box_labels": "C1", "if_celebrity": ""}])
    assert [str(p) for p in check_lines([line])] == []
    assert [str(p) for p in check_lines([line], frame_size=(720, 1280))] == [
        "7: visual_annotations[0].bbox: box [1, 2, 721, 40] is outside the frame 720x1280 (line 1)"
    ]
