"""Person proposals that no text cluster took, as :class:`~exports.prediction.ProposedPerson` artifacts.

Persons that alignment (``pipeline/align``) did not link to a cluster -- or all persons, when
alignment could not run -- are numbered by screen time (most seen first) with the cluster numbers
that follow every cluster's number, so that no box falsely claims a cluster; the annotator
relabels or deletes them (``exports.labelstudio.box`` gives each such box its note).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from exports.dialogue import Dialogue
from exports.prediction import Prediction, ProposedPerson
from ls_backend.pipeline.video.artifacts import Person, VideoAnalysis, VideoMeta


def with_video(dialogue: Dialogue, meta: VideoMeta) -> Dialogue:
    """The dialogue with the clip's frame rate, size and frame count (what its boxes are drawn on)."""
    return replace(dialogue, fps=meta.fps, frame_size=(meta.width, meta.height), frame_count=meta.frame_count, layout=None)


def unlinked(persons: Sequence[Person], first: int) -> tuple[ProposedPerson, ...]:
    """The persons as proposals numbered ``first``, ``first + 1`` ... in their order (by screen time)."""
    return tuple(ProposedPerson(p.number, first + i, p.frame, p.bbox, p.confidence) for i, p in enumerate(persons))


def combined_score(text_score: float, certainty: float) -> float:
    """The prediction score: the text model's confidence, lowered by an uncertain video part (certainty in [0, 1])."""
    return round(text_score * (0.5 + 0.5 * certainty), 6)


def proposals_only(predicted: Dialogue, text_score: float, analysis: VideoAnalysis, version: str) -> Prediction:
    """The text clusters with every person proposed unlinked (alignment could not run); the score is lowered by
    the weakest detection."""
    dialogue = with_video(predicted, analysis.meta)
    persons = analysis.persons
    score = combined_score(text_score, min(p.confidence for p in persons)) if persons else text_score
    return Prediction(dialogue, unlinked(persons, dialogue.first_free_number()), score, version)
