"""The post NER kind in the backend: the CRF or the full token classifier, a post's prediction (the project memory
applied to the model's entities), retrained on the shipped CMNER train posts plus the annotated ones."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from exports import kinds
from exports.posts import Entity, Post
from exports.prediction import PostPrediction


class NerBackend:
    data = kinds.get("ner")
    store_kind = "ner"
    version_prefix = "ner"
    model_kinds = ("crf", "neural-ner")
    setting = "ner_model"

    def shipped_model(self) -> Path:
        from ls_backend.pipeline.ner.model import SHIPPED

        return SHIPPED

    def configured_model(self, config: Any) -> Path | None:
        return config.ner_model

    def base_data(self, config: Any) -> Path:
        return Path(config.ner_training_data or self.shipped_model() / "training_posts.txt.gz")

    def read_base(self, path: Path) -> tuple[list[Post], dict[str, str]]:
        from exports.bio import read_bio

        return (read_bio(path)[0] if path.exists() else []), {}

    def part(self, config: Any, store: Any, stats: Any) -> None:
        return None

    def context(self, part: None, doc: Post) -> tuple[str, Any]:
        return "-", None

    def propose(self, model: Any, version: str, doc: Post, context: Any, memory: Any) -> PostPrediction:
        predicted, probability = model.predict(doc)
        if memory:
            entities = memory.entities(doc.tokens, [(e.start, e.end, e.type) for e in predicted.entities])
            predicted = replace(predicted, entities=tuple(Entity(s, e, t) for s, e, t in entities), tags=None)
        return PostPrediction(predicted, model.score(probability, len(doc.tokens)), version)

    def assist(self, model: Any, prediction: PostPrediction, doc: Post, marked: Any, taken: set, memory: Any = None) -> list[tuple[int, int]]:
        """The marked entity's other occurrences and the model's entities of its type (``pipeline/assist.entities``)."""
        from ls_backend.pipeline.assist import entities

        kind = marked.labels[0]
        predicted = [(e.start, e.end - 1) for e in prediction.post.entities if e.type == kind]
        return entities(doc.tokens, marked.spans, predicted, taken)

    def taught(self, part: None, ls_annotation_id: int, doc: Post) -> None:
        return None

    def after_training(self, part: None, model: Any, annotated: Sequence[Post]) -> None:
        return None


facet = NerBackend()
