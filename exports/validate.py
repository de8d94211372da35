"""Checks of release JSONL files: every problem of every line, as ``doc_key: field: message``.

The checks read the raw JSON (not a :class:`Dialogue`), so one bad field does not hide
the others. A line that passes them also builds a Dialogue (checked last).
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from exports.dialogue import is_entity_label, label_numbers
from exports.release import CELEBRITY_KEYS, LABEL_KEYS, ReleaseFormatError, from_record, parse_json

REQUIRED = ("doc_key", "sentences", "clusters")


@dataclass(frozen=True, slots=True)
class Problem:
    doc_key: str
    field: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f" (line {self.line})" if self.line is not None else ""
        return f"{self.doc_key}: {self.field}: {self.message}{where}"


def _int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def check_record(record: Any, frame_size: tuple[int, int] | None = None) -> list[tuple[str, str]]:
    """Problems of one parsed release record as ``(field, message)`` pairs."""
    if not isinstance(record, dict):
        return [("record", f"expected a JSON object, got {type(record).__name__}")]
    out: list[tuple[str, str]] = []
    for key in REQUIRED:
        if key not in record:
            out.append((key, "missing"))
    if out:
        return out
    sentences = record["sentences"]
    if not isinstance(sentences, list) or not sentences or not all(
        isinstance(s, list) and all(isinstance(t, str) and t for t in s) for s in sentences
    ):
        return [("sentences", "expected a non-empty list of turns, each a list of non-empty token strings")]
    tokens = [t for s in sentences for t in s]
    n = len(tokens)
    turn_of = [i for i, s in enumerate(sentences) for _ in s]

    clusters = record["clusters"]
    if not isinstance(clusters, list):
        return [("clusters", "expected a list of clusters")]
    spans_ok: list[list[tuple[int, int] | None]] = []
    seen: dict[tuple[int, int], str] = {}
    for ci, cluster in enumerate(clusters):
        row: list[tuple[int, int] | None] = []
        if not isinstance(cluster, list) or not cluster:
            out.append((f"clusters[{ci}]", "expected a non-empty list of [start, end] spans"))
            spans_ok.append(row)
            continue
        for mi, span in enumerate(cluster):
            field = f"clusters[{ci}][{mi}]"
            if not (isinstance(span, list) and len(span) == 2 and all(_int(x) for x in span)):
                out.append((field, f"expected [start, end] integers, got {json.dumps(span, ensure_ascii=False)}"))
                row.append(None)
                continue
            s, e = span
            if not 0 <= s <= e < n:
                out.append((field, f"span [{s}, {e}] is out of range for {n} tokens"))
                row.append(None)
                continue
            if turn_of[s] != turn_of[e]:
                out.append((field, f"span [{s}, {e}] crosses from turn {turn_of[s]} to turn {turn_of[e]}"))
            if (s, e) in seen:
                out.append((field, f"duplicate span [{s}, {e}] (also {seen[(s, e)]})"))
            else:
                seen[(s, e)] = field
            row.append((s, e))
        spans_ok.append(row)

    if "clusters_str" in record:
        cstr = record["clusters_str"]
        if not isinstance(cstr, list) or len(cstr) != len(clusters):
            out.append(("clusters_str", f"expected one list per cluster ({len(clusters)}), got {_len(cstr)}"))
        else:
            for ci, (strings, row) in enumerate(zip(cstr, spans_ok)):
                if not isinstance(strings, list) or len(strings) != len(clusters[ci] if isinstance(clusters[ci], list) else []):
                    out.append((f"clusters_str[{ci}]", "expected one string per mention of the cluster"))
                    continue
                for mi, (text, span) in enumerate(zip(strings, row)):
                    if span is not None and text != "".join(tokens[span[0] : span[1] + 1]):
                        actual = "".join(tokens[span[0] : span[1] + 1])
                        out.append(
                            (f"clusters_str[{ci}][{mi}]", f"{text!r} does not match the text of span [{span[0]}, {span[1]}], {actual!r}")
                        )

    label_key = next((k for k in LABEL_KEYS if k in record), None)
    labels: list[Any] = []
    if label_key is None:
        out.append(("entity_label", "missing (neither entity_label nor entity_labels)"))
    else:
        labels = record[label_key] if isinstance(record[label_key], list) else []
        if not isinstance(record[label_key], list):
            out.append((label_key, "expected a list of labels"))
        elif len(labels) != len(clusters):
            out.append((label_key, f"{len(labels)} labels for {len(clusters)} clusters"))
        first: dict[str, int] = {}
        for li, label in enumerate(labels):
            if not is_entity_label(label):
                out.append((f"{label_key}[{li}]", f"expected 'none', 'C<n>' or a group like 'C1C2', got {label!r}"))
            elif label != "none":
                if label in first:
                    out.append((f"{label_key}[{li}]", f"label {label!r} is also the label of cluster {first[label]}"))
                first.setdefault(label, li)

    speakers = record.get("speaker_ids")
    if speakers is not None:
        if not isinstance(speakers, list) or len(speakers) != len(sentences) or any(
            not isinstance(s, list) or len(s) != len(t) for s, t in zip(speakers, sentences)
        ):
            out.append(("speaker_ids", "expected one speaker per token of each turn"))
        else:
            for i, s in enumerate(speakers):
                if len(set(map(str, s))) > 1:
                    out.append((f"speaker_ids[{i}]", f"several speakers in one turn: {sorted(set(map(str, s)))}"))
    boxes = record.get("visual_annotations", [])
    if not isinstance(boxes, list):
        out.append(("visual_annotations", "expected a list"))
        boxes = []
    boxed: set[str] = set()
    for bi, box in enumerate(boxes):
        field = f"visual_annotations[{bi}]"
        if not isinstance(box, dict):
            out.append((field, "expected an object"))
            continue
        missing = [k for k in ("cur_frame", "bbox", "box_labels") if k not in box]
        if missing:
            out.append((field, f"missing key(s) {', '.join(missing)}"))
            continue
        if not (_int(box["cur_frame"]) and box["cur_frame"] >= 0):
            out.append((f"{field}.cur_frame", f"expected a 0-based frame index, got {box['cur_frame']!r}"))
        label = box["box_labels"]
        if label in boxed:
            out.append((f"{field}.box_labels", f"a second box for {label!r}"))
        boxed.add(label) if isinstance(label, str) else None
        if not isinstance(label, str) or label not in labels or label == "none":
            out.append((f"{field}.box_labels", f"box label {label!r} is not the label of any cluster"))
        bbox = box["bbox"]
        if not (isinstance(bbox, list) and len(bbox) == 4 and all(_num(v) for v in bbox)):
            out.append((f"{field}.bbox", f"expected [x1, y1, x2, y2] numbers, got {json.dumps(bbox)}"))
        else:
            x1, y1, x2, y2 = bbox
            if x2 <= x1 or y2 <= y1:
                out.append((f"{field}.bbox", f"empty box {bbox}: expected x1 < x2 and y1 < y2"))
            w, h = frame_size if frame_size else (float("inf"), float("inf"))
            if x1 < 0 or y1 < 0 or x2 > w or y2 > h:
                size = f" {frame_size[0]}x{frame_size[1]}" if frame_size else ""
                out.append((f"{field}.bbox", f"box {bbox} is outside the frame{size}"))
        ckey = next((k for k in CELEBRITY_KEYS if k in box), None)
        if ckey is not None and not isinstance(box[ckey], str):
            out.append((f"{field}.{ckey}", f"expected a string, got {box[ckey]!r}"))
    if label_key is not None:
        for li, label in enumerate(labels):
            if isinstance(label, str) and label != "none" and is_entity_label(label) and label not in boxed:
                out.append((f"{label_key}[{li}]", f"label {label!r} has no box in visual_annotations"))
        for li, label in enumerate(labels):
            if isinstance(label, str) and is_entity_label(label) and len(set(label_numbers(label))) != len(label_numbers(label)):
                out.append((f"{label_key}[{li}]", f"group label {label!r} repeats a number"))
    if not out:
        try:
            from_record(record)
        except ReleaseFormatError as exc:
            out.append((exc.field, exc.message))
    return out


def check_lines(lines: Iterable[str], frame_size: tuple[int, int] | None = None) -> Iterator[Problem]:
    """Problems of a release JSONL file given as lines (line numbers are 1-based)."""
    keys: dict[str, int] = {}
    for lineno, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = parse_json(line)
        except json.JSONDecodeError as exc:
            yield Problem("?", "json", f"malformed JSON: {exc.msg} at column {exc.colno}", lineno)
            continue
        doc_key = record.get("doc_key") if isinstance(record, dict) else None
        name = doc_key if isinstance(doc_key, str) and doc_key else "?"
        if isinstance(doc_key, str) and doc_key:
            if doc_key in keys:
                yield Problem(name, "doc_key", f"duplicate doc_key (first on line {keys[doc_key]})", lineno)
            keys.setdefault(doc_key, lineno)
        for field, message in check_record(record, frame_size):
            yield Problem(name, field, message, lineno)


def _len(value: Any) -> str:
    return str(len(value)) if isinstance(value, list) else type(value).__name__
