"""The ``ner`` task kind's data part: named entities in a multi-image post (``templates/ner_post.xml``), the
:class:`~exports.posts.Post` artifact, its Label Studio adapter and its :class:`~exports.prediction.PostPrediction`."""
from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import templates
from exports import posts
from exports.labelstudio import marks
from exports.labelstudio import post as post_task
from exports.labelstudio.errors import LabelStudioFormatError
from exports.posts import Post
from exports.prediction import PostPrediction


class NerKind:
    name = "ner"
    title = "named entities in multi-image posts (BIO files)"
    document = "post"
    unannotated = "no post has an entity"
    guidelines = "ner"
    template = "MCR Studio's post template (templates/ner_post.xml)"
    required_tags = (("Labels", templates.NER_ENTITY), ("Text", templates.NER_TEXT))

    def labeling_config(self) -> str:
        return templates.ner_config()

    def review_config(self) -> str:
        return templates.ner_review_config()

    def recognises_config(self, config: str) -> bool:
        return f'name="{templates.NER_ENTITY}"' in config and f'name="{templates.NER_TEXT}"' in config and "Paragraphs" not in config

    def recognises_task(self, task: Any) -> bool:
        return post_task.is_post_task(task)

    def key(self, doc: Post) -> str:
        return doc.id

    def tokens(self, doc: Post) -> tuple:
        return tuple(doc.tokens)

    def annotated(self, doc: Post) -> bool:
        return bool(doc.entities)

    def bare(self, doc: Post) -> Post:
        return replace(doc, entities=(), tags=None)

    def cache_content(self, doc: Post) -> str:
        return json.dumps({"tokens": list(doc.tokens)}, ensure_ascii=False)

    def memory_document(self, doc: Post) -> tuple[list[str], list[tuple[int, int]], list[str], list[str]]:
        return list(doc.tokens), [(e.start, e.end) for e in doc.entities], [], [e.type for e in doc.entities]

    def read_task(self, task: Any, index: int, max_chars: int) -> Post:
        return post_task.read_task(task, index, max_chars)

    def from_task(self, task: Any, result: Sequence[Any] | None = None, dropped: list[str] | None = None) -> Post:
        return post_task.from_task(task, result)

    def check_result(self, task: Any, result: Any) -> None:
        post_task.from_task(task, result or [])

    def to_task(self, doc: Post, annotation: bool = True) -> dict[str, Any]:
        return post_task.to_task(doc, annotation=annotation)

    def to_result(self, doc: Post) -> list[dict[str, Any]]:
        return post_task.to_result(doc)

    def read_annotation(self, task: Any, result: Any) -> tuple[Post | None, list[str]]:
        """An annotation as training will use it: ``(the post, [])``, or ``(None, [why])``."""
        try:
            return post_task.from_task(task, result or []), []
        except LabelStudioFormatError as exc:
            return None, [f"not usable for training: {exc}"]

    def document_to_json(self, doc: Post) -> dict[str, Any]:
        return posts.to_json(doc)

    def document_from_json(self, data: Any) -> Post:
        return posts.from_json(data)

    # -- interactive assistance (exports/labelstudio/marks.py) ---------------------------
    def read_marks(self, task: Any, doc: Post, result: Any) -> marks.Marks:
        return marks.read_post_marks(doc, result, f"task {task.get('id', '?')} ({doc.id})" if isinstance(task, dict) else doc.id)

    def taken_spans(self, task: Any, doc: Post) -> set:
        return marks.taken_post_spans(doc, task if isinstance(task, dict) else {})

    def mark_regions(self, doc: Post, labels: tuple[str, ...], spans: Sequence[tuple[int, int]]) -> list[dict[str, Any]]:
        return marks.post_regions(doc, labels, spans)

    def region_span(self, doc: Post, region: Any) -> tuple[int, int] | None:
        return marks.post_region_span(doc, region)

    def groups(self, doc: Post, result: Sequence[Any]) -> dict[tuple[str, ...], list[tuple[int, int]]]:
        return marks.post_groups(doc, result)

    def to_prediction(self, prediction: PostPrediction) -> dict[str, Any]:
        return post_task.to_prediction(prediction.post, prediction.score, prediction.model_version)

    def prediction_from_json(self, data: Any) -> PostPrediction:
        return PostPrediction.from_json(data)
