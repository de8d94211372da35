"""Release JSONL (the TikTalkCoref format) <-> :class:`~exports.dialogue.Dialogue`.

One dialogue per line, serialised as ``json.dumps(obj, ensure_ascii=False)`` with the
default separators. Reading keeps what is needed to write the same bytes back
(:class:`~exports.dialogue.ReleaseLayout`): key order, the key spellings
(``entity_label`` / ``entity_labels``, ``if_celebrity`` / ``celebrity``), unknown keys,
``clusters_str`` values that differ from their span, and per-token maps whose stored
value differs from the one derived from the turns.
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from exports.dialogue import NONE_LABEL, Box, Cluster, Dialogue, ReleaseLayout, Span, Turn

LABEL_KEYS = ("entity_label", "entity_labels")
CELEBRITY_KEYS = ("if_celebrity", "celebrity")
DEFAULT_KEYS = (
    "doc_key",
    "genre",
    "sentences",
    "clusters",
    "clusters_str",
    "speaker_ids",
    "sentence_map",
    "subtoken_map",
    "entity_label",
    "visual_annotations",
)
DEFAULT_BOX_KEYS = ("cur_frame", "cur_frame_path", "bbox", "box_labels", "if_celebrity", "region_image_path")
_KNOWN = set(DEFAULT_KEYS) | {"entity_labels"}
_KNOWN_BOX = set(DEFAULT_BOX_KEYS) | {"celebrity"}
_MAPS = ("speaker_ids", "sentence_map", "subtoken_map")


class ReleaseFormatError(ValueError):
    """A release record that cannot become a Dialogue; ``field`` names where."""

    def __init__(self, doc_key: str | None, field: str, message: str) -> None:
        self.doc_key = doc_key
        self.field = field
        self.message = message
        super().__init__(f"{doc_key or '?'}: {field}: {message}")


def dumps(record: Mapping[str, Any]) -> str:
    """Serialise a release record exactly as the released file does (no newline)."""
    return json.dumps(record, ensure_ascii=False)


# -- reading -------------------------------------------------------------------------
def from_record(record: Any) -> Dialogue:
    """Build a Dialogue from one parsed release record.

    Raises:
        ReleaseFormatError: the record misses a required key, has a wrong type, or
            breaks the data model (span out of range, box label without cluster, ...).
    """
    if not isinstance(record, dict):
        raise ReleaseFormatError(None, "record", f"expected a JSON object, got {type(record).__name__}")
    doc_key = record.get("doc_key")
    if not isinstance(doc_key, str) or not doc_key:
        raise ReleaseFormatError(None, "doc_key", f"expected a non-empty string, got {doc_key!r}")

    def fail(field: str, message: str) -> ReleaseFormatError:
        return ReleaseFormatError(doc_key, field, message)

    sentences = record.get("sentences")
    if not isinstance(sentences, list) or not all(isinstance(s, list) for s in sentences):
        raise fail("sentences", f"expected a list of token lists, got {_short(sentences)}")
    speaker_ids = record.get("speaker_ids")
    if speaker_ids is not None and (
        not isinstance(speaker_ids, list)
        or len(speaker_ids) != len(sentences)
        or any(not isinstance(s, list) or len(s) != len(t) for s, t in zip(speaker_ids, sentences))
    ):
        raise fail("speaker_ids", "expected one speaker per token of each sentence")
    turns = []
    for i, tokens in enumerate(sentences):
        if speaker_ids is not None and speaker_ids[i]:
            speaker = speaker_ids[i][0]
        else:
            speaker = chr(ord("A") + i % 26)
        try:
            turns.append(Turn(speaker, tuple(tokens)))
        except ValueError as exc:
            field = "speaker_ids" if str(exc).startswith("speaker") else "sentences"
            raise fail(f"{field}[{i}]", str(exc)) from None

    label_key = next((k for k in LABEL_KEYS if k in record), LABEL_KEYS[0])
    raw_clusters = record.get("clusters", [])
    if not isinstance(raw_clusters, list):
        raise fail("clusters", f"expected a list of clusters, got {_short(raw_clusters)}")
    labels = record.get(label_key, [NONE_LABEL] * len(raw_clusters))
    if not isinstance(labels, list):
        raise fail(label_key, f"expected a list of labels, got {_short(labels)}")
    if len(labels) != len(raw_clusters):
        raise fail(label_key, f"expected one label per cluster ({len(raw_clusters)}), got {len(labels)}")
    clusters = []
    for ci, (spans, label) in enumerate(zip(raw_clusters, labels)):
        if not isinstance(spans, list):
            raise fail(f"clusters[{ci}]", f"expected a list of [start, end] spans, got {_short(spans)}")
        try:
            clusters.append(Cluster(tuple(spans), label))
        except ValueError as exc:
            inner = _field_of(exc)
            if inner.startswith("label"):
                field = f"{label_key}[{ci}]"
            elif inner.startswith("spans["):
                field = f"clusters[{ci}]{inner[len('spans'):]}"
            else:
                field = f"clusters[{ci}]"
            raise fail(field, _strip_field(exc)) from None

    raw_boxes = record.get("visual_annotations", [])
    if not isinstance(raw_boxes, list):
        raise fail("visual_annotations", f"expected a list, got {_short(raw_boxes)}")
    boxes = []
    celebrity_key = CELEBRITY_KEYS[0]
    for bi, raw in enumerate(raw_boxes):
        if not isinstance(raw, dict):
            raise fail(f"visual_annotations[{bi}]", f"expected an object, got {_short(raw)}")
        ckey = next((k for k in CELEBRITY_KEYS if k in raw), CELEBRITY_KEYS[0])
        if bi == 0:
            celebrity_key = ckey
        missing = [k for k in ("cur_frame", "bbox", "box_labels") if k not in raw]
        if missing:
            raise fail(f"visual_annotations[{bi}]", f"missing key(s) {', '.join(missing)}")
        keys = tuple(raw)
        expected = tuple(ckey if k == "if_celebrity" else k for k in DEFAULT_BOX_KEYS)
        try:
            boxes.append(
                Box(
                    label=raw["box_labels"],
                    frame=raw["cur_frame"],
                    bbox=raw["bbox"],
                    celebrity=raw.get(ckey, ""),
                    frame_path=raw.get("cur_frame_path"),
                    region_path=raw.get("region_image_path"),
                    extra={k: v for k, v in raw.items() if k not in _KNOWN_BOX},
                    key_order=None if keys == expected else keys,
                )
            )
        except ValueError as exc:
            raise fail(f"visual_annotations[{bi}].{_field_of(exc)}", _strip_field(exc)) from None

    tokens = [tok for s in sentences for tok in s]
    mention_strings: dict[Span, str] = {}
    clusters_str = record.get("clusters_str")
    if clusters_str is not None:
        if not isinstance(clusters_str, list) or len(clusters_str) != len(clusters) or any(
            not isinstance(cs, list) or len(cs) != len(c.spans) for cs, c in zip(clusters_str, clusters)
        ):
            raise fail("clusters_str", "expected one string per mention of each cluster")
        for cs, cluster in zip(clusters_str, clusters):
            for text, span in zip(cs, cluster.spans):
                if span[1] < len(tokens) and text != "".join(tokens[span[0] : span[1] + 1]):
                    mention_strings[span] = text

    dialogue_turns = tuple(turns)
    stored_maps = {}
    for key in _MAPS:
        if key in record and record[key] != _derived_map(key, dialogue_turns):
            stored_maps[key] = record[key]

    keys = tuple(record)
    layout = ReleaseLayout(
        keys=keys,
        label_key=label_key,
        celebrity_key=celebrity_key,
        extra={k: v for k, v in record.items() if k not in _KNOWN},
        mention_strings=mention_strings,
        stored_maps=stored_maps,
    )
    genre = record.get("genre", "wb")
    if not isinstance(genre, str):
        raise fail("genre", f"expected a string, got {_short(genre)}")
    try:
        return Dialogue(
            doc_key=doc_key,
            genre=genre,
            turns=dialogue_turns,
            clusters=tuple(clusters),
            boxes=tuple(boxes),
            layout=layout,
        )
    except ValueError as exc:
        raise fail(_field_of(exc), _strip_field(exc)) from None


def parse_json(text: str) -> Any:
    """``json.loads``, with JSON nested too deeply for Python's parser reported as malformed JSON (a
    ``json.JSONDecodeError``, as every reader already handles) instead of a ``RecursionError``."""
    try:
        return json.loads(text)
    except RecursionError:
        raise json.JSONDecodeError("nested too deeply", text, 0) from None


def loads(line: str) -> Dialogue:
    """Parse one release JSONL line."""
    return from_record(parse_json(line))


# -- writing -------------------------------------------------------------------------
def to_record(
    dialogue: Dialogue, *, label_key: str | None = None, celebrity_key: str | None = None
) -> dict[str, Any]:
    """Release record of a dialogue, keys in the order and spelling it was read with.

    Args:
        label_key: write ``entity_label`` or ``entity_labels`` (default: as read, else
            ``entity_label``).
        celebrity_key: write ``if_celebrity`` or ``celebrity`` (default: as read).
    """
    layout = dialogue.layout
    lk = label_key or (layout.label_key if layout else LABEL_KEYS[0])
    ck = celebrity_key or (layout.celebrity_key if layout else CELEBRITY_KEYS[0])
    if lk not in LABEL_KEYS:
        raise ValueError(f"label_key: expected one of {LABEL_KEYS}, got {lk!r}")
    if ck not in CELEBRITY_KEYS:
        raise ValueError(f"celebrity_key: expected one of {CELEBRITY_KEYS}, got {ck!r}")
    turns = dialogue.turns
    tokens = dialogue.tokens
    strings = layout.mention_strings if layout else {}
    stored = layout.stored_maps if layout else {}
    values: dict[str, Any] = {
        "doc_key": dialogue.doc_key,
        "genre": dialogue.genre,
        "sentences": [list(t.tokens) for t in turns],
        "clusters": [[list(s) for s in c.spans] for c in dialogue.clusters],
        "clusters_str": [
            [strings[s] if s in strings else "".join(tokens[s[0] : s[1] + 1]) for s in c.spans] for c in dialogue.clusters
        ],
        "entity_label": [c.label for c in dialogue.clusters],
        "visual_annotations": [_box_record(dialogue.doc_key, b, ck) for b in dialogue.boxes],
    }
    for key in _MAPS:
        derived = _derived_map(key, turns)
        value = stored.get(key)
        values[key] = value if value is not None and _same_shape(value, derived) else derived
    keys = layout.keys if layout else DEFAULT_KEYS
    out: dict[str, Any] = {}
    for key in keys:
        name = "entity_label" if key in LABEL_KEYS else key
        if name in values:
            out[lk if name == "entity_label" else key] = values[name]
        elif layout and key in layout.extra:
            out[key] = layout.extra[key]
    if layout is None or "visual_annotations" in keys or dialogue.boxes:
        out.setdefault("visual_annotations", values["visual_annotations"])
    return out


def to_line(dialogue: Dialogue, **kwargs: Any) -> str:
    """One release JSONL line (without the newline)."""
    return dumps(to_record(dialogue, **kwargs))


def to_document(dialogue: Dialogue) -> dict[str, Any]:
    """A dialogue as JSON with what the release line leaves out (title, video, its rate, size and length): what the
    backend stores of an annotation or a prediction; :func:`from_document` reads it back."""
    d = dialogue
    return {"dialogue": to_line(d), "title": d.title, "video": d.video, "fps": d.fps,
            "frame_size": list(d.frame_size) if d.frame_size else None, "frame_count": d.frame_count}


def from_document(data: Any) -> Dialogue:
    """Raises:
        ValueError: not a document of :func:`to_document` (the message names the field).
    """
    from dataclasses import replace

    if not isinstance(data, Mapping):
        raise ValueError(f"expected an object, got {type(data).__name__}")
    try:
        dialogue = loads(data["dialogue"])
    except KeyError:
        raise ValueError("dialogue: missing") from None
    except (TypeError, json.JSONDecodeError) as exc:
        raise ValueError(f"dialogue: {exc}") from None
    size = data.get("frame_size")
    return replace(dialogue, title=data.get("title"), video=data.get("video"), fps=data.get("fps"),
                   frame_size=tuple(size) if size else None, frame_count=data.get("frame_count"), layout=None)


def default_frame_path(doc_key: str, frame: int) -> str:
    """Relative key-frame path following the upstream naming (``frames/<doc>/<doc>_<frame>_1.jpg``)."""
    return f"frames/{doc_key}/{doc_key}_{frame}_1.jpg"


def default_region_path(doc_key: str, frame: int, label: str) -> str:
    """Relative head-crop path following the upstream naming (``faces_all/<doc>_<frame>_1_<label>.jpg``)."""
    return f"faces_all/{doc_key}_{frame}_1_{label}.jpg"


def _box_record(doc_key: str, box: Box, celebrity_key: str) -> dict[str, Any]:
    values = {
        "cur_frame": box.frame,
        "cur_frame_path": box.frame_path if box.frame_path is not None else default_frame_path(doc_key, box.frame),
        "bbox": list(box.bbox),
        "box_labels": box.label,
        "if_celebrity": box.celebrity,
        "region_image_path": box.region_path
        if box.region_path is not None
        else default_region_path(doc_key, box.frame, box.label),
    }
    out: dict[str, Any] = {}
    for key in box.key_order or DEFAULT_BOX_KEYS:
        if key in CELEBRITY_KEYS:
            out[celebrity_key] = values["if_celebrity"]
        elif key in values:
            out[key] = values[key]
        elif key in box.extra:
            out[key] = box.extra[key]
    for key, value in box.extra.items():
        out.setdefault(key, value)
    return out


def _derived_map(key: str, turns: tuple[Turn, ...]) -> list[list[Any]]:
    if key == "speaker_ids":
        return [[t.speaker] * len(t.tokens) for t in turns]
    if key == "sentence_map":
        return [[i] * len(t.tokens) for i, t in enumerate(turns)]
    out, offset = [], 0
    for t in turns:
        out.append(list(range(offset, offset + len(t.tokens))))
        offset += len(t.tokens)
    return out


def _same_shape(value: Any, derived: list[list[Any]]) -> bool:
    return (
        isinstance(value, list)
        and len(value) == len(derived)
        and all(isinstance(v, list) and len(v) == len(d) for v, d in zip(value, derived))
    )


def _field_of(exc: Exception) -> str:
    return str(exc).split(":", 1)[0]


def _strip_field(exc: Exception) -> str:
    text = str(exc)
    return text.split(": ", 1)[1] if ": " in text else text


def _short(value: Any, limit: int = 60) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
