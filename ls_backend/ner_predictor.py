"""``/predict`` for post NER tasks: the active NER model version (kind ``ner`` in the store; the configured or
shipped CRF at first), reloaded in every process when the trainer activates a new one."""
from __future__ import annotations

import threading
import time
from dataclasses import replace

from exports.posts import Entity, Post
from ls_backend.config import Config
from ls_backend.memory import ProjectMemories
from ls_backend.stats import Stats
from ls_backend.store import Store


class NerPredictor:
    def __init__(self, config: Config, store: Store, stats: Stats, memories: ProjectMemories | None = None) -> None:
        self.config = config
        self.store = store
        self.stats = stats
        self.memories = memories or ProjectMemories(config, store)
        self._loaded: tuple[str, object] | None = None  # (path, model)
        self._lock = threading.Lock()

    @property
    def model(self):
        """The active tagger (loaded on first use, again when another version becomes active).

        Raises:
            ValueError: the configured model path holds no NER model.
        """
        from ls_backend.pipeline.ner.model import SHIPPED
        from ls_backend.pipeline.ner.neural import load_ner

        row = self.store.active_version("ner")
        path = row.path if row is not None else str(self.config.ner_model or SHIPPED)
        with self._lock:
            if self._loaded is None or self._loaded[0] != path:
                self._loaded = (path, load_ner(path, self.config.device))
            return self._loaded[1]

    @property
    def version(self) -> str:
        return self.model.version

    def predict(self, post: Post, project: int | None = None) -> tuple[Post, float, str]:
        """The post with the model's entities, a per-token confidence in [0, 1] (for uncertainty ordering), and the
        version that made them (one look at the store per prediction). The memory of the Label Studio ``project``
        (entities marked in its earlier posts) is applied to the entities."""
        from ls_backend.pipeline.ner.model import NerModel, confidence_score

        started = time.perf_counter()
        model = self.model
        predicted, probability = model.predict(post)
        memory = self.memories.of(project, posts=True)
        if memory:
            entities = memory.entities(post.tokens, [(e.start, e.end, e.type) for e in predicted.entities])
            predicted = replace(predicted, entities=tuple(Entity(s, e, t) for s, e, t in entities), tags=None)
        self.stats.latency(time.perf_counter() - started)
        self.stats.count("predictions")
        # the CRF gives the sequence's probability (made per-token here), the neural model a mean label probability
        score = confidence_score(probability, len(post.tokens)) if isinstance(model, NerModel) else round(probability, 6)
        return predicted, score, model.version
