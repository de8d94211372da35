"""The coreference kind in the backend: the text models (embedded, full), the stored video analysis and the
aligner a prediction depends on, ``pipeline/propose.py``, the celebrity gallery taught by annotations, and the
alignment scorer retrained after the text model."""
from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from exports import kinds
from exports.dialogue import Dialogue
from exports.prediction import Prediction
from ls_backend.pipeline.video.artifacts import VideoAnalysis

log = logging.getLogger(__name__)


class Videos:
    """Per process: the stored video analyses of tasks, and the alignment service (scorer, gallery, optional
    CN-CLIP), built on first use."""

    def __init__(self, config: Any, store: Any, stats: Any) -> None:
        from ls_backend.pipeline.video.pipeline import VideoSettings

        self.config, self.store, self.stats = config, store, stats
        self.settings = VideoSettings.from_config(config)
        self._align = None

    @property
    def align(self):
        if self._align is None:
            from ls_backend.pipeline.align.service import AlignService

            self._align = AlignService.from_config(self.config, self.store)
        return self._align

    def analysis(self, ref: Any) -> tuple[VideoAnalysis | None, str]:
        """The stored analysis of a task's video and its key in the store (``"-"`` without one). The analysis is
        looked up, never computed here (``ls-backend preannotate`` computes it)."""
        if not isinstance(ref, str) or not ref:
            return None, "-"
        row = self.store.video_result_for(ref, self.settings.version)
        if row is None:
            return None, "-"
        if row.error or row.analysis is None:
            if self.stats is not None:
                self.stats.count("video_errors")
            return None, "-"
        try:
            return VideoAnalysis.from_json(row.analysis), row.key
        except ValueError as exc:
            log.warning("video %s: stored analysis unreadable (%s); text proposals only", ref, exc)
            return None, "-"


class CorefBackend:
    data = kinds.get("coref")
    store_kind = "text"
    version_prefix = "text"
    model_kinds = ("embedded", "neural")
    setting = "text_model"

    def shipped_model(self) -> Path:
        from ls_backend.pipeline.text.model import SHIPPED

        return SHIPPED

    def configured_model(self, config: Any) -> Path | None:
        return config.text_model

    def base_data(self, config: Any) -> Path:
        return Path(config.text_training_data or self.shipped_model().parent / "training_data.jsonl.gz")

    def read_base(self, path: Path) -> tuple[list[Dialogue], dict[str, str]]:
        from ls_backend.pipeline.text.data import read_training_data

        return read_training_data(path) if path.exists() else ([], {})

    def part(self, config: Any, store: Any, stats: Any) -> Videos:
        return Videos(config, store, stats)

    def context(self, part: Videos, doc: Dialogue) -> tuple[str, Any]:
        analysis, video_key = part.analysis(doc.video)
        aligner, state = part.align.aligner() if analysis is not None else (None, "-")
        return f"{video_key}|{state}", (analysis, aligner)

    def propose(self, model: Any, version: str, doc: Dialogue, context: Any, memory: Any) -> Prediction:
        from ls_backend.pipeline.propose import propose

        analysis, aligner = context
        return propose(model, version, doc, analysis, aligner, memory=memory)

    def assist(self, model: Any, prediction: Prediction, doc: Dialogue, marked: Any, taken: set, memory: Any = None) -> list[tuple[int, int]]:
        """The other mentions of the person just marked (``pipeline/assist.chain``): the model's links to and from the
        marked spans (when the model had not proposed them, it predicts the dialogue again with them as mentions, so
        that their antecedents and anaphors come along), their strings and the title's names."""
        from ls_backend.pipeline.assist import chain
        from ls_backend.pipeline.text.features import HASHTAG
        from ls_backend.pipeline.text.predict import predict_dialogue

        predicted_spans = {s for c in prediction.dialogue.clusters for s in c.spans}
        if not set(marked.spans) <= predicted_spans:
            again, _ = predict_dialogue(model, doc, memory=memory, forced=marked.spans)
            prediction = Prediction(again, (), prediction.score, prediction.model_version)

        turns, o = [], 0
        for t in doc.turns:
            turns.append((o, o + len(t.tokens) - 1))
            o += len(t.tokens)
        predicted = [list(c.spans) for c in prediction.dialogue.clusters]
        return chain(doc.tokens, turns, marked.spans, predicted, taken, names=HASHTAG.findall(doc.title or ""))

    def taught(self, part: Videos, ls_annotation_id: int, doc: Dialogue) -> None:
        """Named persons of an annotated task whose video was analysed go into the celebrity gallery."""
        video, _ = part.analysis(doc.video)
        if video is None:
            return
        try:
            taught = part.align.teach(ls_annotation_id, doc, video)
        except (ValueError, KeyError) as exc:
            log.warning("annotation %s: cannot teach the gallery: %s", ls_annotation_id, exc)
            return
        if taught:
            log.info("annotation %s taught the gallery %d face(s)", ls_annotation_id, taught)

    def after_training(self, part: Videos, model: Any, annotated: Sequence[Dialogue]) -> None:
        """The alignment scorer, on the shipped pairs plus the annotated tasks that have a video analysis."""
        pairs = [(d, video) for d in annotated if (video := part.analysis(d.video)[0]) is not None]
        if pairs:
            try:
                part.align.retrain(pairs, model.gazetteer)
            except ValueError as exc:
                log.warning("alignment scorer not retrained: %s", exc)


facet = CorefBackend()
