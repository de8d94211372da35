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
    scores: dict = {"data": str(args.data), "split": args.only if args.split else None}
    if args.folds is not None:
        try:
            scores["text_model"] = cross_validate(dialogues, titles, read_gazetteer(args.gazetteer), folds=args.folds, seed=args.seed,
                                                  names=names_from(args.gazetteer))
        except ValueError as exc:
            raise InputError(str(exc)) from exc
        scores["model"] = f"{args.folds}-fold cross-validation (seed {args.seed})"
    else:
        model = load_model(args.model)
        scores["model"] = model.version
        scores["text_model"] = evaluate(model_predictor(model, titles), dialogues)
    if args.baseline is not None:
        scores["baseline"] = evaluate(baseline_predictor(frozenset(read_gazetteer(args.baseline)), titles), dialogues)
    for name in ("text_model", "baseline"):
        if name in scores:
            s = scores[name]
            print(f"{name:10s} CoNLL F1 {100 * s['conll']['f1']:6.2f} | MUC {100 * s['muc']['f1']:6.2f}  B3 {100 * s['bcub']['f1']:6.2f}  "
                  f"CEAF-e {100 * s['ceafe']['f1']:6.2f} | mentions P {100 * s['mentions']['precision']:5.1f} R {100 * s['mentions']['recall']:5.1f} "
                  f"F1 {100 * s['mentions']['f1']:6.2f}  ({s['documents']} dialogues)")
    if args.json_out:
        with atomic_writer(args.json_out) as fh:
            json.dump(scores, fh, indent=1)
    return 1 if report.problems else 0
