"""``ls-backend evaluate-align``: R@1/2/3 of text-to-person alignment on the synthetic set (faces planted at the
annotated boxes), the gallery taught from another split."""
from __future__ import annotations

import argparse
from typing import Any

from exports.io import InputError
from ls_backend.commands.common import clip_option, data_options, synthetic_examples, titled
from ls_backend.commands.errors import ConfigError


def add_parser(sub: Any) -> None:
    ea = sub.add_parser("evaluate-align", help="R@1/2/3 of text-to-person alignment on the synthetic set (faces planted at the boxes)")
    data_options(ea, "val")
    ea.add_argument("--gallery-split", default="train", help="split whose named persons teach the gallery (default: train)")
    ea.add_argument("--scorer", help="alignment scorer (default: the shipped one)")
    ea.add_argument("--clip-checkpoint", help="CN-CLIP checkpoint to use")
    ea.add_argument("--clip-model", help="'<vision>@<text>' of a release checkpoint")
    ea.add_argument("--signals", default="names,clip,priors", help="comma-separated signals to use (default: names,clip,priors)")
    ea.add_argument("--retrain", action="store_true", help="train the scorer on the gallery split with the same signals first (ablations)")
    ea.add_argument("--gazetteer", nargs="*", default=[], help="name lists (CMNER files or one name per line)")
    ea.add_argument("--limit", type=int, help="use the first N dialogues of each split only")
    ea.add_argument("--json", dest="json_out", help="write the figures as JSON")


def run(args: argparse.Namespace) -> int:
    import json

    from exports.io import atomic_writer, read_titles
    from ls_backend.pipeline.align import synthetic
    from ls_backend.pipeline.align.aligner import Aligner
    from ls_backend.pipeline.align.evaluate import recall_at_k
    from ls_backend.pipeline.align.gallery import Gallery
    from ls_backend.pipeline.align.scorer import AlignScorer, SHIPPED
    from ls_backend.pipeline.align.train import train_scorer
    from ls_backend.pipeline.text.data import read_dialogues, read_gazetteer

    signals = tuple(s.strip() for s in args.signals.split(",") if s.strip())
    clip = clip_option(args) if "clip" in signals else None
    titles = read_titles(args.titles)
    if not args.split:
        raise InputError("evaluate-align needs --split (the gallery is taught from one split and queried on another)")
    all_dialogues, report = read_dialogues(args.data)
    evald = titled(read_dialogues(args.data, args.split, args.only)[0], titles)[: args.limit]
    teachd = titled(read_dialogues(args.data, args.split, args.gallery_split)[0], titles)[: args.limit]
    teach = synthetic_examples(teachd, all_dialogues, f"{args.gallery_split}: plant faces")
    examples = synthetic_examples(evald, all_dialogues, f"{args.only}: plant faces")
    gallery = synthetic.teach(Gallery(), teach) if "names" in signals else None
    gazetteer = frozenset(read_gazetteer(args.gazetteer))
    try:
        scorer = train_scorer(teach, gallery, clip, gazetteer, signals) if args.retrain else AlignScorer.load(args.scorer or SHIPPED)
        aligner = Aligner(scorer, gallery, clip, signals)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    scores = recall_at_k(aligner, examples, gazetteer)
    scores.update(signals=list(signals), gallery_faces=len(gallery) if gallery else 0, gallery_names=len(gallery.known()) if gallery else 0)
    for kind in ("all", "name", "noun", "pronoun"):
        s = scores[kind]
        fmt = lambda v: "  -  " if v is None else f"{100 * v:5.1f}"
        print(f"{kind:8s} R@1 {fmt(s['R@1'])}  R@2 {fmt(s['R@2'])}  R@3 {fmt(s['R@3'])}  ({s['clusters']} clusters)")
    print(f"assignment (a cluster gets exactly its persons, or none) {100 * scores['assignment_accuracy']:.1f} %; "
          f"{scores['dialogues']} dialogues; gallery {scores['gallery_faces']} faces of {scores['gallery_names']} celebrities; signals {', '.join(signals)}")
    if args.json_out:
        with atomic_writer(args.json_out) as fh:
            json.dump(scores, fh, indent=1, ensure_ascii=False)
    return 1 if report.problems else 0
