"""``/predict`` for post NER tasks: the configured (or shipped) CRF tagger, loaded once per process.

What is not here yet: model versions of this kind in the store and learning from NER annotations (they are
stored by the inbox; the trainer retrains the coreference model only).
"""
from __future__ import annotations

import threading
import time

from exports.posts import Post
from ls_backend.config import Config
from ls_backend.stats import Stats


class NerPredictor:
    def __init__(self, config: Config, stats: Stats) -> None:
        self.config = config
        self.stats = stats
        self._model = None
        self._lock = threading.Lock()

    @property
    def model(self):
        """The tagger (loaded on first use).

        Raises:
            ValueError: the configured model path holds no NER model.
        """
        with self._lock:
            if self._model is None:
                from ls_backend.pipeline.ner.model import SHIPPED, NerModel

                self._model = NerModel.load(self.config.ner_model or SHIPPED)
            return self._model

    @property
    def version(self) -> str:
        return self.model.version

    def predict(self, post: Post) -> tuple[Post, float]:
        """The post with the model's entities and a per-token confidence in [0, 1] (for uncertainty ordering)."""
        from ls_backend.pipeline.ner.model import confidence_score

        started = time.perf_counter()
        predicted, probability = self.model.predict(post)
        self.stats.latency(time.perf_counter() - started)
        self.stats.count("predictions")
        return predicted, confidence_score(probability, len(post.tokens))
