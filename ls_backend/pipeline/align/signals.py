"""The signals of a (text cluster, person) pair, each a small function returning named features.

- ``names``: the person's face matches a gallery celebrity whose name the cluster mentions (or a
  name of the cluster is part of it: 一博 / 王一博), or the title's hashtag names them; a name that
  is someone else's is evidence against.
- ``clip``: CN-CLIP similarity of the cluster's text and the person's face crop (when configured).
- ``priors``: salience (screen-time rank, share, key-frame size) against the cluster's kind,
  its rank in the dialogue (by mentions, then first mention), and plurality.

Features are strings (present / absent) or ``name=value`` numbers, scored by a logistic regression
(``scorer.py``); ``SIGNALS`` lists the groups so that one can be switched off for ablations.
"""
from __future__ import annotations

from collections.abc import Sequence

from ls_backend.pipeline.align.artifacts import TextCluster
from ls_backend.pipeline.video.artifacts import Person
from exports.names import normalise_name

SIGNALS = ("names", "clip", "priors")


def _names_match(cluster_names: Sequence[str], celebrity: str) -> bool:
    c = normalise_name(celebrity)
    for n in cluster_names:
        n = normalise_name(n)
        if len(n) >= 2 and (n == c or n in c or (len(c) >= 2 and c in n)):
            return True
    return False


def names(cluster: TextCluster, person: Person, known: tuple[str, float] | None, hashtags: Sequence[str],
          dialogue_names: Sequence[str] = ()) -> dict[str, float]:
    f: dict[str, float] = {}
    if known is None:
        f["face_unknown"] = 1.0
        return f
    celebrity, distance = known
    f["face_known"] = 1.0
    if cluster.group and _names_match(dialogue_names, celebrity):
        f["group_named_member"] = 1.0  # 他俩 after 王一博和肖战: the persons the dialogue names
        return f
    if _names_match(cluster.names, celebrity):
        f["name_match"] = 1.0
        f["name_match_margin"] = max(0.0, 1.0 - distance / 0.5)
    elif cluster.names:
        f["name_clash"] = 1.0  # the cluster names someone, the face is someone else
    elif _names_match(hashtags, celebrity):
        f[f"title_person|{cluster.kind}"] = 1.0  # the video is about this celebrity; the cluster does not name anyone
    return f


def clip(similarity: float | None) -> dict[str, float]:
    if similarity is None:
        return {}
    return {"clip_sim": float(similarity)}


def priors(cluster: TextCluster, person: Person, person_rank: int, cluster_rank: int, n_persons: int, n_clusters: int,
           share: float) -> dict[str, float]:
    pr, cr = min(person_rank, 2), min(cluster_rank, 2)
    f = {
        f"prank={pr}|{cluster.kind}": 1.0,
        f"rank_pair={cr}{pr}": 1.0,
        "screen_share": share,
        "key_size": person.size,
        f"persons={min(n_persons, 4)}": 1.0,
        f"clusters={min(n_clusters, 3)}|prank={pr}": 1.0,
    }
    if cluster.group:
        f["group"] = 1.0
        f[f"group|prank={pr}"] = 1.0
        f["group|share"] = share
    return f
