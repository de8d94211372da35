"""``/predict`` behind the route: a document's prediction from the cache, or from its task kind's one way
(``propose``: for a dialogue :func:`~ls_backend.pipeline.propose.propose`, for a post the NER model and the
project memory).

The route reads the task and writes the answer with the kind's adapters; nothing here knows Label Studio's JSON.

The cache (in the store, shared by every worker) holds the prediction artifact as JSON, keyed by what it depends
on: the document (the kind says what of it), the model version, the kind's context (for a dialogue: the video
analysis and the aligner's state) and the project memory's revision. A cache hit runs no model.
"""
from __future__ import annotations

import logging
import time
from typing import Any

from ls_backend.infra.config import Config
from ls_backend.infra.stats import Stats
from ls_backend.infra.store import Store, cache_key
from ls_backend.kinds import BackendKind
from ls_backend.learning.memory import ProjectMemories
from ls_backend.learning.registry import ModelRegistry

log = logging.getLogger(__name__)


class Predictor:
    def __init__(self, config: Config, store: Store, registries: dict[str, ModelRegistry], parts: dict[str, Any], stats: Stats,
                 memories: ProjectMemories | None = None) -> None:
        self.config = config
        self.store = store
        self.registries = registries
        self.parts = parts
        self.stats = stats
        self.memories = memories or ProjectMemories(config, store)

    def predict(self, kind: BackendKind, doc: Any, project: int | None = None) -> Any:
        """The prediction of one document of ``kind``, with the memory of its Label Studio ``project`` when given.

        Raises:
            ValueError: the document does not suit the model (the message names the document).
        """
        started = time.perf_counter()
        name = kind.data.name
        version, model = self.registries[name].active()
        context_key, context = kind.context(self.parts[name], doc)
        memory = self.memories.of(project, kind)
        key = cache_key(f"{name}\n{kind.data.cache_content(doc)}", f"{version}|{context_key}|{memory.revision if memory else '-'}")
        cached = self.store.cached(key)
        prediction = None
        if cached is not None:
            try:
                prediction = kind.data.prediction_from_json(cached)
                self.stats.count("cache_hits")
            except ValueError as exc:  # written by an older version: predict again
                log.warning("cached prediction %s unreadable (%s); predicting again", key[:12], exc)
        if prediction is None:
            prediction = kind.propose(model, version, doc, context, memory)
            self.store.cache(key, version, prediction.to_json())
        self.stats.latency(time.perf_counter() - started)
        self.stats.count("predictions")
        return prediction

    def assist(self, kind: BackendKind, doc: Any, marked: Any, taken: set, project: int | None = None) -> tuple[list, Any]:
        """Interactive assistance: ``(spans to propose with the marked labels, the prediction they come from)``; the
        prediction is the cached one of the document when there is one (with the project's memory)."""
        prediction = self.predict(kind, doc, project)
        _, model = self.registries[kind.data.name].active()
        spans = kind.assist(model, prediction, doc, marked, taken, self.memories.of(project, kind))
        self.stats.count("assists")
        return spans, prediction
