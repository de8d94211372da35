"""An alignment turned into the predicted dialogue: cluster labels, one head box per linked
cluster (with the celebrity name when the gallery knows the face, or else when the cluster's
name mention -- completed by a title ``#hashtag`` that contains it -- says who it is), and the
persons no cluster took as extra boxes numbered after every cluster.

Numbers: linked single clusters get C1, C2 ... in dialogue order; a person in a group but in no
single cluster gets the next number; a group cluster is labelled with its members' numbers
("C1C2") and its box is the union of its members' key-frame head boxes, on the key frame of
its most seen member (the boxes come from different frames: an approximation to confirm).
"""
from __future__ import annotations

from dataclasses import replace

from exports.dialogue import Box, Dialogue
from ls_backend.pipeline.align.artifacts import Alignment, TextCluster
from ls_backend.pipeline.text.features import HASHTAG
from ls_backend.pipeline.video.artifacts import VideoAnalysis
from ls_backend.pipeline.video.proposals import with_video


def name_from_text(cluster: TextCluster | None, title: str | None) -> str:
    """The celebrity name a cluster's text gives: its longest name mention, or the title's
    ``#hashtag`` that contains it (云升 + #姜云升 -> 姜云升); "" when no mention is a name."""
    if cluster is None or not cluster.names:
        return ""
    name = max(cluster.names, key=len)
    tags = [t for t in HASHTAG.findall(title or "") if name in t]
    return max(tags, key=len) if tags else name


def linked_dialogue(
    predicted: Dialogue, alignment: Alignment, analysis: VideoAnalysis, text_clusters: list[TextCluster] | None = None
) -> tuple[Dialogue, list[int]]:
    """The dialogue with labels, boxes and the video's frame size and rate, and the numbers of the persons no
    cluster took.

    ``text_clusters`` (from :meth:`Aligner.align_dialogue`) name a box whose face the gallery does not know."""
    by_index = {c.index: c for c in text_clusters or ()}
    persons = {p.number: p for p in analysis.persons}
    number_of: dict[int, int] = {}  # person -> cluster number
    next_number = 1
    for ci, _ in enumerate(predicted.clusters):
        members = alignment.assigned.get(ci, ())
        if len(members) == 1 and members[0] not in number_of:
            number_of[members[0]] = next_number
            next_number += 1
    for ci, _ in enumerate(predicted.clusters):
        for p in alignment.assigned.get(ci, ()):
            if p not in number_of:
                number_of[p] = next_number
                next_number += 1
    clusters, boxes, labelled = [], [], set()
    for ci, cluster in enumerate(predicted.clusters):
        members = alignment.assigned.get(ci, ())
        if not members:
            clusters.append(replace(cluster, label="none"))
            continue
        label = "".join(f"C{n}" for n in sorted(number_of[p] for p in members))
        clusters.append(replace(cluster, label=label))
        if label in labelled:
            continue
        labelled.add(label)
        ps = [persons[p] for p in members]
        lead = max(ps, key=lambda p: p.screen_time)
        x1 = min(p.bbox[0] for p in ps)
        y1 = min(p.bbox[1] for p in ps)
        x2 = max(p.bbox[2] for p in ps)
        y2 = max(p.bbox[3] for p in ps)
        name = ""
        if len(ps) == 1:
            name = alignment.names.get(lead.number, ("", 0.0))[0] or name_from_text(by_index.get(ci), predicted.title)
        boxes.append(Box(label, int(lead.frame), (round(x1, 1), round(y1, 1), round(x2, 1), round(y2, 1)), name))
    dialogue = replace(with_video(predicted, analysis.meta), clusters=tuple(clusters), boxes=tuple(boxes))
    taken = {p for members in alignment.assigned.values() for p in members}
    return dialogue, [n for n in persons if n not in taken]
