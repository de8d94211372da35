"""``ls-backend evaluate``: CoNLL F1 (MUC, B3, CEAF-e) and mention P/R/F1 of the text model on annotated
dialogues, or K-fold cross-validation of training."""
from __future__ import annotations

import argparse
from typing import Any

from exports import kinds
from ls_backend.commands import for_kind
from ls_backend.commands.common import data_options


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
    kinds.add_task_option(ev)
    ev.add_argument("--compare", metavar="MODEL", help="also score MODEL and test each figure's difference (paired approximate "
                    "randomization over dialogues; as `agreement compare`); 'baseline' names the --baseline predictor")
    ev.add_argument("--shuffles", type=int, default=10_000, help="approximate-randomization shuffles of --compare (default: 10,000)")


def run(args: argparse.Namespace) -> int:
    return for_kind(args.task).evaluate(args)
