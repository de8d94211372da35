"""Project memory: what a project's annotators marked and left unmarked, used at the very next prediction.

No retraining: a :class:`Memory` is counted from the project's annotations (built by ``ls_backend/learning/memory.py``
from the store) and applied to a model's mentions (dialogues) or entities (posts) before they are clustered
or returned. For each surface string it knows how often annotators marked it (a name, a nickname, a person
noun, a celebrity name typed on a box) and how often it stood in an annotated text unmarked (a proposal they
deleted, or a word they never take). The string's rate of being a mention in this project is

    rate = (marked + a * p_model) / (marked + unmarked + a)

with ``a`` = :attr:`Memory.prior_weight` (how many annotations the model's own probability is worth). A proposal
whose rate falls below 0.5 is dropped; an occurrence of a marked string the model did not propose is added
when its rate reaches 0.5 (within one turn, crossing no kept mention). Both only for strings of at least
:data:`MIN_LENGTH` tokens: whether a single-character pronoun (我, 你, 他) is a mention depends on its context,
which the model sees and the memory does not (dropping 我 by its rate cost more gestures than it saved in
simulated campaigns on train folds: docs/experiments.md). Posts: the same, and a proposed entity takes the type annotators gave that string most often.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

Span = tuple[int, int]  # inclusive token offsets (dialogues)

#: the memory adds and drops strings of at least this many tokens (single characters such as 他 / 我 are the model's business)
MIN_LENGTH = 2
#: how many annotations the model's own probability counts for (chosen by simulated campaigns on train folds)
PRIOR_WEIGHT = 1.0


@dataclass(frozen=True)
class Memory:
    """Counts of a project's annotations; ``revision`` changes whenever they change (it keys the prediction cache)."""

    marked: Mapping[str, int] = field(default_factory=dict)
    unmarked: Mapping[str, int] = field(default_factory=dict)
    types: Mapping[str, Mapping[str, int]] = field(default_factory=dict)  # posts: surface -> entity type -> count
    revision: str = "-"
    prior_weight: float = PRIOR_WEIGHT

    def __post_init__(self) -> None:
        if self.prior_weight <= 0:
            raise ValueError(f"prior_weight: expected a positive number, got {self.prior_weight}")
        for name, counts in (("marked", self.marked), ("unmarked", self.unmarked)):
            if any(not isinstance(v, int) or v < 0 for v in counts.values()):
                raise ValueError(f"{name}: expected counts >= 0")

    def __bool__(self) -> bool:
        return bool(self.marked or self.unmarked)

    def knows(self, surface: str) -> bool:
        return surface in self.marked or surface in self.unmarked

    def rate(self, surface: str, prior: float) -> float:
        m, u = self.marked.get(surface, 0), self.unmarked.get(surface, 0)
        return (m + self.prior_weight * prior) / (m + u + self.prior_weight)

    # -- building -----------------------------------------------------------------------------------
    @classmethod
    def count(cls, documents: Iterable[tuple[Sequence[str], Iterable[tuple[int, int]], Iterable[str]]], *,
              types: Mapping[str, Counter] | None = None, revision: str = "-", prior_weight: float = PRIOR_WEIGHT,
              learned: Iterable[str] = ()) -> Memory:
        """Count annotated documents: ``(tokens, marked spans as [start, end) token offsets, extra names)``.

        Surfaces in ``learned`` (those the model's own training data marks: 美女, 他们, 自己 ...) are not counted: the
        model learned them in context and the memory, blind to context, would only overrule it (on train folds,
        counting them cost gestures; leaving them out made the memory neutral where no name recurs).

        Every marked span's surface is counted as marked; then every occurrence of a known surface that overlaps
        no marked span of its document is counted as unmarked. Extra names (celebrity names typed on boxes) count
        as marked once each.
        """
        docs = [(list(tokens), sorted(set(spans)), list(names)) for tokens, spans, names in documents]
        learned = set(learned)
        marked: Counter = Counter()
        for tokens, spans, names in docs:
            for s, e in spans:
                marked[surface_of(tokens[s:e])] += 1
            for n in names:
                if n:
                    marked[n] += 1
        for surface in learned & set(marked):
            del marked[surface]  # what the model learned stays its business; only marked surfaces are looked for below
        unmarked: Counter = Counter()
        known = {s: _length(s) for s in marked}
        for tokens, spans, _ in docs:
            covered = [False] * (len(tokens) + 1)
            for s, e in spans:
                for k in range(s, e):
                    covered[k] = True
            for surface, start, end in _find(tokens, known):
                if not any(covered[start:end]):
                    unmarked[surface] += 1
        return cls(dict(marked), dict(unmarked), {k: dict(v) for k, v in (types or {}).items() if k not in learned}, revision, prior_weight)

    # -- applying -----------------------------------------------------------------------------------
    def mentions(self, tokens: Sequence[str], kept: Sequence[tuple[Span, float]], prior: Callable[[Span], float],
                 turns: Sequence[tuple[int, int]] | None = None) -> list[tuple[Span, float]]:
        """A dialogue's mentions with the memory applied: ``kept`` (inclusive spans, probability) less the
        strings this project does not mark, plus occurrences of the strings it does.

        Args:
            prior: the model's probability of any span (0 for a span it never considered).
            turns: ``[start, end)`` token ranges of the turns; an added mention stays inside one.
        """
        if not self:
            return list(kept)
        out = [(span, p) for span, p in kept if not self._unmarked(surface_of(tokens[span[0] : span[1] + 1]), p)]
        taken = [False] * len(tokens)
        for (s, e), _ in out:
            for k in range(s, e + 1):
                taken[k] = True
        bounds = turns or [(0, len(tokens))]
        adds = {s: n for s, n in ((s, _length(s)) for s in self.marked) if n >= MIN_LENGTH}
        for surface, start, end in sorted(_find(tokens, adds), key=lambda x: (-(x[2] - x[1]), x[1])):
            span = (start, end - 1)
            if any(taken[start:end]) or not any(a <= start and end <= b for a, b in bounds):
                continue
            rate = self.rate(surface, prior(span))
            if rate >= 0.5:
                out.append((span, round(min(1.0, rate), 6)))
                for k in range(start, end):
                    taken[k] = True
        return sorted(out)

    def entities(self, tokens: Sequence[str], entities: Sequence[tuple[int, int, str]], prior: float = 0.9) -> list[tuple[int, int, str]]:
        """A post's entities (``[start, end)``, type) with the memory applied: unmarked strings dropped, marked ones
        added where the model has none, and a proposed string given the type annotators chose for it most often.

        Args:
            prior: the probability given to the model's own entities (its CRF does not give one per entity).
        """
        if not self:
            return list(entities)
        out = []
        for s, e, kind in entities:
            surface = surface_of(tokens[s:e])
            if self._unmarked(surface, prior):
                continue
            out.append((s, e, self._type(surface) or kind))
        taken = [False] * len(tokens)
        for s, e, _ in out:
            for k in range(s, e):
                taken[k] = True
        adds = {s: _length(s) for s in self.marked if _length(s) >= MIN_LENGTH and self._type(s)}
        for surface, start, end in sorted(_find(tokens, adds), key=lambda x: (-(x[2] - x[1]), x[1])):
            if any(taken[start:end]) or self.rate(surface, 0.0) < 0.5:
                continue
            out.append((start, end, self._type(surface)))
            for k in range(start, end):
                taken[k] = True
        return sorted(out)

    def _unmarked(self, surface: str, prior: float) -> bool:
        """Whether this project's annotators leave ``surface`` unmarked more often than not (a proposal to drop)."""
        return _length(surface) >= MIN_LENGTH and self.knows(surface) and self.rate(surface, prior) < 0.5

    def _type(self, surface: str) -> str | None:
        counts = self.types.get(surface)
        if not counts:
            return None
        return max(sorted(counts), key=lambda t: counts[t])


SEP = "\x1f"  # joins word tokens; characters join to the plain string


def surface_of(tokens: Sequence[str]) -> str:
    """The memory's key of a span's tokens: characters joined as they are, words joined by :data:`SEP`."""
    return "".join(tokens) if all(len(t) == 1 for t in tokens) else SEP.join(tokens)


def _length(surface: str) -> int:
    """Tokens in a surface: words joined by :data:`SEP`, else characters."""
    return len(surface.split(SEP)) if SEP in surface else len(surface)


def _find(tokens: Sequence[str], surfaces: Mapping[str, int]) -> list[tuple[str, int, int]]:
    """Every occurrence ``(surface, start, end)`` (``[start, end)`` token offsets) of the given surfaces
    (surface -> its length in tokens) in ``tokens``."""
    if not surfaces:
        return []
    chars = all(len(t) == 1 for t in tokens)
    out = []
    if chars:
        text = "".join(tokens)
        for surface in surfaces:
            if SEP in surface:
                continue
            i = text.find(surface)
            while i >= 0:
                out.append((surface, i, i + len(surface)))
                i = text.find(surface, i + 1)
        return out
    for surface, n in surfaces.items():
        want = surface.split(SEP)
        n = len(want)
        for i in range(len(tokens) - n + 1):
            if list(tokens[i : i + n]) == want:
                out.append((surface, i, i + n))
    return out
