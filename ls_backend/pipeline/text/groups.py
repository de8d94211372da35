"""Group links: a mention of two people (他俩, 她俩, 你俩, 他们俩, 这俩人, 两个人 ...) names the group of two clusters.

The annotation guidelines label such a cluster with its members' numbers (``C1C2``). The text models cluster it on
its own; :func:`group_links` proposes its two members: the two clusters mentioned last before the group's first
mention (许飞和云升 ... 他俩 -> 许飞 + 云升), skipping clusters of first- or second-person pronouns only (the
speakers) and other groups. Nothing is proposed when fewer than two such clusters precede it.
"""
from __future__ import annotations

from collections.abc import Sequence

from ls_backend.pipeline.text.features import PRONOUN_CLASS

Span = tuple[int, int]
DUAL = ("俩", "两人", "两个人", "二人", "两口子")
SPEAKERS = {"I", "YOU", "WE", "YOUPL", "RENJIA"}


def is_dual(mention: str) -> bool:
    return any(w in mention for w in DUAL) and len(mention) <= 6


def group_links(text: str, clusters: Sequence[Sequence[Span]]) -> dict[int, tuple[int, int]]:
    """Group cluster index -> the indices of its two member clusters (the earlier first)."""
    out: dict[int, tuple[int, int]] = {}
    groups = {i for i, c in enumerate(clusters) if c and all(is_dual(text[s : e + 1]) for s, e in c)}
    for g in sorted(groups):
        first = min(s for s, _ in clusters[g])
        last_before = []
        for i, c in enumerate(clusters):
            if i in groups or all(PRONOUN_CLASS.get(text[s : e + 1]) in SPEAKERS for s, e in c):
                continue
            before = [e for s, e in c if e < first]
            if before:
                last_before.append((max(before), i))
        if len(last_before) >= 2:
            a, b = sorted(i for _, i in sorted(last_before)[-2:])
            out[g] = (a, b)
    return out
