"""``ls-backend train-align``: train text-to-person alignment (the pair scorer, and CN-CLIP's projections) on
annotated dialogues with their videos, or with scikit-image faces planted at the annotated boxes."""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from exports.io import InputError
from ls_backend.commands.common import clip_option, data_options, synthetic_examples, titled


def add_parser(sub: Any) -> None:
    ta = sub.add_parser("train-align", help="train text-to-person alignment: the pair scorer, and CN-CLIP's projections")
    data_options(ta, "train")
    src = ta.add_mutually_exclusive_group(required=True)
    src.add_argument("--frames", help="directory with the annotated dialogues' videos (<doc_key>.mp4)")
    src.add_argument("--synthetic", action="store_true", help="plant scikit-image faces at the annotated boxes (what the shipped scorer uses)")
    ta.add_argument("--out", required=True, help="output directory (align_scorer.json, align_pairs.jsonl.gz, clip/)")
    ta.add_argument("--clip-checkpoint", help="CN-CLIP checkpoint (directory, or release file with --clip-model) to fine-tune")
    ta.add_argument("--clip-model", help="'<vision>@<text>' of a release checkpoint, e.g. ViT-B-16@RoBERTa-wwm-ext-base-chinese")
    ta.add_argument("--epochs", type=int, default=3, help="CLIP fine-tuning epochs (default: 3)")
    ta.add_argument("--gazetteer", nargs="*", default=[], help="name lists (CMNER files or one name per line)")
    ta.add_argument("--limit", type=int, help="use the first N dialogues only")


def run(args: argparse.Namespace) -> int:
    import gzip
    import json

    from exports.io import read_titles
    from ls_backend.pipeline.align import synthetic
    from ls_backend.pipeline.align.gallery import Gallery
    from ls_backend.pipeline.align.train import finetune_clip, pair_samples
    from ls_backend.pipeline.align.scorer import fit
    from ls_backend.pipeline.align.clusters import text_clusters
    from ls_backend.pipeline.text.data import read_dialogues, read_gazetteer

    clip = clip_option(args)
    titles = read_titles(args.titles)
    dialogues, report = read_dialogues(args.data, args.split, args.only if args.split else None)
    all_dialogues, _ = read_dialogues(args.data)
    dialogues = titled(dialogues, titles)[: args.limit]
    if args.synthetic:
        examples = synthetic_examples(dialogues, all_dialogues, "plant faces")
    else:
        from ls_backend.pipeline.video.faces import DlibFaces

        if not Path(args.frames).is_dir():
            raise InputError(f"--frames {args.frames}: no such directory")
        examples = synthetic.from_videos(dialogues, args.frames, DlibFaces())
    if not examples:
        raise InputError(f"{args.data}: no dialogue with boxes (and a video) to train alignment on")
    gallery = synthetic.teach(Gallery(), examples)
    gazetteer = frozenset(read_gazetteer(args.gazetteer))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if clip is not None:
        pairs = []
        for ex in examples:
            for c in text_clusters(ex.dialogue, gazetteer):
                for number in ex.gold.get(c.index, ()):
                    person = next(p for p in ex.persons if p.number == number)
                    pairs.append((c.text, person.crop_image, ex.dialogue.doc_key))
        losses = finetune_clip(clip, pairs, epochs=args.epochs)
        clip.save(out / "clip")
        print(f"CLIP projections fine-tuned on {len(pairs)} pairs: NT-Xent {losses[0]:.4f} -> {losses[-1]:.4f}; saved to {out / 'clip'}")
    samples, labels = pair_samples(examples, gallery, clip, gazetteer)
    scorer = fit(samples, labels, info={"dialogues": len(examples), "source": "synthetic" if args.synthetic else str(args.frames)})
    scorer.save(out / "align_scorer.json")
    with gzip.open(out / "align_pairs.jsonl.gz", "wt", encoding="utf-8") as fh:  # the base of retraining in the loop
        for f, y in zip(samples, labels):
            fh.write(json.dumps({"f": {k: round(v, 5) for k, v in f.items()}, "y": y}, ensure_ascii=False) + "\n")
    print(f"alignment scorer: {len(labels)} pairs ({sum(labels)} linked) from {len(examples)} dialogues -> {out / 'align_scorer.json'}")
    return 1 if report.problems else 0
