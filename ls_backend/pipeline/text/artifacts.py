"""Artifacts of the text stages: validated when built."""
from __future__ import annotations

from dataclasses import dataclass

from exports.dialogue import Span


@dataclass(frozen=True, slots=True)
class Mentions:
    """Detected mentions, inclusive token spans over the dialogue, each with its probability."""

    spans: tuple[Span, ...]
    scores: tuple[float, ...]

    def __post_init__(self) -> None:
        if len(self.spans) != len(self.scores):
            raise ValueError(f"scores: expected one per span ({len(self.spans)}), got {len(self.scores)}")
        for s, e in self.spans:
            if not 0 <= s <= e:
                raise ValueError(f"spans: expected 0 <= start <= end, got [{s}, {e}]")
        for p in self.scores:
            if not 0.0 <= p <= 1.0:
                raise ValueError(f"scores: expected probabilities in [0, 1], got {p}")


@dataclass(frozen=True, slots=True)
class Clusters:
    """Clusters of mentions; ``confidence`` is the model's certainty about the whole dialogue (0..1)."""

    clusters: tuple[tuple[Span, ...], ...]
    confidence: float

    def __post_init__(self) -> None:
        seen: set[Span] = set()
        for c in self.clusters:
            if not c:
                raise ValueError("clusters: expected non-empty clusters, got an empty one")
            for s in c:
                if s in seen:
                    raise ValueError(f"clusters: span {list(s)} is in two clusters")
                seen.add(s)
        if not 0.0 <= self.confidence <= 1.0:
            raise ValueError(f"confidence: expected a value in [0, 1], got {self.confidence}")
