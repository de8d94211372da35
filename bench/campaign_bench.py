"""Issue #23's targets in one run: simulated annotation campaigns, frozen vs learning (``ls-backend simulate``).

    python bench/campaign_bench.py [--quick] [--out out/campaign_bench]

Campaigns of 100 documents in batches of 25 (``--quick``: 40 in batches of 10, for a look):

- dialogues, val, file order and most-uncertain-first;
- dialogues, 5 folds of train (each fold proposed by a model trained on the other four);
- posts, CMNER dev, file order.

For each it prints the share of gestures the frozen and the learning model save, the learning-minus-frozen
difference over all documents and in the last batch with their paired approximate-randomization p-values, and
whether the targets hold (frozen >= 40 % of text gestures, >= 50 % of entity gestures; learning >= frozen + 5
points with p < 0.05). The JSON summaries, CSVs and PNGs go to ``--out``. Minutes, not seconds: every
learning campaign retrains between batches.
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
TIKTALK = REPO.parent / "shared" / "data" / "tiktalkcoref"
CMNER = REPO.parent / "shared" / "data" / "cmner"


def campaigns(quick: bool) -> dict[str, list[str]]:
    size = ["--limit", "40", "--batch", "10"] if quick else ["--limit", "100", "--batch", "25"]
    coref = ["--data", str(TIKTALK / "all_textual_and_visual_annotations.jsonl"), "--split", str(TIKTALK / "split.jsonl"),
             "--titles", str(TIKTALK / "video_titles.jsonl"), *size]
    return {
        "val, file order": [*coref, "--only", "val"],
        "val, uncertain first": [*coref, "--only", "val", "--order", "uncertain"],
        "train, 5 folds": [*coref, "--only", "train", "--folds", "5"],
        "CMNER dev posts": ["--task", "ner", "--data", str(CMNER / "dev.txt"), *size],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--out", default="out/campaign_bench")
    ap.add_argument("--only", help="run only the campaigns whose name contains this")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    from ls_backend.cli import main as ls_main

    out = Path(args.out)
    rows = []
    for name, argv in campaigns(args.quick).items():
        if args.only and args.only not in name:
            continue
        stem = out / name.replace(",", "").replace(" ", "-")
        code = ls_main(["simulate", *argv, "--json", f"{stem}.json", "--csv", f"{stem}.csv", "--png", f"{stem}.png"])
        if code != 0:
            raise SystemExit(f"{name}: ls-backend simulate exited {code}")
        rows.append((name, json.loads(Path(f"{stem}.json").read_text(encoding="utf-8"))))

    print(f"\n{'campaign':22s} {'frozen':>7s} {'learning':>9s} {'diff':>6s} {'p':>7s} {'last batch':>11s} {'p':>7s}   targets")
    for name, s in rows:
        a, t = s["all"], s["last_full_batch"]["learning_vs_frozen"]
        f, le, d = a["frozen"]["saved"], a["learning"]["saved"], a["learning_vs_frozen"]
        floor = 0.5 if s["part"] == "entities" else 0.4
        met = [f"frozen >= {100 * floor:.0f} %: {'yes' if f >= floor else 'no'}",
               f"learning +5 p<0.05 (all): {'yes' if d['difference'] >= 0.05 and d['p_value'] < 0.05 else 'no'}",
               f"(last batch): {'yes' if t['difference'] >= 0.05 and t['p_value'] < 0.05 else 'no'}"]
        print(f"{name:22s} {100 * f:6.1f}% {100 * le:8.1f}% {100 * d['difference']:+6.1f} {d['p_value']:7.4f} "
              f"{100 * t['difference']:+10.1f} {t['p_value']:7.4f}   {'; '.join(met)}")


if __name__ == "__main__":
    main()
