"""Score predicted clusters against gold: MUC, B3, CEAF-e, CoNLL F1 and mention P/R/F."""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from agreement.metrics import CorpusScores
from exports.dialogue import Dialogue

Predictor = Callable[[Dialogue], Sequence[Sequence[tuple[int, int]]]]


def evaluate(predict: Predictor, dialogues: Sequence[Dialogue]) -> dict[str, Any]:
    """Micro-averaged scores of ``predict`` on gold ``dialogues`` (as the CoNLL scorer computes them)."""
    corpus = CorpusScores()
    for d in dialogues:
        corpus.add([list(c.spans) for c in d.clusters], [list(c) for c in predict(d)])
    out: dict[str, Any] = {k: corpus.as_dict()[k] for k in ("muc", "bcub", "ceafe", "mentions")}
    out["conll"] = {"f1": corpus.conll_f1}
    out["documents"] = corpus.documents
    return out


def baseline_predictor(gazetteer: frozenset[str], titles: Mapping[str, str]) -> Predictor:
    """The names + pronouns + exact-string-match baseline the issue compares against."""
    from ls_backend.pipeline.text.features import HASHTAG, PRONOUN_CLASS

    def predict(d: Dialogue) -> list[list[tuple[int, int]]]:
        names = set(HASHTAG.findall(titles.get(d.doc_key, ""))) | gazetteer
        text = "".join(t.text for t in d.turns)
        found: dict[str, list[tuple[int, int]]] = {}
        taken = [False] * len(text)
        for word in sorted(set(PRONOUN_CLASS) | {n for n in names if n in text}, key=len, reverse=True):
            start = text.find(word)
            while start >= 0:
                end = start + len(word) - 1
                if not any(taken[start : end + 1]):
                    found.setdefault(word, []).append((start, end))
                    for k in range(start, end + 1):
                        taken[k] = True
                start = text.find(word, start + 1)
        return [sorted(v) for v in found.values()]

    return predict
