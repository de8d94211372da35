"""Apply the text model to a Dialogue: the predicted Dialogue (clusters, no boxes) and its confidence."""
from __future__ import annotations

from dataclasses import replace

from exports.dialogue import Cluster, Dialogue
from ls_backend.pipeline.text.model import TextModel


def predict_dialogue(model: TextModel, dialogue: Dialogue, title: str | None = None) -> tuple[Dialogue, float]:
    """The dialogue with the model's clusters (entity label "none", no boxes) and the model's confidence.

    Raises:
        ValueError: a turn has tokens of several characters (the embedded model reads characters).
    """
    if any(len(tok) != 1 for t in dialogue.turns for tok in t.tokens):
        raise ValueError(f"{dialogue.doc_key}: sentences: the embedded text model needs one token per character")
    _, clusters = model.predict([t.text for t in dialogue.turns], title if title is not None else dialogue.title)
    predicted = replace(
        dialogue,
        clusters=tuple(Cluster(tuple(c)) for c in clusters.clusters),
        boxes=(),
        layout=None,
    )
    return predicted, clusters.confidence
