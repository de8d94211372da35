"""``ls-backend train``: train a text coreference model -- the embedded one (and write the base of retraining in the
loop), or with ``--kind neural --encoder DIR`` the full Maverick-style model over a pretrained encoder."""
from __future__ import annotations

import argparse
import logging
from typing import Any

from exports.io import InputError
from ls_backend.commands.common import data_options

log = logging.getLogger("ls_backend")


def add_parser(sub: Any) -> None:
    t = sub.add_parser("train", help="train a text coreference model (embedded, or --kind neural over an encoder)")
    data_options(t, "train")
    t.add_argument("--gazetteer", nargs="*", default=[], help="name lists: CMNER files (PER entities) or one name per line")
    t.add_argument("--out", required=True, help="output directory (writes text_model.json; --task ner: model.crfsuite, info.json)")
    t.add_argument("--task", choices=("coref", "ner"), default="coref", help="coreference dialogues (default), or post NER on BIO files")
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
    if args.kind == "neural":
        return _train_neural(args, dialogues, report)
    if args.kind != "embedded":
        raise InputError(f"train --kind {args.kind} is a post NER model (--task ner)")
    titles = read_titles(args.titles)
    model = train(dialogues, titles, read_gazetteer(args.gazetteer), names=names_from(args.gazetteer))
    path = model.save(args.out)
    n = write_training_data(path.parent / "training_data.jsonl.gz", dialogues, titles)
    log.info("wrote %s (%d dialogues: the base of retraining in the loop)", path.parent / "training_data.jsonl.gz", n)
    log.info("wrote %s (%d mention features, %d pair features, %d names)", path, len(model.mention.weights), len(model.pair.weights), len(model.gazetteer))
    print(path)
    return 1 if report.problems else 0


def _train_neural(args: argparse.Namespace, dialogues, report) -> int:
    from ls_backend.commands.errors import ConfigError
    from ls_backend.pipeline.text.neural import train_neural

    if not args.encoder:
        raise InputError("train --kind neural needs --encoder DIR (a model saved with save_pretrained)")
    try:
        model = train_neural(dialogues, encoder=args.encoder, out=args.out, epochs=args.epochs or 10, lr=args.lr, head_lr=args.head_lr,
                             accumulate=args.accumulate, optimizer=args.optimizer, device=args.device)
    except (ValueError, OSError) as exc:
        raise ConfigError(f"--encoder: {exc}") from None
    log.info("wrote %s (neural text model %s)", args.out, model.version)
    print(args.out)
    return 1 if report.problems else 0
