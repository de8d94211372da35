"""``<VideoRectangle name="box">`` on the video: a person's head box on one key frame
(``enabled: false``), labelled with the person's cluster number(s) through ``<Labels name="person">``.

A proposed person that no cluster took (:class:`~exports.prediction.ProposedPerson`) is a box
region too, with the detector's score and a note (``meta.text``, shown with the selected region)
saying how it is numbered -- never the annotation's comment, which is the annotator's own.
"""
from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import templates as T
from exports import coords
from exports.dialogue import Box
from exports.labelstudio.errors import LabelStudioFormatError, labels_of, numbers, region
from exports.prediction import ProposedPerson

log = logging.getLogger(__name__)

NOTE = ("Proposed person {label}, not linked to any mention yet (persons are numbered by screen time after the clusters): "
        "give the box its cluster's number (select it, press the number with Shift) or delete it (Backspace).")


def box_value(frame: int, bbox: Sequence[float], size: tuple[int, int], fps: float, frame_count: int | None) -> dict[str, Any]:
    """The ``value`` of a VideoRectangle region: a pixel box on a 0-based frame, in Label Studio's terms."""
    x, y, w, h = coords.box_to_percent(bbox, size)
    frames = max(frame_count or 0, frame + 1)
    return {
        "framesCount": frames,
        "duration": frames / fps,
        "sequence": [
            {
                "frame": coords.ls_frame(frame),
                "enabled": False,
                "rotation": 0,
                "x": x,
                "y": y,
                "width": w,
                "height": h,
                "time": coords.frame_time(frame, fps),
            }
        ],
    }


def to_region(rid: str, box: Box, size: tuple[int, int], fps: float, frame_count: int | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """The region of a box and its bare value (which the box's celebrity region repeats)."""
    value = box_value(box.frame, box.bbox, size, fps, frame_count)
    return region(rid, T.BOX, T.VIDEO, "videorectangle", {**value, "labels": labels_of(box.numbers)}), value


def proposal_region(person: ProposedPerson, size: tuple[int, int], fps: float, frame_count: int | None) -> dict[str, Any]:
    """The region of a person no cluster took: numbered ``person.label``, scored, with the note."""
    value = box_value(person.frame, person.bbox, size, fps, frame_count)
    out = region(f"p{person.person}", T.BOX, T.VIDEO, "videorectangle", {**value, "labels": [person.label]}, origin="prediction")
    out["score"] = person.confidence
    out["meta"] = {"text": [NOTE.format(label=person.label)]}
    return out


def read(value: Mapping[str, Any], where: str, field: str) -> list[str]:
    """The labels of a box region (checked: template numbers, at least one key frame).

    Raises:
        LabelStudioFormatError: unknown numbers or no key frame.
    """
    labels = value.get("labels")
    numbers(labels, where, f"{field}.value.labels")
    if not value.get("sequence"):
        raise LabelStudioFormatError(where, f"{field}.value.sequence", "a box without any key frame")
    return list(labels)


def check_key_frames(value: Mapping[str, Any], where: str, field: str) -> None:
    """Each key frame of a box region: a frame number >= 1 and a box in percent of the frame.

    Raises:
        LabelStudioFormatError: naming the key frame and the field.
    """
    sequence = value.get("sequence")
    if not isinstance(sequence, list):
        raise LabelStudioFormatError(where, f"{field}.sequence", "expected a list of key frames")
    for i, key in enumerate(sequence):
        if not isinstance(key, Mapping):
            raise LabelStudioFormatError(where, f"{field}.sequence[{i}]", "expected a key frame object")
        frame = key.get("frame")
        if isinstance(frame, bool) or not isinstance(frame, (int, float)) or frame < 1 or frame != int(frame):
            raise LabelStudioFormatError(where, f"{field}.sequence[{i}].frame", f"expected a frame number >= 1, got {frame!r}")
        for name in ("x", "y", "width", "height"):
            v = key.get(name)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not -1e-6 <= v <= 100 + 1e-6:
                raise LabelStudioFormatError(where, f"{field}.sequence[{i}].{name}", f"expected a percentage 0..100, got {v!r}")
        if key["width"] <= 0 or key["height"] <= 0:
            raise LabelStudioFormatError(where, f"{field}.sequence[{i}]", "the box has no area")


def is_box(region_: Mapping[str, Any]) -> bool:
    return region_.get("from_name") in (T.BOX, T.PERSON) and region_.get("type") in ("videorectangle", "labels")


def from_region(
    label: str, value: Mapping[str, Any], size: tuple[int, int], celebrity: str, carried: Mapping[str, Any] | None, where: str
) -> Box:
    """The Box of a region: its first key frame in pixels; what the release line carried for it (opaque paths,
    the exact pixel box when the drawn one did not move) is kept.

    Raises:
        LabelStudioFormatError: a malformed key frame or box.
    """
    sequence = value["sequence"]
    if len(sequence) > 1:
        log.warning("%s: box %s has %d key frames; the first one is kept", where, label, len(sequence))
    key = sequence[0]
    try:
        frame = coords.release_frame(int(key["frame"]))
        percent = (float(key["x"]), float(key["y"]), float(key["width"]), float(key["height"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise LabelStudioFormatError(where, f"box {label}", f"bad key frame {dict(key)!r}: {exc}") from None
    bbox: tuple[float, ...] = coords.box_to_pixels(percent, size)
    frame_path = region_path = None
    extra: dict[str, Any] = {}
    key_order = None
    if carried is not None:
        extra = dict(carried.get("extra", {}))
        key_order = tuple(carried["key_order"]) if carried.get("key_order") else None
        if carried.get("frame") == frame:
            frame_path = carried.get("frame_path")
            old = carried.get("bbox")
            if old is not None and coords.same_percent(coords.box_to_percent(old, size), percent):
                bbox = tuple(old)
                region_path = carried.get("region_path")
    try:
        return Box(label, frame, bbox, celebrity, frame_path, region_path, extra, key_order)
    except ValueError as exc:
        raise LabelStudioFormatError(where, f"box {label}", str(exc)) from None


def from_record(record: Mapping[str, Any], where: str) -> Box:
    """A box carried in the task's ``release`` data (not shown: the task has no frame size)."""
    try:
        return Box(
            label=record["label"],
            frame=record["frame"],
            bbox=tuple(record["bbox"]),
            celebrity=record.get("celebrity", ""),
            frame_path=record.get("frame_path"),
            region_path=record.get("region_path"),
            extra=dict(record.get("extra", {})),
            key_order=tuple(record["key_order"]) if record.get("key_order") else None,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise LabelStudioFormatError(where, "data.release.boxes", f"bad carried box {dict(record)!r}: {exc}") from None
