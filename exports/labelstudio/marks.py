"""Interactive pre-annotation: what the annotator just marked (``/predict``'s ``params.context.result``) and the
regions proposed back, for both templates.

When the annotator finishes a region with Auto-Annotation on, Label Studio sends that region and every region with
the same label set (the "connected" group) as ``context.result``. :func:`read_dialogue_marks` and
:func:`read_post_marks` read them into :class:`Marks` (strictly: a foreign label, an offset outside the text, or a
region of another control is an error naming the field); :func:`taken_dialogue_spans` / :func:`taken_post_spans`
collect the spans the annotation already has as far as the task shows them (its predictions and drafts);
:func:`dialogue_regions` / :func:`post_regions` write proposed spans as regions with the marked labels.
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import templates as T
from exports import coords
from exports.dialogue import Dialogue, Span
from exports.labelstudio import entity, mention
from exports.labelstudio.errors import LabelStudioFormatError, labels_of
from exports.posts import Post


@dataclass(frozen=True)
class Marks:
    """The regions of one label set the annotator has marked: the labels (``("C3",)``, ``("C1", "C2")`` for a group,
    ``("PER",)`` for a post) and their token spans (``(start, end)`` with an **inclusive** end, as ``Dialogue``'s)."""

    labels: tuple[str, ...]
    spans: tuple[Span, ...]

    def __post_init__(self) -> None:
        if not self.labels:
            raise ValueError("marks: expected at least one label")
        if any(s > e for s, e in self.spans):
            raise ValueError(f"marks: expected spans with start <= end, got {self.spans}")


def _regions(result: Any, where: str, field: str) -> list[Mapping[str, Any]]:
    if not isinstance(result, list) or not result:
        raise LabelStudioFormatError(where, field, "expected a non-empty list of the regions just marked")
    for i, r in enumerate(result):
        if not isinstance(r, Mapping) or not isinstance(r.get("value"), Mapping):
            raise LabelStudioFormatError(where, f"{field}[{i}]", "expected a region object with a 'value'")
    return result


def _one_label_set(labels: list[tuple[str, ...]], where: str, field: str) -> tuple[str, ...]:
    if len(set(labels)) != 1:
        raise LabelStudioFormatError(where, field, f"expected the regions of one label set, got {sorted(set(labels))}")
    return labels[0]


def read_dialogue_marks(dialogue: Dialogue, result: Any, where: str, field: str = "context.result") -> Marks:
    """The marked mentions of a dialogue task.

    Raises:
        LabelStudioFormatError: not mention regions of one label set, unknown cluster numbers, or offsets outside the turns.
    """
    index = coords.TextIndex([t.tokens for t in dialogue.turns])
    labels, spans = [], []
    for i, r in enumerate(_regions(result, where, field)):
        if r.get("from_name") != T.MENTION:
            raise LabelStudioFormatError(where, f"{field}[{i}].from_name", f"expected a {T.MENTION!r} region, got {r.get('from_name')!r}")
        numbers, span = mention.read(r["value"], index, where, f"{field}[{i}]")
        labels.append(tuple(labels_of(tuple(sorted(numbers)))))
        spans.append(span)
    return Marks(_one_label_set(labels, where, field), tuple(spans))


def read_post_marks(post: Post, result: Any, where: str, field: str = "context.result") -> Marks:
    """The marked entities of a post task.

    Raises:
        LabelStudioFormatError: not entity regions of one type, an unknown type, or offsets off the post's tokens.
    """
    text = entity.TokenText(post.tokens)
    labels, spans = [], []
    for i, r in enumerate(_regions(result, where, field)):
        if r.get("from_name") != T.NER_ENTITY:
            raise LabelStudioFormatError(where, f"{field}[{i}].from_name", f"expected an {T.NER_ENTITY!r} region, got {r.get('from_name')!r}")
        e = entity.read(r["value"], text, where, f"{field}[{i}]")
        labels.append((e.type,))
        spans.append((e.start, e.end - 1))
    return Marks(_one_label_set(labels, where, field), tuple(spans))


def _results_of(task: Mapping[str, Any]) -> Iterable[Any]:
    """The results the task shows of the annotation in progress: its predictions and drafts."""
    for key in ("predictions", "drafts"):
        for item in task.get(key) or []:
            if isinstance(item, Mapping) and isinstance(item.get("result"), list):
                yield from item["result"]


def taken_dialogue_spans(dialogue: Dialogue, task: Mapping[str, Any]) -> set[Span]:
    """Mention spans of the task's predictions and drafts (unreadable regions are skipped: they are not ours to judge)."""
    index = coords.TextIndex([t.tokens for t in dialogue.turns])
    out = set()
    for r in _results_of(task):
        if isinstance(r, Mapping) and r.get("from_name") == T.MENTION and isinstance(r.get("value"), Mapping):
            try:
                out.add(mention.read(r["value"], index, "task", "prediction")[1])
            except LabelStudioFormatError:
                continue
    return out


def taken_post_spans(post: Post, task: Mapping[str, Any]) -> set[Span]:
    text = entity.TokenText(post.tokens)
    out = set()
    for r in _results_of(task):
        if isinstance(r, Mapping) and r.get("from_name") == T.NER_ENTITY and isinstance(r.get("value"), Mapping):
            try:
                e = entity.read(r["value"], text, "task", "prediction")
            except LabelStudioFormatError:
                continue
            out.add((e.start, e.end - 1))
    return out


def _rid(labels: Sequence[str], span: Span) -> str:
    """A region id no editor region has (Label Studio's own are 10 random characters)."""
    return "mcr-" + hashlib.sha1(f"{'|'.join(labels)}:{span[0]}:{span[1]}".encode()).hexdigest()[:10]


def dialogue_regions(dialogue: Dialogue, labels: Sequence[str], spans: Sequence[Span]) -> list[dict[str, Any]]:
    """Proposed mentions, labelled with ``labels``, as Label Studio regions (origin ``prediction``)."""
    index = coords.TextIndex([t.tokens for t in dialogue.turns])
    return [mention.to_region(_rid(labels, s), mention.paragraph_value(s, index, dialogue.tokens), list(labels), origin="prediction")
            for s in spans]


def post_regions(post: Post, labels: Sequence[str], spans: Sequence[Span]) -> list[dict[str, Any]]:
    """Proposed entities of type ``labels[0]`` as Label Studio regions (origin ``prediction``)."""
    from exports.posts import Entity

    text = entity.TokenText(post.tokens)
    out = []
    for s in spans:
        r = entity.to_region(0, Entity(s[0], s[1] + 1, labels[0]), text, origin="prediction")
        r["id"] = _rid(labels, s)
        out.append(r)
    return out


def dialogue_groups(dialogue: Dialogue, result: Sequence[Any]) -> dict[tuple[str, ...], list[Span]]:
    """The mention regions of an editor's result by label set (what Label Studio sends as one group); unreadable
    regions are skipped."""
    index = coords.TextIndex([t.tokens for t in dialogue.turns])
    out: dict[tuple[str, ...], list[Span]] = {}
    for r in result:
        if isinstance(r, Mapping) and r.get("from_name") == T.MENTION and isinstance(r.get("value"), Mapping):
            try:
                numbers, span = mention.read(r["value"], index, "editor", "result")
            except LabelStudioFormatError:
                continue
            out.setdefault(tuple(labels_of(tuple(sorted(numbers)))), []).append(span)
    return out


def post_groups(post: Post, result: Sequence[Any]) -> dict[tuple[str, ...], list[Span]]:
    """The entity regions of an editor's result by type."""
    text = entity.TokenText(post.tokens)
    out: dict[tuple[str, ...], list[Span]] = {}
    for r in result:
        if isinstance(r, Mapping) and r.get("from_name") == T.NER_ENTITY and isinstance(r.get("value"), Mapping):
            try:
                e = entity.read(r["value"], text, "editor", "result")
            except LabelStudioFormatError:
                continue
            out.setdefault((e.type,), []).append((e.start, e.end - 1))
    return out


def region_labels(region: Any) -> tuple[str, ...] | None:
    """The label set of a mention or entity region (how Label Studio groups regions), None for other regions."""
    value = region.get("value") if isinstance(region, Mapping) else None
    if not isinstance(value, Mapping):
        return None
    labels = value.get("paragraphlabels") if region.get("from_name") == T.MENTION else value.get("labels") if region.get("from_name") == T.NER_ENTITY else None
    return tuple(sorted(labels)) if isinstance(labels, list) else None


def dialogue_region_span(dialogue: Dialogue, region: Any) -> Span | None:
    """The token span of a mention region (None for another region or an unreadable one)."""
    got = dialogue_groups(dialogue, [region])
    return next((spans[0] for spans in got.values()), None)


def post_region_span(post: Post, region: Any) -> Span | None:
    """The token span of an entity region (None for another region or an unreadable one)."""
    got = post_groups(post, [region])
    return next((spans[0] for spans in got.values()), None)
