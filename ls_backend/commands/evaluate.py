"""``ls-backend evaluate``: CoNLL F1 (MUC, B3, CEAF-e) and mention P/R/F1 of the text model on annotated
dialogues, or K-fold cross-validation of training."""
from __future__ import annotations

import argparse
import json
from typing import Any

from exports.io import InputError
from ls_backend.commands.common import data_options, load_model


def add_parser(sub: Any) -> None:
    ev = sub.add_parser("evaluate", help="score the text model against annotated dialogues")
    data_options(ev, "val")
    ev.add_argument("--model", help="text model file or directory (default: the shipped model)")
    ev.add_argument("--baseline", nargs="*", metavar="GAZETTEER", help="also score the names + pronouns + exact-match baseline")
    ev.add_argument("--folds", type=int, help="K-fold cross-validation: train K models on the dialogues (as `train` does) and "
                    "score each on its held-out fold, instead of scoring --model")
    ev.add_argument("--seed", type=int, default=0, help="shuffling seed of --folds (default: 0)")
    ev.add_argument("--gazetteer", nargs="*", default=[], help="with --folds: name lists / CMNER files, as for `train`")
    ev.add_argument("--json", dest="json_out", help="write the scores as JSON")
    ev.add_argument("--task", choices=("coref", "ner"), default="coref", help="coreference dialogues (default), or post NER on BIO files")
    ev.add_argument("--compare", metavar="MODEL", help="also score MODEL and test each figure's difference (paired approximate "
                    "randomization over dialogues; as `agreement compare`); 'baseline' names the --baseline predictor")
    ev.add_argument("--shuffles", type=int, default=10_000, help="approximate-randomization shuffles of --compare (default: 10,000)")


def run(args: argparse.Namespace) -> int:
    if args.task == "ner":
        from ls_backend.commands import ner

        return ner.evaluate(args)
    from exports.io import atomic_writer, read_titles
    from ls_backend.pipeline.text.data import read_dialogues, read_gazetteer
    from ls_backend.pipeline.text.evaluate import baseline_predictor, cross_validate, evaluate, model_predictor
    from ls_backend.pipeline.text.names import names_from

    titles = read_titles(args.titles)
    dialogues, report = read_dialogues(args.data, args.split, args.only if args.split else None)
    if not dialogues:
        raise InputError(f"{args.data}: no dialogue to evaluate on")
    if args.compare is not None and args.shuffles < 1:
        raise InputError(f"--shuffles: expected at least 1, got {args.shuffles}")
    if args.compare == "baseline" and args.baseline is None:
        raise InputError("--compare baseline needs --baseline [GAZETTEER ...]")
    scores: dict = {"data": str(args.data), "split": args.only if args.split else None}
    responses: dict[str, list] = {"text_model": [], "baseline": [], "compared": []}
    if args.folds is not None:
        try:
            scores["text_model"] = cross_validate(dialogues, titles, read_gazetteer(args.gazetteer), folds=args.folds, seed=args.seed,
                                                  names=names_from(args.gazetteer), responses=responses["text_model"])
        except ValueError as exc:
            raise InputError(str(exc)) from exc
        scores["model"] = f"{args.folds}-fold cross-validation (seed {args.seed})"
    else:
        model = load_model(args.model)
        scores["model"] = model.version
        scores["text_model"] = evaluate(model_predictor(model, titles), dialogues, responses["text_model"])
    if args.baseline is not None:
        scores["baseline"] = evaluate(baseline_predictor(frozenset(read_gazetteer(args.baseline)), titles), dialogues, responses["baseline"])
    if args.compare is not None and args.compare != "baseline":
        other = load_model(args.compare)
        scores["compared"] = {"model": other.version, **evaluate(model_predictor(other, titles), dialogues, responses["compared"])}
    for name in ("text_model", "baseline", "compared"):
        if name in scores:
            _print_scores(name, scores[name])
    if args.compare is not None:
        scores["comparison"] = _compare(dialogues, responses["text_model"], responses["baseline" if args.compare == "baseline" else "compared"],
                                        args.shuffles, args.seed, (scores["model"], args.compare))
    if args.json_out:
        with atomic_writer(args.json_out) as fh:
            json.dump(scores, fh, indent=1)
    return 1 if report.problems else 0


def _print_scores(name: str, s: dict) -> None:
    from agreement.significance import interval_text

    ci = s["intervals_95"]
    m = s["mentions"]
    print(f"{name} ({s['documents']} dialogues; F1 [bootstrap 95 % interval]):")
    print("  " + "  ".join(f"{label} {100 * s[key]['f1']:.2f} {interval_text(*ci[key])}" for key, label in
                           (("conll", "CoNLL"), ("muc", "MUC"), ("bcub", "B3"), ("ceafe", "CEAF-e"))))
    print(f"  mentions P {100 * m['precision']:.1f} R {100 * m['recall']:.1f} F1 {100 * m['f1']:.2f} {interval_text(*ci['mentions'])}")


def _compare(dialogues, a: list, b: list, shuffles: int, seed: int, names: tuple[str, str]) -> dict:
    """The text model (A) against the compared model or the baseline (B): figure by figure, p-values."""
    from agreement.compare import compare, print_comparison, with_clusters

    result = compare(dialogues, [with_clusters(d, r) for d, r in zip(dialogues, a)], [with_clusters(d, r) for d, r in zip(dialogues, b)],
                     shuffles=shuffles, seed=seed)
    print()
    print_comparison(result, names)
    return result
