"""Score predicted clusters against gold: MUC, B3, CEAF-e, CoNLL F1 and mention P/R/F."""
from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from agreement.metrics import CorpusScores
from exports.dialogue import Dialogue

if TYPE_CHECKING:
    from ls_backend.pipeline.text.linear import LinearModel
    from ls_backend.pipeline.text.model import TextModel

Predictor = Callable[[Dialogue], Sequence[Sequence[tuple[int, int]]]]


def evaluate(predict: Predictor, dialogues: Sequence[Dialogue], responses: list | None = None) -> dict[str, Any]:
    """Micro-averaged scores of ``predict`` on gold ``dialogues`` (as the CoNLL scorer computes them), each F1
    with its bootstrap 95 % interval over dialogues (``intervals_95``).

    Args:
        responses: when given, each dialogue's predicted clusters are appended to it (to compare systems).
    """
    from agreement.significance import bootstrap_interval, coref_components, coref_statistics

    corpus = CorpusScores()
    pairs = []
    for d in dialogues:
        key, response = [list(c.spans) for c in d.clusters], [list(c) for c in predict(d)]
        corpus.add(key, response)
        pairs.append((key, response))
        if responses is not None:
            responses.append(response)
    out: dict[str, Any] = {k: corpus.as_dict()[k] for k in ("muc", "bcub", "ceafe", "mentions")}
    out["conll"] = {"f1": corpus.conll_f1}
    out["documents"] = corpus.documents
    components, stats = coref_components(pairs), coref_statistics()
    out["intervals_95"] = {k: list(bootstrap_interval(components, stats[k])) for k in ("conll", "muc", "bcub", "ceafe", "mentions")}
    return out


def model_predictor(model: TextModel, titles: Mapping[str, str]) -> Predictor:
    """The text model's clusters for a dialogue, with its video title."""
    return lambda d: model.predict([t.text for t in d.turns], titles.get(d.doc_key))[1].clusters


def cross_validate(
    dialogues: Sequence[Dialogue],
    titles: Mapping[str, str],
    gazetteer: Iterable[str] = (),
    *,
    folds: int = 5,
    seed: int = 0,
    names: LinearModel | None = None,
    progress: bool = True,
    responses: list | None = None,
) -> dict[str, Any]:
    """K-fold cross-validation of the text model on annotated ``dialogues``.

    The dialogues are shuffled with ``seed`` and dealt into ``folds`` folds; each fold is
    predicted by a model trained on the others (same settings as ``ls-backend train``), and
    the scores are micro-averaged over all dialogues. This is the figure to trust when there is
    no separate held-out split, e.g. for a project's own annotations.

    Raises:
        ValueError: fewer than 2 folds, or fewer dialogues than folds.
    """
    from tqdm import tqdm

    from ls_backend.pipeline.text.model import train

    if folds < 2:
        raise ValueError(f"--folds must be at least 2, got {folds}")
    if len(dialogues) < folds:
        raise ValueError(f"{len(dialogues)} dialogues cannot be split into {folds} folds")
    order = sorted(dialogues, key=lambda d: d.doc_key)
    random.Random(seed).shuffle(order)
    dealt = [order[k::folds] for k in range(folds)]
    gazetteer = list(gazetteer)
    models = []
    for k in tqdm(range(folds), desc="cross-validation", unit="fold", disable=not progress):
        rest = [d for j, part in enumerate(dealt) if j != k for d in part]
        models.append(model_predictor(train(rest, titles, gazetteer, names=names, version=f"fold-{k + 1}"), titles))
    fold_of = {id(d): k for k, part in enumerate(dealt) for d in part}
    out = evaluate(lambda d: models[fold_of[id(d)]](d), dialogues, responses)  # in the caller's order (micro-averages do not care)
    out["folds"] = folds
    out["seed"] = seed
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
