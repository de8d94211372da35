"""Per-region ``<Choices name="flags">`` on a cluster's first mention region: the person's flags."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import templates as T
from exports.dialogue import Cluster
from exports.labelstudio.errors import LabelStudioFormatError, region

FLAGS = (T.FLAG_NOT_IN_VIDEO, T.FLAG_FACE_UNIDENTIFIABLE)


def of(cluster: Cluster) -> list[str]:
    """The flags a cluster carries, in the template's order."""
    flags = []
    if cluster.not_in_video:
        flags.append(T.FLAG_NOT_IN_VIDEO)
    if cluster.face_unidentifiable:
        flags.append(T.FLAG_FACE_UNIDENTIFIABLE)
    return flags


def to_region(rid: str, mention_value: dict[str, Any], cluster: Cluster) -> dict[str, Any] | None:
    """The flags region of a cluster (same id and offsets as its first mention), or None without flags."""
    flags = of(cluster)
    return region(rid, T.FLAGS, T.DIALOGUE, "choices", {**mention_value, "choices": flags}) if flags else None


def read(value: Mapping[str, Any], where: str, field: str) -> set[str]:
    choices = value.get("choices")
    if not isinstance(choices, list) or any(c not in FLAGS for c in choices):
        raise LabelStudioFormatError(where, f"{field}.value.choices", f"unknown flag(s) {choices!r}")
    return set(choices)


def apply(flags: set[str]) -> dict[str, bool]:
    """Cluster fields of a set of flags."""
    return {"not_in_video": T.FLAG_NOT_IN_VIDEO in flags, "face_unidentifiable": T.FLAG_FACE_UNIDENTIFIABLE in flags}
