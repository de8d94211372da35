"""Each Label Studio control tag's adapter alone: artifact -> region -> artifact, and what a bad region gets."""
from __future__ import annotations

import pytest

import templates as T
from exports import coords
from exports.dialogue import Box, Cluster
from exports.labelstudio import LabelStudioFormatError, box, celebrity, comment, flags, mention
from exports.prediction import ProposedPerson

TURNS = [tuple("王一博和肖战"), tuple("他俩好甜")]
INDEX = coords.TextIndex(TURNS)
TOKENS = tuple(t for turn in TURNS for t in turn)


@pytest.mark.parametrize("span", [(0, 2), (4, 5), (6, 7), (9, 9)])
def test_mention_region_round_trip(label_interface, span):
    value = mention.paragraph_value(span, INDEX, TOKENS)
    region = mention.to_region("m0_0", value, ["C1", "C2"])
    assert label_interface.validate_prediction({"result": [region]}, return_errors=True) == []
    assert region["value"]["text"] == "".join(TOKENS[span[0] : span[1] + 1])
    assert mention.read(region["value"], INDEX, "task 1", "result[0]") == (frozenset({1, 2}), span)


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"paragraphlabels": ["C99"]}, "result[0].value.paragraphlabels", "unknown cluster number(s) ['C99']; expected C1..C20"),
        ({"paragraphlabels": []}, "result[0].value.paragraphlabels", "expected a non-empty list of cluster numbers, got []"),
        ({"endOffset": 40}, "result[0].value", "bad mention offsets"),
        ({"start": "x"}, "result[0].value", "bad mention offsets"),
    ],
)
def test_a_bad_mention_region_names_its_field(change, field, message):
    value = {**mention.paragraph_value((0, 2), INDEX, TOKENS), "paragraphlabels": ["C1"], **change}
    with pytest.raises(LabelStudioFormatError) as info:
        mention.read(value, INDEX, "task 1", "result[0]")
    assert info.value.field == field and info.value.message.startswith(message)


def test_flags_region_rides_on_the_first_mention():
    value = mention.paragraph_value((0, 2), INDEX, TOKENS)
    assert flags.to_region("m0_0", value, Cluster(((0, 2),), "C1")) is None  # no flag: no region
    region = flags.to_region("m0_0", value, Cluster(((0, 2),), "C1", not_in_video=True, face_unidentifiable=True))
    assert region["id"] == "m0_0" and region["value"]["start"] == value["start"] and region["from_name"] == T.FLAGS
    read = flags.read(region["value"], "task 1", "result[1]")
    assert flags.apply(read) == {"not_in_video": True, "face_unidentifiable": True}
    with pytest.raises(LabelStudioFormatError, match=r"result\[1\].value.choices: unknown flag\(s\) \['blurry'\]"):
        flags.read({"choices": ["blurry"]}, "task 1", "result[1]")


def test_box_region_round_trip_on_its_key_frame(label_interface):
    size, fps = (720, 1280), 25.0
    b = Box("C1C2", 49, (100.0, 200.0, 300.0, 460.0), "王一博")
    region, value = box.to_region("b0", b, size, fps, 500)
    named = celebrity.to_region("b0", value, b.celebrity)
    assert label_interface.validate_prediction({"result": [region, named]}, return_errors=True) == []
    (key,) = region["value"]["sequence"]
    assert key["frame"] == 50 and key["enabled"] is False and key["time"] == pytest.approx(49 / 25.0)  # 1-based in Label Studio
    labels = box.read(region["value"], "task 1", "result[0]")
    assert labels == ["C1", "C2"]
    back = box.from_region("".join(labels), region["value"], size, celebrity.read(named["value"], "task 1", "result[1]"), None, "task 1")
    assert (back.label, back.frame, back.celebrity) == ("C1C2", 49, "王一博")
    assert back.bbox == pytest.approx(b.bbox, abs=0.01)


def test_a_box_without_a_key_frame_is_refused():
    with pytest.raises(LabelStudioFormatError, match=r"result\[2\].value.sequence: a box without any key frame"):
        box.read({"labels": ["C1"], "sequence": []}, "task 1", "result[2]")


def test_an_unlinked_proposal_says_how_it_is_numbered(label_interface):
    p = ProposedPerson(person=2, number=4, frame=10, bbox=(10, 20, 110, 140), confidence=0.87)
    region = box.proposal_region(p, (720, 1280), 30.0, 300)
    assert label_interface.validate_prediction({"result": [region]}, return_errors=True) == []
    assert region["id"] == "p2" and region["value"]["labels"] == ["C4"] and region["score"] == 0.87
    assert region["origin"] == "prediction" and "C4" in region["meta"]["text"][0]


def test_celebrity_and_comment_text():
    assert celebrity.read({"text": [" 王一博 ", "", "Wang"]}, "task 1", "result[3]") == "王一博 Wang"
    assert celebrity.read({"text": "肖战"}, "task 1", "result[3]") == "肖战"
    with pytest.raises(LabelStudioFormatError, match=r"result\[3\].value.text: expected a list of strings"):
        celebrity.read({"text": 5}, "task 1", "result[3]")
    region = comment.to_region("第二个人看不清")
    assert region["from_name"] == T.COMMENT and comment.read(region["value"]) == "第二个人看不清"
