"""A Label Studio task and one annotation's (or prediction's) result <-> :class:`~exports.dialogue.Dialogue`.

The regions are written and read by one adapter per control tag (:mod:`.mention`, :mod:`.flags`,
:mod:`.box`, :mod:`.celebrity`, :mod:`.comment`); this module holds the task data and the order of
the regions. Region order in ``result`` is cluster order, then mention order; reading keeps it, so
cluster and mention order survive the round trip.
"""
from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import templates as T
from exports import coords
from exports.dialogue import NONE_LABEL, Cluster, Dialogue, ReleaseLayout, Span, Turn, label_numbers
from exports.labelstudio import box as box_tag
from exports.labelstudio import celebrity, comment, flags, mention
from exports.labelstudio.errors import NUMBER_OF, LabelStudioFormatError, labels_of
from exports.release import CELEBRITY_KEYS, DEFAULT_KEYS, LABEL_KEYS

log = logging.getLogger(__name__)


# -- Dialogue -> task ----------------------------------------------------------------
def cluster_numbers(dialogue: Dialogue) -> list[tuple[int, ...]]:
    """The template's cluster number(s) of each cluster (:meth:`Dialogue.cluster_numbers`).

    Raises:
        ValueError: more numbers are needed than the template offers (C1..C20).
    """
    out = dialogue.cluster_numbers()
    top = max((n for nums in out for n in nums), default=0)
    if top > T.MAX_CLUSTERS:
        raise ValueError(f"clusters: the dialogue needs cluster number C{top}, the template offers C1..C{T.MAX_CLUSTERS}")
    return out


def to_result(dialogue: Dialogue) -> list[dict[str, Any]]:
    """The annotation ``result`` of a dialogue (regions in cluster, then mention order)."""
    index = coords.TextIndex([t.tokens for t in dialogue.turns])
    tokens = dialogue.tokens
    result: list[dict[str, Any]] = []
    for ci, (cluster, numbers) in enumerate(zip(dialogue.clusters, cluster_numbers(dialogue))):
        labels = labels_of(numbers)
        for mi, span in enumerate(cluster.spans):
            rid = f"m{ci}_{mi}"
            value = mention.paragraph_value(span, index, tokens)
            result.append(mention.to_region(rid, value, labels))
            if mi == 0 and (flag_region := flags.to_region(rid, value, cluster)) is not None:
                result.append(flag_region)
    if _boxes_shown(dialogue):
        assert dialogue.frame_size is not None and dialogue.fps is not None
        for bi, box in enumerate(dialogue.boxes):
            region, value = box_tag.to_region(f"b{bi}", box, dialogue.frame_size, dialogue.fps, dialogue.frame_count)
            result.append(region)
            if box.celebrity:
                result.append(celebrity.to_region(f"b{bi}", value, box.celebrity))
    if dialogue.comment:
        result.append(comment.to_region(dialogue.comment))
    return result


def to_task(dialogue: Dialogue, *, video: str | None = None, annotation: bool = True) -> dict[str, Any]:
    """A Label Studio import task for a dialogue, with its annotation unless ``annotation=False``."""
    data: dict[str, Any] = {
        "doc_key": dialogue.doc_key,
        "dialogue": [{"speaker": t.speaker, "text": t.text} for t in dialogue.turns],
        "video": video if video is not None else (dialogue.video or ""),
        "title": dialogue.title or "",
        "preview": preview(dialogue),
    }
    if dialogue.fps is not None:
        data["fps"] = dialogue.fps
    if dialogue.frame_size is not None:
        data["frame_width"], data["frame_height"] = dialogue.frame_size
    if dialogue.frame_count is not None:
        data["frame_count"] = dialogue.frame_count
    data["release"] = _release_data(dialogue)
    task: dict[str, Any] = {"data": data}
    if annotation:
        task["annotations"] = [{"result": to_result(dialogue)}]
    return task


def preview(dialogue: Dialogue) -> str:
    """The dialogue as one line for Label Studio's Data Manager (``A：… ｜ B：…``); never read back."""
    return " ｜ ".join(f"{t.speaker}：{t.text}" for t in dialogue.turns)


def _boxes_shown(dialogue: Dialogue) -> bool:
    return dialogue.frame_size is not None and dialogue.fps is not None


def _release_data(dialogue: Dialogue) -> dict[str, Any]:
    """What the release line needs and the annotation cannot hold (non-defaults only)."""
    out: dict[str, Any] = {"genre": dialogue.genre}
    if any(len(tok) != 1 for t in dialogue.turns for tok in t.tokens):
        out["tokens"] = [list(t.tokens) for t in dialogue.turns]
    layout = dialogue.layout
    if layout is not None:
        if layout.keys != DEFAULT_KEYS:
            out["keys"] = list(layout.keys)
        if layout.label_key != LABEL_KEYS[0]:
            out["label_key"] = layout.label_key
        if layout.celebrity_key != CELEBRITY_KEYS[0]:
            out["celebrity_key"] = layout.celebrity_key
        if layout.extra:
            out["extra"] = dict(layout.extra)
        if layout.mention_strings:
            out["mention_strings"] = [[s, e, text] for (s, e), text in layout.mention_strings.items()]
        if layout.stored_maps:
            out["stored_maps"] = dict(layout.stored_maps)
    shown = _boxes_shown(dialogue)
    boxes = []
    for box in dialogue.boxes:
        record: dict[str, Any] = {"label": box.label, "frame": box.frame, "bbox": list(box.bbox)}
        if not shown:
            record["shown"] = False
            if box.celebrity:
                record["celebrity"] = box.celebrity
        if box.frame_path is not None:
            record["frame_path"] = box.frame_path
        if box.region_path is not None:
            record["region_path"] = box.region_path
        if box.extra:
            record["extra"] = dict(box.extra)
        if box.key_order is not None:
            record["key_order"] = list(box.key_order)
        boxes.append(record)
    if boxes:
        out["boxes"] = boxes
    boxless = [c.label for c in dialogue.clusters if c.label != NONE_LABEL and dialogue.box_for(c.label) is None]
    if boxless:
        out["boxless_labels"] = boxless
    return out


# -- task -> Dialogue ----------------------------------------------------------------
def annotator_name(annotation: Mapping[str, Any]) -> str:
    """A file-name-safe annotator name from an LS annotation's ``completed_by``."""
    who = annotation.get("completed_by")
    if isinstance(who, Mapping):
        who = who.get("email") or who.get("username") or who.get("id")
    if who is None or who == "":
        return "annotator"
    name = str(who)
    if isinstance(who, int) or name.isdigit():
        name = f"user{name}"
    return "".join(ch if ch.isalnum() or ch in "-_.@" else "_" for ch in name)


def read_task(task: Any, index: int, max_chars: int) -> Dialogue:
    """The dialogue of a task to predict (``/predict``, ``ls-backend predict --tasks``, ``preannotate``):
    one token per character, its title and video reference, no annotation read; a task without ``doc_key``
    is called ``task-<id>``.

    Raises:
        LabelStudioFormatError: naming the task (``task <id>`` or ``tasks[<index>]``) and the field.
    """
    if not isinstance(task, Mapping):
        raise LabelStudioFormatError(f"tasks[{index}]", "", f"expected a task object, got {type(task).__name__}")
    where = f"task {task.get('id', f'#{index}')}"
    data = task.get("data")
    if not isinstance(data, Mapping):
        raise LabelStudioFormatError(where, "data", "expected an object with 'dialogue'")
    turns = data.get("dialogue")
    if not isinstance(turns, list) or not turns or not all(isinstance(t, Mapping) and isinstance(t.get("text"), str) for t in turns):
        raise LabelStudioFormatError(where, "data.dialogue", "expected a non-empty list of {speaker, text} turns")
    chars = sum(len(t["text"]) for t in turns)
    if chars > max_chars:
        raise LabelStudioFormatError(where, "data.dialogue", f"{chars} characters; this backend takes dialogues of up to {max_chars}")
    if chars == 0:
        raise LabelStudioFormatError(where, "data.dialogue", "every turn is empty")
    title = data.get("title")
    if title is not None and not isinstance(title, str):
        raise LabelStudioFormatError(where, "data.title", f"expected a string, got {type(title).__name__}")
    try:
        video = data.get("video")
        return Dialogue(doc_key=str(data.get("doc_key") or f"task-{task.get('id', index)}"), turns=_turns(data, {}, where), title=title or None,
                        video=video if isinstance(video, str) and video else None)
    except ValueError as exc:
        raise LabelStudioFormatError(where, "data.dialogue", str(exc)) from None


def check_result(task: Mapping[str, Any], result: Any) -> None:
    """That an annotation's result fits the template: a list of regions of our control tags, each with the
    value its tag writes (cluster numbers C1..C20, mention offsets on token boundaries of the task's turns,
    known flags, box key frames with a frame and a box in percent, text fields of strings).

    What fits the template but not the data model -- a box whose number no mention has, a second box for a
    person -- passes: training leaves that part out and says so (see :func:`from_task`'s salvage mode).
    A task whose data cannot be read passes too (the annotation is recorded as unusable).

    Raises:
        LabelStudioFormatError: naming the region (``result[i]``) and the field.
    """
    data = task.get("data", task) if isinstance(task, Mapping) else None
    where = _where(task)
    if not isinstance(data, Mapping):
        return
    doc_key = data.get("doc_key")
    where = f"{where} ({doc_key})" if isinstance(doc_key, str) and doc_key and doc_key not in where else where
    if not isinstance(result, list):
        raise LabelStudioFormatError(where, "result", f"expected a list of regions, got {type(result).__name__}")
    release = data.get("release") or {}
    try:
        turns = _turns(data, release if isinstance(release, Mapping) else {}, where)
    except LabelStudioFormatError:
        return
    regions = _Regions(where, coords.TextIndex([t.tokens for t in turns]))
    for ri, region in enumerate(result):
        regions.read(region, ri)
    for labels, value in regions.boxes.values():
        box_tag.check_key_frames(value, where, f"box {''.join(labels)}")


def from_task(
    task: Mapping[str, Any], result: Sequence[Mapping[str, Any]] | None = None, *, dropped: list[str] | None = None
) -> Dialogue:
    """Build a Dialogue from a Label Studio task and one annotation's (or prediction's) result.

    Args:
        task: the task (``{"data": {...}, ...}``) or its ``data`` alone.
        result: the annotation result; default: the task's only annotation, or none.
        dropped: salvage mode (training on what annotators submit). A region that cannot be read
            (bad offsets or numbers, an unknown control) or a box that cannot be kept (no mention with
            its numbers, a second box for the same person, no frame size) is left out and its
            problem appended here, instead of failing the whole annotation. Problems of the task
            itself (no doc_key, no turns) still raise.

    Raises:
        LabelStudioFormatError: missing or malformed task data, or (unless ``dropped`` is given) regions.
    """
    data = task.get("data", task) if isinstance(task, Mapping) else None
    where = _where(task)
    if not isinstance(data, Mapping):
        raise LabelStudioFormatError(where, "data", "expected an object")
    doc_key = data.get("doc_key")
    if not isinstance(doc_key, str) or not doc_key:
        raise LabelStudioFormatError(where, "data.doc_key", f"expected a non-empty string, got {doc_key!r}")
    where = f"{where} ({doc_key})" if doc_key not in where else where
    release = data.get("release") or {}
    if not isinstance(release, Mapping):
        raise LabelStudioFormatError(where, "data.release", "expected an object")
    turns = _turns(data, release, where)
    if result is None:
        anns = [a for a in task.get("annotations") or [] if not a.get("was_cancelled")] if "data" in task else []
        if len(anns) > 1:
            raise LabelStudioFormatError(where, "annotations", f"{len(anns)} annotations: say which one to read")
        result = anns[0].get("result", []) if anns else []
    if not isinstance(result, Sequence) or isinstance(result, (str, bytes)):
        raise LabelStudioFormatError(where, "result", "expected a list of regions")

    size = _frame_size(data, where)
    fps = _positive(data, "fps", where)
    frame_count = data.get("frame_count")

    def problem(exc: LabelStudioFormatError) -> None:
        """Raise, or in salvage mode note what is left out and go on."""
        if dropped is None:
            raise exc
        dropped.append(f"{exc.field}: {exc.message}; left out")

    regions = _Regions(where, coords.TextIndex([t.tokens for t in turns]))
    for ri, region in enumerate(result):
        try:
            regions.read(region, ri)
        except LabelStudioFormatError as exc:
            problem(exc)

    # clusters in order of first mention region
    groups: dict[frozenset[int], list[Span]] = {}
    group_flags: dict[frozenset[int], set[str]] = {}
    for rid, (numbers, span) in regions.mentions.items():
        groups.setdefault(numbers, []).append(span)
        group_flags.setdefault(numbers, set()).update(regions.flags.get(rid, ()))

    carried = {b["label"]: b for b in release.get("boxes", []) if isinstance(b, Mapping) and "label" in b}
    boxes = []
    box_label_of: dict[frozenset[int], str] = {}
    for rid, (labels, value) in regions.boxes.items():
        numbers = frozenset(NUMBER_OF[label] for label in labels)
        label = "".join(labels)
        try:
            if numbers not in groups:
                raise LabelStudioFormatError(where, f"box {label}", "no mention is labelled with the box's number(s)")
            if numbers in box_label_of:
                raise LabelStudioFormatError(where, f"box {label}", "a second box for the same person")
            if size is None:
                raise LabelStudioFormatError(
                    where, "data.frame_width", f"box {label} is drawn but the task has no frame size to convert it to pixels"
                )
            box = box_tag.from_region(label, value, size, regions.celebrity.get(rid, ""), carried.get(label), where)
        except LabelStudioFormatError as exc:
            problem(exc)
            continue
        box_label_of[numbers] = label
        boxes.append(box)
    for label, record in carried.items():
        if record.get("shown", True) is False:
            numbers = frozenset(label_numbers(label))
            if numbers in box_label_of:
                continue
            if numbers not in groups:
                log.warning("%s: box %s (not shown, no video size) has no mention labelled %s any more; dropped", where, label, label)
                continue
            box_label_of[numbers] = label
            boxes.append(box_tag.from_record(record, where))

    boxless = {frozenset(label_numbers(label)): label for label in release.get("boxless_labels", [])}
    clusters = [
        Cluster(tuple(spans), box_label_of.get(numbers) or boxless.get(numbers) or NONE_LABEL, **flags.apply(group_flags.get(numbers, set())))
        for numbers, spans in groups.items()
    ]
    order = {b: i for i, b in enumerate(carried)}
    boxes.sort(key=lambda b: order.get(b.label, len(order)))

    layout = ReleaseLayout(
        keys=tuple(release.get("keys", DEFAULT_KEYS)),
        label_key=release.get("label_key", LABEL_KEYS[0]),
        celebrity_key=release.get("celebrity_key", CELEBRITY_KEYS[0]),
        extra=dict(release.get("extra", {})),
        mention_strings={(int(s), int(e)): text for s, e, text in release.get("mention_strings", [])},
        stored_maps=dict(release.get("stored_maps", {})),
    )
    try:
        return Dialogue(
            doc_key=doc_key,
            genre=release.get("genre", "wb"),
            turns=turns,
            clusters=tuple(clusters),
            boxes=tuple(boxes),
            title=data.get("title") or None,
            video=data.get("video") or None,
            fps=fps,
            frame_size=size,
            frame_count=frame_count if isinstance(frame_count, int) and frame_count > 0 else None,
            layout=layout,
            comment=regions.comment or None,
        )
    except ValueError as exc:
        text = str(exc)
        field_, _, message = text.partition(": ")
        raise LabelStudioFormatError(where, field_, message or text) from None


@dataclass
class _Regions:
    """The result regions of one annotation, sorted by control tag (each read by its adapter)."""

    where: str
    index: coords.TextIndex
    mentions: dict[str, tuple[frozenset[int], Span]] = field(default_factory=dict)
    flags: dict[str, set[str]] = field(default_factory=dict)
    boxes: dict[str, tuple[list[str], Mapping[str, Any]]] = field(default_factory=dict)
    celebrity: dict[str, str] = field(default_factory=dict)
    comment: str | None = None

    def read(self, region: Any, ri: int) -> None:
        """Add one region (``result[ri]``).

        Raises:
            LabelStudioFormatError: the region is malformed (nothing of it was added).
        """
        where, field_ = self.where, f"result[{ri}]"
        if not isinstance(region, Mapping) or not isinstance(region.get("value"), Mapping):
            raise LabelStudioFormatError(where, field_, "expected a region object with a 'value'")
        name, value, rid = region.get("from_name"), region["value"], str(region.get("id", ri))
        if name == T.MENTION:
            numbers, span = mention.read(value, self.index, where, field_)
            if rid in self.mentions:
                raise LabelStudioFormatError(where, f"{field_}.id", f"two mention regions share the id {rid!r}")
            self.mentions[rid] = (numbers, span)
        elif name == T.FLAGS:
            self.flags.setdefault(rid, set()).update(flags.read(value, where, field_))
        elif box_tag.is_box(region):
            self.boxes[rid] = (box_tag.read(value, where, field_), value)
        elif name == T.CELEBRITY:
            self.celebrity[rid] = celebrity.read(value, where, field_)
        elif name == T.COMMENT:
            self.comment = comment.read(value, where, field_)
        else:
            raise LabelStudioFormatError(
                where, f"{field_}.from_name", f"unknown control {name!r}; the template has "
                f"{', '.join([T.MENTION, T.FLAGS, T.BOX, T.PERSON, T.CELEBRITY, T.COMMENT])}"
            )


def _where(task: Any) -> str:
    if isinstance(task, Mapping) and "id" in task:
        return f"task {task['id']}"
    return "task"


def _turns(data: Mapping[str, Any], release: Mapping[str, Any], where: str) -> tuple[Turn, ...]:
    paragraphs = data.get("dialogue")
    if not isinstance(paragraphs, list) or not paragraphs:
        raise LabelStudioFormatError(where, "data.dialogue", "expected a non-empty list of {speaker, text} turns")
    tokens = release.get("tokens")
    turns = []
    for i, p in enumerate(paragraphs):
        if not isinstance(p, Mapping) or not isinstance(p.get("text"), str):
            raise LabelStudioFormatError(where, f"data.dialogue[{i}]", "expected {speaker, text} with a text string")
        toks = tuple(tokens[i]) if tokens else tuple(p["text"])
        if "".join(toks) != p["text"]:
            raise LabelStudioFormatError(where, f"data.release.tokens[{i}]", "tokens do not spell the turn's text")
        try:
            turns.append(Turn(str(p.get("speaker") or chr(ord("A") + i % 26)), toks))
        except ValueError as exc:
            raise LabelStudioFormatError(where, f"data.dialogue[{i}]", str(exc)) from None
    return tuple(turns)


def _frame_size(data: Mapping[str, Any], where: str) -> tuple[int, int] | None:
    w, h = data.get("frame_width"), data.get("frame_height")
    if w is None and h is None:
        return None
    if not (isinstance(w, int) and isinstance(h, int) and w > 0 and h > 0):
        raise LabelStudioFormatError(where, "data.frame_width", f"expected positive integer frame_width and frame_height, got {w!r}, {h!r}")
    return (w, h)


def _positive(data: Mapping[str, Any], key: str, where: str) -> float | None:
    value = data.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise LabelStudioFormatError(where, f"data.{key}", f"expected a positive number, got {value!r}")
    return value
