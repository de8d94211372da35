"""``ls-backend train``: train the embedded text coreference model (and write the base of retraining in the loop)."""
from __future__ import annotations

import argparse
import logging
from typing import Any

from exports.io import InputError
from ls_backend.commands.common import data_options

log = logging.getLogger("ls_backend")


def add_parser(sub: Any) -> None:
    t = sub.add_parser("train", help="train the embedded text coreference model")
    data_options(t, "train")
    t.add_argument("--gazetteer", nargs="*", default=[], help="name lists: CMNER files (PER entities) or one name per line")
    t.add_argument("--out", required=True, help="output directory (writes text_model.json; --task ner: model.crfsuite, info.json)")
    t.add_argument("--task", choices=("coref", "ner"), default="coref", help="coreference dialogues (default), or post NER on BIO files")
    t.add_argument("--kind", choices=("crf", "neural"), default="crf", help="--task ner: the embedded CRF (default) or a transformers model")
    t.add_argument("--encoder", help="--kind neural: an encoder directory saved with save_pretrained (BERT, RoBERTa-wwm, MacBERT ...)")
    t.add_argument("--epochs", type=int, default=3, help="--kind neural: epochs (default: 3)")
    t.add_argument("--device", default="auto", help="--kind neural: auto | cpu | cuda (default: auto)")


def run(args: argparse.Namespace) -> int:
    if args.task == "ner":
        from ls_backend.commands import ner

        return ner.train(args)
    from exports.io import read_titles
    from ls_backend.pipeline.text.data import read_dialogues, read_gazetteer, write_training_data
    from ls_backend.pipeline.text.model import train
    from ls_backend.pipeline.text.names import names_from

    dialogues, report = read_dialogues(args.data, args.split, args.only if args.split else None)
    if not dialogues:
        raise InputError(f"{args.data}: no dialogue to train on")
    titles = read_titles(args.titles)
    model = train(dialogues, titles, read_gazetteer(args.gazetteer), names=names_from(args.gazetteer))
    path = model.save(args.out)
    n = write_training_data(path.parent / "training_data.jsonl.gz", dialogues, titles)
    log.info("wrote %s (%d dialogues: the base of retraining in the loop)", path.parent / "training_data.jsonl.gz", n)
    log.info("wrote %s (%d mention features, %d pair features, %d names)", path, len(model.mention.weights), len(model.pair.weights), len(model.gazetteer))
    print(path)
    return 1 if report.problems else 0
