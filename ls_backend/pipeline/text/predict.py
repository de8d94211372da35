"""Apply the text model to a Dialogue: the predicted Dialogue (clusters, no boxes) and its confidence."""
from __future__ import annotations

from dataclasses import replace

from exports.dialogue import Cluster, Dialogue
from ls_backend.pipeline.memory import Memory
from ls_backend.pipeline.text.groups import group_links
from ls_backend.pipeline.text.model import TextModel


def predict_dialogue(model: TextModel, dialogue: Dialogue, title: str | None = None, memory: Memory | None = None,
                     forced: tuple = ()) -> tuple[Dialogue, float]:
    """The dialogue with the model's clusters (entity label "none", no boxes) and the model's confidence; ``memory``:
    the project's (``pipeline/memory.py``), applied to the mentions before they are linked; ``forced``: spans that are
    mentions whatever the model thinks (interactive assistance).

    Raises:
        ValueError: a turn has tokens of several characters (the embedded model reads characters).
    """
    if any(len(tok) != 1 for t in dialogue.turns for tok in t.tokens):
        raise ValueError(f"{dialogue.doc_key}: sentences: the embedded text model needs one token per character")
    texts = [t.text for t in dialogue.turns]
    title = title if title is not None else dialogue.title
    extra = {k: v for k, v in (("memory", memory), ("forced", tuple(forced))) if v}  # models without them keep working
    _, clusters = model.predict(texts, title, **extra)
    predicted = replace(
        dialogue,
        clusters=labelled_clusters("".join(texts), clusters.clusters),
        boxes=(),
        layout=None,
    )
    return predicted, clusters.confidence


def labelled_clusters(text: str, clusters) -> tuple[Cluster, ...]:
    """Clusters with entity label "none", except a group of two (他俩 ...) and its members (see ``groups.py``):
    the members keep the numbers they would be shown under (their position), the group takes both (``C1C2``)."""
    labels = ["none"] * len(clusters)
    for g, (a, b) in group_links(text, clusters).items():
        labels[a], labels[b], labels[g] = f"C{a + 1}", f"C{b + 1}", f"C{a + 1}C{b + 1}"
    return tuple(Cluster(tuple(c), label) for c, label in zip(clusters, labels))
