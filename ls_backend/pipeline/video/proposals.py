"""Person proposals that no text cluster took, in Label Studio's and the release's terms.

Persons that alignment (``pipeline/align``) did not link to a cluster -- or all persons, when
alignment is not run -- are numbered by screen time (most seen first) with the cluster numbers
that follow every cluster's number, so that no box falsely claims a cluster; the annotator
relabels or deletes them. Each such box says so in its region note (``meta.text``, shown with the
selected region), never in the annotation's comment, which is the annotator's own.
"""
from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import templates as T
from exports import labelstudio
from exports.dialogue import Dialogue


def first_person_number(dialogue: Dialogue | None) -> int:
    """The first number after the text clusters' numbers (1 without a dialogue)."""
    if dialogue is None or not dialogue.clusters:
        return 1
    return max(n for nums in labelstudio.cluster_numbers(dialogue) for n in nums) + 1


def first_after_result(result: Sequence[Mapping[str, Any]]) -> int:
    """The first number after those the text regions of a prediction use."""
    used = [int(l[1:]) for r in result if r.get("from_name") == T.MENTION for l in r.get("value", {}).get("paragraphlabels", []) if l[1:].isdigit()]
    return max(used, default=0) + 1


def person_labels(analysis: Mapping[str, Any], first: int) -> list[str]:
    return [f"C{first + i}" for i in range(len(analysis["persons"]))]


NOTE = ("Proposed person {label}, not linked to any mention yet (persons are numbered by screen time after the clusters): "
        "give the box its cluster's number (select it, press the number with Shift) or delete it (Backspace).")


def video_results(analysis: Mapping[str, Any], first: int) -> list[dict[str, Any]]:
    """VideoRectangle regions, one per person on its key frame, each with a note saying how it is numbered.

    ``analysis`` is ``VideoAnalysis.to_json()`` (what the store caches).
    """
    meta = analysis["meta"]
    size, fps = (meta["width"], meta["height"]), meta["fps"]
    out = []
    for person, label in zip(analysis["persons"], person_labels(analysis, first)):
        if int(label[1:]) > T.MAX_CLUSTERS:
            break  # the template offers C1..C20
        value = labelstudio.box_value(person["frame"], person["bbox"], size, fps, meta["frame_count"])
        out.append({"id": f"p{person['number']}", "from_name": T.BOX, "to_name": T.VIDEO, "type": "videorectangle",
                    "origin": "prediction", "value": {**value, "labels": [label]}, "score": person["confidence"],
                    "meta": {"text": [NOTE.format(label=label)]}})
    return out


def visual_annotations(analysis: Mapping[str, Any], first: int) -> list[dict[str, Any]]:
    """Release-format boxes: 0-based ``cur_frame``, pixel ``bbox``, ``box_labels``, empty ``if_celebrity``."""
    out = []
    for person, label in zip(analysis["persons"], person_labels(analysis, first)):
        bbox = [int(round(v)) for v in person["bbox"]]
        out.append({"cur_frame": person["frame"], "cur_frame_path": "", "bbox": bbox, "box_labels": label, "if_celebrity": "", "region_image_path": ""})
    return out


def release_line(text_line: str, analysis: Mapping[str, Any] | None, dialogue: Dialogue) -> str:
    """The predicted release line with the (unlinked) persons' boxes appended after its own
    (same serialisation as the release file)."""
    if analysis is None:
        return text_line
    record = json.loads(text_line)
    record["visual_annotations"] = list(record.get("visual_annotations") or []) + visual_annotations(analysis, first_person_number(dialogue))
    return json.dumps(record, ensure_ascii=False)


def combined_score(text_score: float, analysis: Mapping[str, Any] | None) -> float:
    """The prediction score: the text model's confidence, lowered by weak person detections."""
    if not analysis or not analysis["persons"]:
        return text_score
    video = min(p["confidence"] for p in analysis["persons"])
    return round(text_score * (0.5 + 0.5 * video), 6)


def prediction(text_result: Sequence[Mapping[str, Any]], text_score: float, analysis: Mapping[str, Any] | None, version: str) -> dict[str, Any]:
    """Text regions plus the persons' boxes (numbered after the text clusters)."""
    result = list(text_result)
    if analysis is not None:
        result += video_results(analysis, first_after_result(text_result))
    return {"result": result, "score": combined_score(text_score, analysis), "model_version": version}
