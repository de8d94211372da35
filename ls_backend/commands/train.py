"""``ls-backend train``: train a text coreference model -- the embedded one (and write the base of retraining in the
loop), or with ``--kind neural --encoder DIR`` the full Maverick-style model over a pretrained encoder."""
from __future__ import annotations

import argparse
import logging
from typing import Any

from exports import kinds
from ls_backend.commands import for_kind
from ls_backend.commands.common import data_options

log = logging.getLogger("ls_backend")


def add_parser(sub: Any) -> None:
    t = sub.add_parser("train", help="train a text coreference model (embedded, or --kind neural over an encoder)")
    data_options(t, "train")
    t.add_argument("--gazetteer", nargs="*", default=[], help="name lists: CMNER files (PER entities) or one name per line")
    t.add_argument("--out", required=True, help="output directory (writes text_model.json; --task ner: model.crfsuite, info.json)")
    kinds.add_task_option(t)
    t.add_argument("--kind", choices=("embedded", "crf", "neural"), default="embedded",
                   help="the embedded model (default; for --task ner the CRF, also called crf) or a transformers model over --encoder")
    t.add_argument("--encoder", help="--kind neural: an encoder directory saved with save_pretrained (BERT, RoBERTa-wwm, MacBERT, DeBERTa ...)")
    t.add_argument("--epochs", type=int, help="--kind neural: epochs (default: 10 for coreference, 3 for NER)")
    t.add_argument("--device", default="auto", help="--kind neural: auto | cpu | cuda (default: auto)")
    t.add_argument("--lr", type=float, default=2e-5, help="--kind neural coreference: the encoder's learning rate (default: 2e-5)")
    t.add_argument("--head-lr", type=float, default=3e-4, help="--kind neural coreference: the heads' learning rate (default: 3e-4)")
    t.add_argument("--accumulate", type=int, default=4, help="--kind neural coreference: dialogues per optimizer step (default: 4)")
    t.add_argument("--optimizer", choices=("adamw", "adafactor"), default="adamw", help="--kind neural coreference (default: adamw)")


def run(args: argparse.Namespace) -> int:
    return for_kind(args.task).train(args)
