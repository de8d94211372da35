"""The one data model of MCR Studio: an annotated dialogue (``Dialogue``).

Conventions, named once here and used everywhere:

* **Tokens.** A turn is a sequence of tokens; in TikTalkCoref every token is one
  Chinese character. Token offsets run over the whole dialogue (turn 0 first).
* **Spans** are ``(start, end)`` token offsets, ``end`` **inclusive** (the release
  format's convention).
* **Frames** are **0-based** frame indices (release format). Label Studio's 1-based
  frames are converted in :mod:`exports.coords` only.
* **Boxes** are ``(x1, y1, x2, y2)`` in **pixels** of the key frame. Percentages
  for Label Studio are computed in :mod:`exports.coords` only.
* **Labels**: each cluster has an entity label, ``"none"`` (no person box), ``"C1"``
  or a group such as ``"C1C2"``; boxes carry the same strings.

The artifacts are frozen dataclasses validated when built; a problem raises
``ValueError("<field>: expected ..., got ...")``.
"""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

Span = tuple[int, int]
"""Inclusive ``(start, end)`` token offsets over the whole dialogue."""

NONE_LABEL = "none"
_LABEL_RE = re.compile(r"(?:C[1-9][0-9]*)+")
_NUMBER_RE = re.compile(r"C([1-9][0-9]*)")


def is_entity_label(label: object) -> bool:
    """Whether ``label`` is ``"none"``, ``"C<n>"`` or a group ``"C<n>C<m>..."``."""
    return isinstance(label, str) and (label == NONE_LABEL or _LABEL_RE.fullmatch(label) is not None)


def label_numbers(label: str) -> tuple[int, ...]:
    """Cluster numbers of an entity label, in the label's order: ``"C3C1"`` -> ``(3, 1)``."""
    if label == NONE_LABEL:
        return ()
    return tuple(int(n) for n in _NUMBER_RE.findall(label))


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


@dataclass(frozen=True, slots=True)
class Turn:
    """One turn of the dialogue: who speaks and what, token by token."""

    speaker: str
    tokens: tuple[str, ...]

    def __post_init__(self) -> None:
        if not isinstance(self.speaker, str) or not self.speaker:
            raise ValueError(f"speaker: expected a non-empty string, got {self.speaker!r}")
        if not isinstance(self.tokens, tuple):
            object.__setattr__(self, "tokens", tuple(self.tokens))
        for i, tok in enumerate(self.tokens):
            if not isinstance(tok, str) or not tok:
                raise ValueError(f"tokens[{i}]: expected a non-empty string, got {tok!r}")

    @property
    def text(self) -> str:
        return "".join(self.tokens)


@dataclass(frozen=True, slots=True)
class Cluster:
    """Mentions of one entity (or one group), with its visual entity label.

    ``spans`` keep the order they were given in (the release files do not always sort
    them, and a byte-identical round trip keeps that order).
    """

    spans: tuple[Span, ...]
    label: str = NONE_LABEL
    not_in_video: bool = False
    face_unidentifiable: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.spans, (list, tuple)):
            raise ValueError(f"spans: expected a list of [start, end] spans, got {self.spans!r}")
        spans = tuple(tuple(s) if isinstance(s, (list, tuple)) else (s,) for s in self.spans)
        if not spans:
            raise ValueError("spans: expected at least one mention, got an empty cluster")
        for i, span in enumerate(spans):
            if len(span) != 2 or not all(isinstance(x, int) and not isinstance(x, bool) for x in span):
                raise ValueError(f"spans[{i}]: expected [start, end] integers, got {list(span)!r}")
            if span[0] < 0 or span[1] < span[0]:
                raise ValueError(f"spans[{i}]: expected 0 <= start <= end, got {list(span)!r}")
        object.__setattr__(self, "spans", spans)
        if not is_entity_label(self.label):
            raise ValueError(f"label: expected 'none', 'C<n>' or a group like 'C1C2', got {self.label!r}")

    @property
    def numbers(self) -> tuple[int, ...]:
        return label_numbers(self.label)


@dataclass(frozen=True, slots=True)
class Box:
    """A person's head box on its key frame (one per entity label and dialogue).

    ``frame`` is 0-based; ``bbox`` is ``(x1, y1, x2, y2)`` in pixels, numbers kept as
    given (ints in the release data). ``frame_path`` / ``region_path`` are the release
    file's opaque paths (``cur_frame_path`` / ``region_image_path``), never opened.
    ``extra`` holds keys of the release record this model does not know, and
    ``key_order`` the record's key order when it differs from the usual one.
    """

    label: str
    frame: int
    bbox: tuple[float, float, float, float]
    celebrity: str = ""
    frame_path: str | None = None
    region_path: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)
    key_order: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if not is_entity_label(self.label) or self.label == NONE_LABEL:
            raise ValueError(f"box_labels: expected 'C<n>' or a group like 'C1C2', got {self.label!r}")
        if not isinstance(self.frame, int) or isinstance(self.frame, bool) or self.frame < 0:
            raise ValueError(f"cur_frame: expected a 0-based frame index (int >= 0), got {self.frame!r}")
        bbox = tuple(self.bbox) if isinstance(self.bbox, (list, tuple)) else self.bbox
        if not isinstance(bbox, tuple) or len(bbox) != 4 or not all(_is_number(v) for v in bbox):
            raise ValueError(f"bbox: expected [x1, y1, x2, y2] numbers, got {self.bbox!r}")
        object.__setattr__(self, "bbox", bbox)
        if not isinstance(self.celebrity, str):
            raise ValueError(f"if_celebrity: expected a string, got {self.celebrity!r}")
        for name in ("frame_path", "region_path"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, str):
                raise ValueError(f"{name}: expected a string, got {value!r}")

    @property
    def numbers(self) -> tuple[int, ...]:
        return label_numbers(self.label)


@dataclass(frozen=True, slots=True)
class ReleaseLayout:
    """How a dialogue was spelled in its release JSONL line, for a byte-identical write.

    Only what cannot be derived from the dialogue is kept: key order and spellings,
    unknown keys, ``clusters_str`` entries that differ from their span's text, and
    derived per-token maps whose stored value differs from the derived one.
    """

    keys: tuple[str, ...]
    label_key: str = "entity_label"
    celebrity_key: str = "if_celebrity"
    extra: Mapping[str, Any] = field(default_factory=dict)
    mention_strings: Mapping[Span, str] = field(default_factory=dict)
    stored_maps: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Dialogue:
    """An annotated dialogue: text, clusters, visual annotation, and media facts."""

    doc_key: str
    turns: tuple[Turn, ...]
    clusters: tuple[Cluster, ...] = ()
    boxes: tuple[Box, ...] = ()
    genre: str = "wb"
    title: str | None = None
    video: str | None = None
    fps: float | None = None
    frame_size: tuple[int, int] | None = None  # (width, height) in pixels
    frame_count: int | None = None
    layout: ReleaseLayout | None = None
    comment: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.doc_key, str) or not self.doc_key:
            raise ValueError(f"doc_key: expected a non-empty string, got {self.doc_key!r}")
        for name in ("turns", "clusters", "boxes"):
            value = getattr(self, name)
            if not isinstance(value, tuple):
                object.__setattr__(self, name, tuple(value))
        if not self.turns:
            raise ValueError("sentences: expected at least one turn, got none")
        n = sum(len(t.tokens) for t in self.turns)
        labels: dict[str, int] = {}
        for ci, cluster in enumerate(self.clusters):
            for mi, (start, end) in enumerate(cluster.spans):
                if end >= n:
                    raise ValueError(
                        f"clusters[{ci}][{mi}]: span [{start}, {end}] is out of range for {n} tokens"
                    )
            if cluster.label != NONE_LABEL:
                if cluster.label in labels:
                    raise ValueError(
                        f"entity_label[{ci}]: label {cluster.label!r} is also the label of cluster {labels[cluster.label]}"
                    )
                labels[cluster.label] = ci
        seen: set[str] = set()
        for bi, box in enumerate(self.boxes):
            if box.label not in labels:
                raise ValueError(f"visual_annotations[{bi}].box_labels: {box.label!r} is not the label of any cluster")
            if box.label in seen:
                raise ValueError(f"visual_annotations[{bi}].box_labels: a second box for {box.label!r}")
            seen.add(box.label)
        if self.fps is not None and (not _is_number(self.fps) or self.fps <= 0):
            raise ValueError(f"fps: expected a positive number, got {self.fps!r}")
        if self.frame_size is not None:
            size = tuple(self.frame_size)
            if len(size) != 2 or not all(isinstance(v, int) and v > 0 for v in size):
                raise ValueError(f"frame_size: expected (width, height) positive integers, got {self.frame_size!r}")
            object.__setattr__(self, "frame_size", size)

    # -- derived views -------------------------------------------------------------
    @property
    def tokens(self) -> tuple[str, ...]:
        """All tokens of the dialogue, turn after turn."""
        return tuple(tok for turn in self.turns for tok in turn.tokens)

    def span_text(self, span: Span) -> str:
        return "".join(self.tokens[span[0] : span[1] + 1])

    def turn_starts(self) -> list[int]:
        """Token offset at which each turn starts."""
        starts, offset = [], 0
        for turn in self.turns:
            starts.append(offset)
            offset += len(turn.tokens)
        return starts

    def box_for(self, label: str) -> Box | None:
        for box in self.boxes:
            if box.label == label:
                return box
        return None

    def cluster_numbers(self) -> list[tuple[int, ...]]:
        """The cluster number(s) of each cluster: labelled clusters keep their label's numbers
        (``"C1C3"`` -> ``(1, 3)``); ``"none"`` clusters get the smallest numbers no label of the
        dialogue uses (what an annotator sees them under)."""
        used = {n for c in self.clusters for n in c.numbers}
        free = (n for n in range(1, 10_000) if n not in used)
        return [c.numbers if c.label != NONE_LABEL else (next(free),) for c in self.clusters]

    def first_free_number(self) -> int:
        """The first number after every cluster's number: where proposals that no cluster took are numbered from."""
        return max((n for nums in self.cluster_numbers() for n in nums), default=0) + 1


def make_dialogue(
    doc_key: str,
    turns: Sequence[tuple[str, str]],
    clusters: Sequence[tuple[Sequence[Span], str]] = (),
    boxes: Sequence[Box] = (),
    **kwargs: Any,
) -> Dialogue:
    """Build a dialogue from ``(speaker, text)`` turns, one token per character."""
    return Dialogue(
        doc_key=doc_key,
        turns=tuple(Turn(speaker, tuple(text)) for speaker, text in turns),
        clusters=tuple(Cluster(tuple(map(tuple, spans)), label) for spans, label in clusters),
        boxes=tuple(boxes),
        **kwargs,
    )
