"""Interactive assistance: from what the annotator just marked, the rest of it.

Pure functions over token spans (``(start, end)``, **inclusive** end, the annotator's marks included):

* :func:`chain` -- a dialogue: the annotator marked one or more mentions of a person; proposed are the other
  mentions of that person: the text model's links to and from the marked spans (the clusters of the model's
  prediction that a marked span overlaps), the same string elsewhere, names of the title that the marked text
  holds or is held by, and the model's mentions whose text holds the marked name or is held by it (九洲 in 唐九洲);
* :func:`entities` -- a post: the marked entity's other occurrences, and the model's entities of the same type.

Never proposed: a span the annotation already has (``taken``), one that overlaps a marked span, a pronoun by string
(他 elsewhere is rarely the same person: pronouns come only from the model's links).
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence

Span = tuple[int, int]

#: Person pronouns are proposed only through the model's links, never because the same character appears.
PRONOUNS = frozenset("我你您他她它") | {"我们", "你们", "他们", "她们", "咱们", "人家", "自己", "大家", "俺", "咱"}


def _text(tokens: Sequence[str], span: Span) -> str:
    return "".join(tokens[span[0] : span[1] + 1])


def _overlaps(a: Span, b: Span) -> bool:
    return a[0] <= b[1] and b[0] <= a[1]


def _occurrences(tokens: Sequence[str], needle: str, bounds: Sequence[Span]) -> Iterable[Span]:
    """Every span of ``tokens`` spelling ``needle`` inside one of ``bounds`` (turns; a mention never crosses one)."""
    for lo, hi in bounds:
        text = "".join(tokens[lo : hi + 1])
        starts = []
        o = 0
        for i in range(lo, hi + 1):  # character offset of each token inside the turn
            starts.append(o)
            o += len(tokens[i])
        at = {s: lo + k for k, s in enumerate(starts)}
        i = text.find(needle)
        while i != -1:
            j = i + len(needle)
            if i in at and (j in at or j == len(text)):
                end_token = (at[j] - 1) if j in at else hi
                yield at[i], end_token
            i = text.find(needle, i + 1)


def _keep(candidates: Iterable[Span], marked: Sequence[Span], taken: set[Span]) -> list[Span]:
    out: list[Span] = []
    for s in candidates:
        if s in taken or any(_overlaps(s, m) for m in marked) or s in out:
            continue
        if any(_overlaps(s, o) for o in out):
            continue  # two proposals never overlap: the first (the model's link, then strings) wins
        out.append(s)
    return sorted(out)


def chain(tokens: Sequence[str], turns: Sequence[Span], marked: Sequence[Span], predicted: Sequence[Sequence[Span]],
          taken: set[Span], names: Iterable[str] = ()) -> list[Span]:
    """The other mentions of the person whose mentions are ``marked``.

    Args:
        tokens: the dialogue's tokens; ``turns``: each turn's span.
        predicted: the model's clusters (its prediction of the dialogue, the project memory applied).
        taken: spans the annotation has already (its regions as far as the request shows them).
        names: names of the video title (its #hashtags).
    """
    candidates: list[Span] = []
    for cluster in predicted:  # the model's links to and from the marked spans
        if any(_overlaps(s, m) for s in cluster for m in marked):
            candidates += [s for s in cluster if not any(_overlaps(s, m) for m in marked)]
    texts = {_text(tokens, m) for m in marked}
    strings = {t for t in texts if t not in PRONOUNS and len(t) >= 2}
    strings |= {n for n in names for t in strings if len(n) >= 2 and (n in t or t in n)}  # the title's names of that person
    for t in sorted(strings, key=len, reverse=True):  # the same string (and the title's name) elsewhere
        candidates += list(_occurrences(tokens, t, turns))
    for cluster in predicted:  # the model's mentions that hold the marked name or are held by it
        for s in cluster:
            t = _text(tokens, s)
            if len(t) >= 2 and t not in PRONOUNS and any(t in u or u in t for u in strings):
                candidates.append(s)
    return _keep(candidates, marked, taken)


def entities(tokens: Sequence[str], marked: Sequence[Span], predicted: Sequence[Span], taken: set[Span]) -> list[Span]:
    """The marked entity's other occurrences, then the model's entities of its type (``predicted``)."""
    candidates: list[Span] = []
    whole = [(0, len(tokens) - 1)] if tokens else []
    sep = "" if all(len(t) == 1 for t in tokens) else " "
    for m in marked:
        needle = sep.join(tokens[m[0] : m[1] + 1])
        if sep:  # word-level posts: match whole tokens
            n = m[1] - m[0] + 1
            candidates += [(i, i + n - 1) for i in range(len(tokens) - n + 1) if tuple(tokens[i : i + n]) == tuple(tokens[m[0] : m[1] + 1])]
        else:
            candidates += list(_occurrences(tokens, needle, whole))
    candidates += list(predicted)
    return [s for s in _keep(candidates, marked, taken) if not any(_overlaps(s, t) for t in taken)]  # entities never overlap
