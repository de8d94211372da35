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

import numpy as np

from agreement import significance as S
from agreement.effort import dialogue_effort, post_effort
from exports.dialogue import Cluster, Dialogue
from exports.posts import Post

#: figure -> label, in the order they are printed
COREF_FIGURES = {"conll": "CoNLL F1", "muc": "MUC F1", "bcub": "B3 F1", "ceafe": "CEAF-e F1", "lea": "LEA F1",
                 "mentions": "mention F1", "effort": "text gestures saved"}
NER_FIGURES = {"entities": "entity F1", "effort": "entity gestures saved"}


def with_clusters(gold: Dialogue, clusters: Sequence[Sequence[tuple[int, int]]]) -> Dialogue:
    """``gold``'s dialogue carrying a system's clusters (numbered C1, C2, ... in order) instead of its own."""
    return replace(gold, clusters=tuple(Cluster(tuple(map(tuple, c)), f"C{i + 1}") for i, c in enumerate(clusters)), boxes=())


def _components_coref(gold: Sequence[Dialogue], response: Sequence[Dialogue | None]) -> np.ndarray:
    coref = S.coref_components(([list(c.spans) for c in g.clusters], [list(c.spans) for c in r.clusters] if r else [])
                               for g, r in zip(gold, response))
    effort = S.effort_components((dialogue_effort(r, g) for g, r in zip(gold, response)), "text")
    return np.hstack([coref, effort])


def _components_ner(gold: Sequence[Post], response: Sequence[Post | None]) -> np.ndarray:
    from agreement.ner import entity_counts

    rows = []
    for g, r in zip(gold, response):
        tp, n_key, n_got = entity_counts(g, r)
        rows.append([tp, n_key, tp, n_got, *post_effort(r, g).part("entities")])
    return np.asarray(rows, dtype=float).reshape(-1, 6)


def _statistics(task: str) -> dict[str, S.Statistic]:
    if task == "ner":
        return {"entities": S.f1_of(0), "effort": lambda s: S.saved_share(s[..., 4:6])}
    out = dict(S.coref_statistics())
    width = 4 * len(S.COREF_METRICS)
    out["effort"] = lambda s: S.saved_share(s[..., width : width + 2])
    return {k: out[k] for k in COREF_FIGURES}


def compare(gold: Sequence[Any], a: Sequence[Any | None], b: Sequence[Any | None], *, task: str = "coref",
            shuffles: int = 10_000, seed: int = 0) -> dict[str, Any]:
    """Figures of responses ``a`` and ``b`` (None: no response for that document) against ``gold``, paired by
    position, with bootstrap 95 % intervals and the approximate-randomization p-value of each difference.

    Raises:
        ValueError: the three sequences differ in length or are empty, or ``shuffles`` < 1.
    """
    if not (len(gold) == len(a) == len(b)):
        raise ValueError(f"expected one response per gold document, got {len(gold)} gold, {len(a)} and {len(b)}")
    if not gold:
        raise ValueError("no document to compare on")
    components = _components_ner if task == "ner" else _components_coref
    ca, cb = components(gold, a), components(gold, b)
    figures = {}
    for name, stat in _statistics(task).items():
        c = S.approximate_randomization(ca, cb, stat, shuffles=shuffles, seed=seed)
        figures[name] = {**c.to_json(), "a_95": S.bootstrap_interval(ca, stat, seed=seed),
                         "b_95": S.bootstrap_interval(cb, stat, seed=seed)}
    return {"task": task, "documents": len(gold), "shuffles": shuffles, "seed": seed, "figures": figures}


def pair_up(gold: Sequence[Any], responses: dict[str, Any], key, name: str, problems: list[str]) -> list[Any | None]:
    """The response to each gold document by key; missing ones and ones with other tokens become None (reported)."""
    out = []
    for g in gold:
        r = responses.get(key(g))
        if r is None:
            problems.append(f"{name}: {key(g)}: missing; counted as an empty response")
        elif _tokens(r) != _tokens(g):
            problems.append(f"{name}: {key(g)}: its text differs from the key's; counted as an empty response")
            r = None
        out.append(r)
    extra = sorted(set(responses) - {key(g) for g in gold})
    if extra:
        problems.append(f"{name}: {len(extra)} document(s) not in the key, left out (first: {extra[0]})")
    return out


def _tokens(doc: Any) -> tuple:
    return tuple(doc.tokens) if isinstance(doc, Post) else tuple(t.tokens for t in doc.turns)


def print_comparison(result: dict[str, Any], names: tuple[str, str] = ("A", "B")) -> None:
    labels = NER_FIGURES if result["task"] == "ner" else COREF_FIGURES
    a, b = names
    print(f"{result['documents']} documents; paired approximate randomization, {result['shuffles']} shuffles; "
          f"[95 % bootstrap interval]")
    print(f"{'figure':22s} {a[:18]:>18s} {'':14s} {b[:18]:>18s} {'':14s} {'B - A':>7s} {'p':>8s}")
    for name, f in result["figures"].items():
        print(f"{labels[name]:22s} {100 * f['a']:18.2f} {S.interval_text(*f['a_95']):14s} {100 * f['b']:18.2f} "
              f"{S.interval_text(*f['b_95']):14s} {100 * f['difference']:+7.2f} {f['p_value']:8.4f}")
