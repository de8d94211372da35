"""Text clusters for alignment: their mentions, kind (name / noun / pronoun-central), plurality, gender."""
from __future__ import annotations

from collections.abc import Iterable

from exports.dialogue import Dialogue
from ls_backend.pipeline.text import features as F
from ls_backend.pipeline.align.artifacts import TextCluster

GROUP = {"WE", "YOUPL", "THEY"}
MALE, FEMALE = {"HE"}, {"SHE"}
GROUP_WORDS = ("俩", "们", "两人", "二人", "两个", "几个", "大家")


def text_clusters(dialogue: Dialogue, gazetteer: frozenset[str] = frozenset(), extra_names: Iterable[str] = ()) -> list[TextCluster]:
    """One TextCluster per cluster of ``dialogue``. Names: the gazetteer, the title's ``#hashtags``
    and ``extra_names`` (the gallery's celebrities)."""
    ctx = F.Context.of(dialogue.title, frozenset(gazetteer) | frozenset(extra_names))
    known = set(ctx.gazetteer) | set(ctx.hashtags)
    out = []
    for i, cluster in enumerate(dialogue.clusters):
        mentions = tuple(dialogue.span_text(s) for s in cluster.spans)
        classes = [F.mention_class(m, ctx) for m in mentions]
        names = tuple(dict.fromkeys(m for m, c in zip(mentions, classes) if c == "NAME" or m in known))
        if names:
            kind = "name"
        elif any(c in ("NOUN", "POSS") for c in classes):
            kind = "noun"
        else:
            kind = "pronoun"
        group = any(c in GROUP for c in classes) or any(w in m for m in mentions for w in GROUP_WORDS) or len(cluster.numbers) > 1
        gender = "m" if any(c in MALE for c in classes) else "f" if any(c in FEMALE for c in classes) else ""
        out.append(TextCluster(i, mentions, kind, group, gender, min(s[0] for s in cluster.spans), names))
    return out
