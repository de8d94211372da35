"""A :class:`~exports.prediction.Prediction` as a Label Studio prediction: ``{result, score, model_version}``.

The regions: the predicted dialogue's (mentions numbered like its clusters, linked head boxes with
the celebrity name), then one box per unlinked person, numbered after every cluster, with its note.
"""
from __future__ import annotations

from typing import Any

import templates as T
from exports.labelstudio import box as box_tag
from exports.labelstudio.task import to_result
from exports.prediction import Prediction


def to_prediction(prediction: Prediction) -> dict[str, Any]:
    """The Label Studio prediction (the template offers C1..C20: unlinked persons beyond C20 are left out)."""
    d = prediction.dialogue
    result = to_result(d)
    if prediction.unlinked:
        assert d.frame_size is not None and d.fps is not None  # Prediction checks it
        result += [box_tag.proposal_region(p, d.frame_size, d.fps, d.frame_count) for p in prediction.unlinked if p.number <= T.MAX_CLUSTERS]
    return {"result": result, "score": prediction.score, "model_version": prediction.model_version}
