"""``/predict`` behind the route: a dialogue's Prediction from the cache, or from :func:`~ls_backend.pipeline.propose.propose`.

The route reads the task (``exports.labelstudio.read_task``) and writes the answer
(``exports.labelstudio.to_prediction``); nothing here knows Label Studio's JSON.

The cache (in the store, shared by every worker) holds the :class:`~exports.prediction.Prediction`
artifact as JSON, keyed by what it depends on: the task's dialogue and title, the text model version,
the video analysis (content + pipeline version) and the aligner's state (scorer, gallery). A cache hit
runs no model. The video analysis itself is looked up in the store, never computed here
(``ls-backend preannotate`` computes it).
"""
from __future__ import annotations

import logging
import time
from typing import Any

from exports.dialogue import Dialogue
from exports.prediction import Prediction
from ls_backend.config import Config
from ls_backend.memory import ProjectMemories
from ls_backend.pipeline.propose import propose
from ls_backend.pipeline.video.artifacts import VideoAnalysis
from ls_backend.pipeline.video.pipeline import VideoSettings
from ls_backend.registry import ModelRegistry
from ls_backend.stats import Stats
from ls_backend.store import Store, cache_key

log = logging.getLogger(__name__)


class Predictor:
    def __init__(self, config: Config, store: Store, registry: ModelRegistry, stats: Stats, memories: ProjectMemories | None = None) -> None:
        self.config = config
        self.store = store
        self.registry = registry
        self.stats = stats
        self.memories = memories or ProjectMemories(config, store)
        self.video_settings = VideoSettings.from_config(config)
        self._align = None

    @property
    def align(self):
        """The alignment service (scorer, gallery, optional CN-CLIP), built on first use."""
        if self._align is None:
            from ls_backend.pipeline.align.service import AlignService

            self._align = AlignService.from_config(self.config, self.store)
        return self._align

    def predict(self, dialogue: Dialogue, project: int | None = None) -> Prediction:
        """The prediction of one dialogue (its ``video``: the task's video reference, looked up in the store), with
        the memory of its Label Studio ``project`` when given.

        Raises:
            ValueError: the dialogue does not suit the text model (the message names the dialogue).
        """
        started = time.perf_counter()
        version, model = self.registry.active()
        analysis, video_key = self.video_analysis(dialogue.video)
        aligner, state = self.align.aligner() if analysis is not None else (None, "-")
        memory = self.memories.of(project)
        key = cache_key(dialogue, f"{version}|{video_key}|{state}|{memory.revision if memory else '-'}")
        cached = self.store.cached(key)
        prediction = None
        if cached is not None:
            try:
                prediction = Prediction.from_json(cached)
                self.stats.count("cache_hits")
            except ValueError as exc:  # written by an older version: predict again
                log.warning("cached prediction %s unreadable (%s); predicting again", key[:12], exc)
        if prediction is None:
            prediction = propose(model, version, dialogue, analysis, aligner, memory=memory)
            self.store.cache(key, version, prediction.to_json())
        self.stats.latency(time.perf_counter() - started)
        self.stats.count("predictions")
        return prediction

    def video_analysis(self, ref: Any) -> tuple[VideoAnalysis | None, str]:
        """The stored analysis of a task's video and its key in the store (``"-"`` without one)."""
        if not isinstance(ref, str) or not ref:
            return None, "-"
        row = self.store.video_result_for(ref, self.video_settings.version)
        if row is None:
            return None, "-"
        if row.error or row.analysis is None:
            self.stats.count("video_errors")
            return None, "-"
        try:
            return VideoAnalysis.from_json(row.analysis), row.key
        except ValueError as exc:
            log.warning("video %s: stored analysis unreadable (%s); text proposals only", ref, exc)
            return None, "-"
