"""The ``coref`` task kind's data part: a comment dialogue with its video (``templates/coref_video.xml``), the
:class:`~exports.dialogue.Dialogue` artifact, its Label Studio adapters and its :class:`~exports.prediction.Prediction`."""
from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import templates
from exports import labelstudio, release
from exports.labelstudio import marks
from exports.dialogue import Dialogue
from exports.prediction import Prediction


class CorefKind:
    name = "coref"
    title = "coreference of persons in dialogues with videos"
    document = "dialogue"
    unannotated = "no dialogue has a mention"  # said of a file that should be gold and is not
    guidelines = "guidelines"
    template = "MCR Studio's template (templates/coref_video.xml)"
    #: (tag, name) pairs a labeling config of this kind must have
    required_tags = (("Paragraphs", templates.DIALOGUE), ("ParagraphLabels", templates.MENTION))

    def labeling_config(self) -> str:
        return templates.labeling_config()

    def review_config(self) -> str:
        return templates.review_config()

    def recognises_config(self, config: str) -> bool:
        return f'name="{templates.DIALOGUE}"' in config and "Paragraphs" in config

    def recognises_task(self, task: Any) -> bool:
        data = task.get("data") if isinstance(task, dict) else None
        return isinstance(data, dict) and "dialogue" in data

    def key(self, doc: Dialogue) -> str:
        return doc.doc_key

    def tokens(self, doc: Dialogue) -> tuple:
        return tuple(t.tokens for t in doc.turns)

    def annotated(self, doc: Dialogue) -> bool:
        return bool(doc.clusters)

    def bare(self, doc: Dialogue) -> Dialogue:
        return replace(doc, clusters=(), boxes=(), layout=None)

    def cache_content(self, doc: Dialogue) -> str:
        return json.dumps({"turns": [[t.speaker, t.text] for t in doc.turns], "title": doc.title or ""}, ensure_ascii=False)

    def memory_document(self, doc: Dialogue) -> tuple[list[str], list[tuple[int, int]], list[str], list[str]]:
        tokens = [tok for t in doc.turns for tok in t.tokens]
        spans = [(s, e + 1) for c in doc.clusters for s, e in c.spans]
        return tokens, spans, [b.celebrity for b in doc.boxes if b.celebrity], []

    def read_task(self, task: Any, index: int, max_chars: int) -> Dialogue:
        return labelstudio.read_task(task, index, max_chars)

    def from_task(self, task: Any, result: Sequence[Any] | None = None, dropped: list[str] | None = None) -> Dialogue:
        return labelstudio.from_task(task, result, dropped=dropped)

    def check_result(self, task: Any, result: Any) -> None:
        labelstudio.check_result(task, result)

    def to_task(self, doc: Dialogue, annotation: bool = True) -> dict[str, Any]:
        return labelstudio.to_task(doc, annotation=annotation)

    def to_result(self, doc: Dialogue) -> list[dict[str, Any]]:
        return labelstudio.to_result(doc)

    def read_annotation(self, task: Any, result: Any) -> tuple[Dialogue | None, list[str]]:
        """An annotation as training will use it (salvage mode: every readable part kept): ``(the dialogue or None,
        the parts left out)``; None when the task itself cannot be read (the problem says why)."""
        dropped: list[str] = []
        try:
            return labelstudio.from_task(task, result, dropped=dropped), dropped
        except ValueError as exc:
            return None, [f"not usable for training: {exc}"]

    def document_to_json(self, doc: Dialogue) -> dict[str, Any]:
        return release.to_document(doc)

    def document_from_json(self, data: Any) -> Dialogue:
        return release.from_document(data)

    # -- interactive assistance (exports/labelstudio/marks.py) ---------------------------
    def read_marks(self, task: Any, doc: Dialogue, result: Any) -> marks.Marks:
        """What the annotator just marked (``context.result``); raises ``LabelStudioFormatError`` naming the field."""
        return marks.read_dialogue_marks(doc, result, f"task {task.get('id', '?')} ({doc.doc_key})" if isinstance(task, dict) else doc.doc_key)

    def taken_spans(self, task: Any, doc: Dialogue) -> set:
        return marks.taken_dialogue_spans(doc, task if isinstance(task, dict) else {})

    def mark_regions(self, doc: Dialogue, labels: tuple[str, ...], spans: Sequence[tuple[int, int]]) -> list[dict[str, Any]]:
        return marks.dialogue_regions(doc, labels, spans)

    def region_span(self, doc: Dialogue, region: Any) -> tuple[int, int] | None:
        return marks.dialogue_region_span(doc, region)

    def groups(self, doc: Dialogue, result: Sequence[Any]) -> dict[tuple[str, ...], list[tuple[int, int]]]:
        return marks.dialogue_groups(doc, result)

    def to_prediction(self, prediction: Prediction) -> dict[str, Any]:
        return labelstudio.to_prediction(prediction)

    def prediction_from_json(self, data: Any) -> Prediction:
        return Prediction.from_json(data)
