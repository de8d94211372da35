"""Is system B better than system A on the same gold? Paired approximate randomization per figure.

``agreement compare KEY A B`` (and ``ls-backend evaluate --compare``) score two responses against one key,
document by document, and test every figure with :func:`agreement.significance.approximate_randomization`
(10,000 shuffles over documents by default): each coreference metric's F1, the CoNLL F1, and the share of
the annotator's text gestures the response would save (:mod:`agreement.effort`). Every figure comes with a
bootstrap 95 % interval. Post NER: entity F1 and the share of entity gestures saved.

A document of the key that a response lacks counts as an empty response (reported); a response document
whose tokens differ from the key's counts as empty too (its spans would mean other characters).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from agreement import significance as S
from agreement.kinds import agreement_kind
from exports import kinds
from exports.dialogue import Cluster, Dialogue


def with_clusters(gold: Dialogue, clusters: Sequence[Sequence[tuple[int, int]]]) -> Dialogue:
    """``gold``'s dialogue carrying a system's clusters (numbered C1, C2, ... in order) instead of its own."""
    return replace(gold, clusters=tuple(Cluster(tuple(map(tuple, c)), f"C{i + 1}") for i, c in enumerate(clusters)), boxes=())


def compare(gold: Sequence[Any], a: Sequence[Any | None], b: Sequence[Any | None], *, task: str = kinds.DEFAULT,
            shuffles: int = 10_000, seed: int = 0) -> dict[str, Any]:
    """Figures of responses ``a`` and ``b`` (None: no response for that document) against ``gold``, paired by
    position, with bootstrap 95 % intervals and the approximate-randomization p-value of each difference; the
    figures are the task kind's (``agreement.kinds``).

    Raises:
        ValueError: the three sequences differ in length or are empty, or ``shuffles`` < 1.
    """
    if not (len(gold) == len(a) == len(b)):
        raise ValueError(f"expected one response per gold document, got {len(gold)} gold, {len(a)} and {len(b)}")
    if not gold:
        raise ValueError("no document to compare on")
    kind = agreement_kind(task)
    ca, cb = kind.components(gold, a), kind.components(gold, b)
    figures = {}
    for name, stat in kind.statistics().items():
        c = S.approximate_randomization(ca, cb, stat, shuffles=shuffles, seed=seed)
        figures[name] = {**c.to_json(), "a_95": S.bootstrap_interval(ca, stat, seed=seed),
                         "b_95": S.bootstrap_interval(cb, stat, seed=seed)}
    return {"task": task, "documents": len(gold), "shuffles": shuffles, "seed": seed, "figures": figures}


def pair_up(gold: Sequence[Any], responses: dict[str, Any], task: str, name: str, problems: list[str]) -> list[Any | None]:
    """The response to each gold document by key; missing ones and ones with other tokens become None (reported)."""
    kind = kinds.get(task)
    out = []
    for g in gold:
        r = responses.get(kind.key(g))
        if r is None:
            problems.append(f"{name}: {kind.key(g)}: missing; counted as an empty response")
        elif kind.tokens(r) != kind.tokens(g):
            problems.append(f"{name}: {kind.key(g)}: its text differs from the key's; counted as an empty response")
            r = None
        out.append(r)
    extra = sorted(set(responses) - {kind.key(g) for g in gold})
    if extra:
        problems.append(f"{name}: {len(extra)} document(s) not in the key, left out (first: {extra[0]})")
    return out


def print_comparison(result: dict[str, Any], names: tuple[str, str] = ("A", "B")) -> None:
    labels = agreement_kind(result["task"]).figures
    a, b = names
    print(f"{result['documents']} documents; paired approximate randomization, {result['shuffles']} shuffles; "
          f"[95 % bootstrap interval]")
    print(f"{'figure':22s} {a[:18]:>18s} {'':14s} {b[:18]:>18s} {'':14s} {'B - A':>7s} {'p':>8s}")
    for name, f in result["figures"].items():
        print(f"{labels[name]:22s} {100 * f['a']:18.2f} {S.interval_text(*f['a_95']):14s} {100 * f['b']:18.2f} "
              f"{S.interval_text(*f['b_95']):14s} {100 * f['difference']:+7.2f} {f['p_value']:8.4f}")
