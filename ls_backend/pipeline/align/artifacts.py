"""What alignment reads and writes: text clusters and the assignment (persons are the video pipeline's
:class:`~ls_backend.pipeline.video.artifacts.Person`)."""
from __future__ import annotations

from dataclasses import dataclass


KINDS = ("name", "noun", "pronoun")


@dataclass(frozen=True)
class TextCluster:
    """A cluster of the dialogue as alignment sees it."""

    index: int  # position among the dialogue's clusters
    mentions: tuple[str, ...]
    kind: str  # name- / noun- / pronoun-central (the paper's Table 7 split)
    group: bool = False  # a plural mention ("他俩", "她们"): may take several persons
    gender: str = ""  # "m" / "f" from its pronouns, "" when unknown
    first: int = 0  # token offset of its first mention
    names: tuple[str, ...] = ()  # person names it contains (gazetteer, title hashtags, gallery)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"cluster {self.index}: kind must be one of {KINDS}, got {self.kind!r}")
        if not self.mentions:
            raise ValueError(f"cluster {self.index}: no mention")

    @property
    def text(self) -> str:
        return "，".join(dict.fromkeys(self.mentions))


@dataclass(frozen=True)
class Alignment:
    """Scores of every (cluster, person) pair and the global assignment."""

    scores: dict[tuple[int, int], float]  # (cluster index, person number) -> probability
    assigned: dict[int, tuple[int, ...]]  # cluster index -> person numbers (empty: not in the video)
    names: dict[int, tuple[str, float]]  # person number -> (celebrity name, face distance) from the gallery
    confidence: float = 1.0

    def ranking(self, cluster: int) -> list[int]:
        """Person numbers by decreasing score for a cluster."""
        pairs = [(p, s) for (c, p), s in self.scores.items() if c == cluster]
        return [p for p, _ in sorted(pairs, key=lambda x: (-x[1], x[0]))]
