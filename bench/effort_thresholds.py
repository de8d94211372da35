"""Mention and link thresholds of the embedded text model chosen for annotator *effort*, not F1 (issue #23).

The frozen model's proposals cost the gestures of :mod:`agreement.effort` (what ``ls-backend simulate`` counts
for the frozen campaign). Thresholds are chosen by K-fold cross-validation on the **train** split only: each fold
is proposed by a model trained on the other folds (as ``simulate --folds`` and ``evaluate --folds`` do), and the
grid point that saves the most text gestures over all held-out folds wins. The choice is then checked on **val**
with the shipped model: the shipped thresholds against the chosen ones, paired approximate randomization over
dialogues (10,000 shuffles), with bootstrap 95 % intervals; CoNLL F1 is printed beside it.

    python bench/effort_thresholds.py [--folds 5] [--seed 0] [--json out/effort_thresholds.json]
"""
from __future__ import annotations

import argparse
import itertools
import json
import logging
import random
import sys
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
DATA = REPO.parent / "shared" / "data" / "tiktalkcoref"

MENTION = (0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65)
LINK = (0.5, 0.6, 0.7)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--shuffles", type=int, default=10_000)
    ap.add_argument("--json", dest="json_out")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    from tqdm import tqdm

    from agreement.compare import compare, print_comparison, with_clusters
    from agreement.effort import dialogue_effort, total
    from exports.io import read_titles
    from ls_backend.pipeline.text.data import read_dialogues
    from ls_backend.pipeline.text.evaluate import model_predictor
    from ls_backend.pipeline.text.model import TextModel, train

    titles = read_titles(DATA / "video_titles.jsonl")
    release, split = DATA / "all_textual_and_visual_annotations.jsonl", DATA / "split.jsonl"
    train_docs = read_dialogues(release, split, "train")[0]
    val_docs = read_dialogues(release, split, "val")[0]
    shipped = TextModel.load()

    order = sorted(train_docs, key=lambda d: d.doc_key)
    random.Random(args.seed).shuffle(order)
    dealt = [order[k :: args.folds] for k in range(args.folds)]
    models = []
    for k in tqdm(range(args.folds), desc="fold models", unit="fold"):
        rest = [d for j, part in enumerate(dealt) if j != k for d in part]
        models.append(train(rest, titles, shipped.gazetteer, names=shipped.names, version=f"fold-{k + 1}"))

    def proposals(model, docs):
        predict = model_predictor(model, titles)
        return [with_clusters(d, predict(d)) for d in docs]

    grid = {}
    for m, link in tqdm(list(itertools.product(MENTION, LINK)), desc="thresholds", unit="point"):
        efforts = []
        for model, part in zip(models, dealt):
            tuned = replace(model, mention_threshold=m, link_threshold=link)
            efforts += [dialogue_effort(p, g) for p, g in zip(proposals(tuned, part), part)]
        grid[(m, link)] = total(efforts).saved("text")
    default = (shipped.mention_threshold, shipped.link_threshold)
    best = max(grid, key=lambda k: (grid[k], -abs(k[0] - default[0])))
    print(f"text gestures saved, {args.folds}-fold cross-validation on train ({len(train_docs)} dialogues), mention x link threshold:")
    print("mention " + " ".join(f"link {x:4.2f}" for x in LINK))
    for m in MENTION:
        print(f"  {m:4.2f}  " + " ".join(f"{100 * grid[(m, x)]:8.2f}{'*' if (m, x) == best else ' '}" for x in LINK))
    print(f"chosen on train folds: mention {best[0]}, link {best[1]} ({100 * grid[best]:.2f} % saved; shipped "
          f"{default}: {100 * grid.get(default, float('nan')):.2f} %)\n")

    chosen = replace(shipped, mention_threshold=best[0], link_threshold=best[1])
    result = compare(val_docs, proposals(shipped, val_docs), proposals(chosen, val_docs), shuffles=args.shuffles, seed=args.seed)
    print(f"val ({len(val_docs)} dialogues), shipped model: A = shipped thresholds {default}, B = chosen {best}")
    print_comparison(result, (f"shipped {default[0]}/{default[1]}", f"chosen {best[0]}/{best[1]}"))
    if args.json_out:
        Path(args.json_out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json_out).write_text(json.dumps({"grid": [{"mention": m, "link": x, "saved": v} for (m, x), v in grid.items()],
                                                   "chosen": best, "shipped": default, "val": result}, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
