"""The one way from a task's dialogue to a :class:`~exports.prediction.Prediction`.

    dialogue --text model--> clusters --(video analysis)--> alignment --> linked boxes + unlinked persons

:func:`propose` is what ``/predict``, ``ls-backend predict`` (``--data`` and ``--tasks``) and
``ls-backend preannotate`` call; turning the prediction into Label Studio JSON or a release line is
``exports``' business, caching it the backend's (``ls_backend/serving/predictor.py``).
"""
from __future__ import annotations

import logging

from exports.dialogue import Dialogue
from exports.prediction import Prediction
from ls_backend.pipeline.align.aligner import Aligner
from ls_backend.pipeline.align.link import linked_dialogue
from ls_backend.pipeline.memory import Memory
from ls_backend.pipeline.text.model import TextModel
from ls_backend.pipeline.text.predict import predict_dialogue
from ls_backend.pipeline.video.artifacts import VideoAnalysis
from ls_backend.pipeline.video.proposals import combined_score, proposals_only, unlinked

log = logging.getLogger(__name__)


def propose(model: TextModel, version: str, dialogue: Dialogue, analysis: VideoAnalysis | None = None,
            aligner: Aligner | None = None, title: str | None = None, memory: Memory | None = None) -> Prediction:
    """What the models propose for one dialogue.

    Args:
        version: the text model's version (the prediction's ``model_version``).
        analysis: the video analysis of the task's clip, if there is one.
        aligner: links persons to clusters; without it (or when it fails) every person is proposed unlinked.
        title: the video title the text model reads (default: the dialogue's).
        memory: the project's memory (names marked, strings left unmarked), applied before mentions are linked.

    Raises:
        ValueError: the dialogue does not suit the text model (tokens of several characters).
    """
    predicted, confidence = predict_dialogue(model, dialogue, title, memory)
    if analysis is None:
        return Prediction(predicted, (), confidence, version)
    if aligner is not None:
        try:
            clusters, alignment = aligner.align_dialogue(predicted, analysis.persons, model.gazetteer)
            linked, free = linked_dialogue(predicted, alignment, analysis, clusters)
            persons = [p for p in analysis.persons if p.number in free]
            return Prediction(linked, unlinked(persons, linked.first_free_number()), combined_score(confidence, alignment.confidence), version)
        except (ValueError, KeyError) as exc:  # never lose the text proposals over the video part
            log.warning("%s: alignment failed (%s); persons proposed unlinked", predicted.doc_key, exc)
    return proposals_only(predicted, confidence, analysis, version)
