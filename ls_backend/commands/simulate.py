"""``ls-backend simulate``: replay a gold file as an annotation campaign and count the gestures the model saves.

    ls-backend simulate --data RELEASE.jsonl [--split split.jsonl --only val] [--titles video_titles.jsonl]
                        [--order file|random|uncertain] [--batch 25] [--limit 100] [--seed 0]
                        [--no-learning] [--no-retrain] [--interactive] [--folds K] [--csv OUT.csv] [--png OUT.png] [--json OUT.json]
    ls-backend simulate --task ner --data POSTS.txt ...                 (posts: entity gestures)

Two campaigns over the same documents: the frozen model, and the model learning as the live backend does
(project memory at the next /predict, a training run after each batch). With ``--folds K`` the file is dealt
into K folds; each fold is a campaign whose model was first trained on the other folds (the trainer's base
data is the other folds too). Figures come with bootstrap 95 % intervals; learning vs frozen with a paired
approximate-randomization p-value (10,000 shuffles over documents).

With ``--interactive`` the second campaign is the frozen model with Auto-Annotation on: the annotator marks each
missing mention (entity) and ``/predict`` with the marked regions as context proposes the rest of it, accepted into
the editor as Label Studio does; every mark costs what adding the mention costs, the proposals that are wrong cost
their deletion. It measures what interactive assistance saves against the same frozen model's proposals alone.
"""
from __future__ import annotations

import argparse
import csv
import json
import logging
import random
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

from exports import kinds
from exports.io import InputError, atomic_writer
from ls_backend.commands import for_kind

log = logging.getLogger("ls_backend")

def add_parser(sub: Any) -> None:
    from ls_backend.simulate import ORDERS

    s = sub.add_parser("simulate", help="replay a gold file as a campaign: gestures from scratch, with the frozen and the learning model")
    s.add_argument("--data", required=True, help="release JSONL (--task ner: a BIO file) with the gold annotations")
    kinds.add_task_option(s)
    s.add_argument("--titles", help="video_titles.jsonl (dialogues)")
    s.add_argument("--split", help="split.jsonl, to use one split only (with --only)")
    s.add_argument("--only", default="val", help="the split to use when --split is given (default: val)")
    s.add_argument("--order", default="file", help=f"the order documents are annotated in: {', '.join(ORDERS)} (default: file)")
    s.add_argument("--batch", type=int, default=25, help="documents per batch; the model retrains between batches (default: 25)")
    s.add_argument("--limit", type=int, default=100, help="documents per campaign (per fold with --folds; default: 100, 0: all)")
    s.add_argument("--seed", type=int, default=0, help="seed of --order random and of --folds (default: 0)")
    s.add_argument("--no-learning", action="store_true", help="the frozen campaign only")
    s.add_argument("--no-retrain", action="store_true", help="learning by the project memory only, no training run between batches")
    s.add_argument("--interactive", action="store_true", help="the second campaign is the frozen model with Auto-Annotation "
                   "(each missing mention marked asks /predict for the rest of its chain) instead of the learning model")
    s.add_argument("--folds", type=int, help="K-fold campaigns on a training file: each fold annotated with a model trained on the others")
    s.add_argument("--shuffles", type=int, default=10_000, help="approximate-randomization shuffles (default: 10,000)")
    s.add_argument("--csv", dest="csv_out", help="write one row per document (campaign, batch, key, gestures)")
    s.add_argument("--png", dest="png_out", help="draw the curve: gestures per document over the campaign, frozen vs learning")
    s.add_argument("--json", dest="json_out", help="write the summary as JSON")
    s.add_argument("--config", help="the backend's JSON configuration file (memory, annotation weight ...)")


def run(args: argparse.Namespace) -> int:
    from ls_backend.commands.common import load_config
    from agreement.kinds import agreement_kind
    from ls_backend.simulate import CampaignSettings

    try:
        settings = CampaignSettings(order=args.order, batch=args.batch, seed=args.seed, retrain=not args.no_retrain)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    if args.limit is not None and args.limit < 0:
        raise InputError(f"--limit: expected 0 (all) or more documents, got {args.limit}")
    if args.folds is not None and args.folds < 2:
        raise InputError(f"--folds: expected at least 2 folds, got {args.folds}")
    config = load_config(args)
    docs = _documents(args)
    kind = kinds.get(args.task)
    part_name = agreement_kind(kind).effort_part
    runs = _fold_runs(args, docs, config) if args.folds else [("all", docs, config)]
    results: list[tuple[str, Any, Any]] = []
    from tqdm import tqdm

    second, label = (replace(settings, learning=False, interactive=True), "interactive") if args.interactive else (settings, "learning")
    total_docs = sum(len(_limited(d, args.limit)) for _, d, _ in runs) * (1 if args.no_learning else 2)
    with tqdm(total=total_docs, desc="simulate", unit="doc") as bar:
        for name, part, cfg in runs:
            part = _limited(part, args.limit)
            frozen = _campaign(kind, part, cfg, replace(settings, learning=False), f"{name}:frozen", bar)
            learning = None if args.no_learning else _campaign(kind, part, cfg, second, f"{name}:{label}", bar)
            results.append((name, frozen, learning))
    summary = summarise(results, part_name, args.shuffles)
    summary["second"] = label
    if args.interactive:
        steps = [s for _, _, le in results if le is not None for s in le.steps]
        summary["interactive"] = {"marks": sum(s.marks for s in steps), "proposed": sum(s.proposed for s in steps)}
    summary.update({"data": str(args.data), "task": args.task, "order": args.order, "batch": args.batch, "folds": args.folds,
                    "limit": args.limit, "retrain": not args.no_retrain, "annotation_weight": config.annotation_weight,
                    "project_memory": config.project_memory})
    print_summary(summary)
    if args.csv_out:
        write_csv(args.csv_out, results, part_name)
    if args.png_out:
        draw(args.png_out, summary)
    if args.json_out:
        with atomic_writer(args.json_out) as fh:
            json.dump(summary, fh, indent=1)
    return 0


def _limited(docs: list, limit: int | None) -> list:
    return docs if not limit else docs[:limit]


def _campaign(kind, docs, cfg, settings, name, bar):
    from ls_backend.simulate import run_campaign

    try:
        return run_campaign(kind, docs, cfg, settings, name=name, progress=bar.update)
    except ValueError as exc:
        raise InputError(f"{name}: {exc}") from None


def _documents(args: argparse.Namespace) -> list:
    """The gold documents; a file without gold (no document annotated at all) is refused."""
    docs = for_kind(args.task).documents(args)
    if not any(kinds.get(args.task).annotated(d) for d in docs):
        raise InputError(f"{args.data}: {kinds.get(args.task).unannotated}: a campaign needs gold annotations to replay")
    return docs


def _fold_runs(args: argparse.Namespace, docs: list, config) -> list:
    """Per fold: (name, its documents, a configuration whose model and base training data are the other folds)."""
    if len(docs) < args.folds:
        raise InputError(f"--folds {args.folds}: only {len(docs)} documents")
    order = sorted(docs, key=kinds.get(args.task).key)
    random.Random(args.seed).shuffle(order)
    dealt = [order[k :: args.folds] for k in range(args.folds)]
    tmp = Path(tempfile.mkdtemp(prefix="mcr-simulate-folds-"))
    out = []
    for k, part in enumerate(dealt):
        rest = [d for j, p in enumerate(dealt) if j != k for d in p]
        where = tmp / f"fold{k + 1}"
        where.mkdir(parents=True, exist_ok=True)
        out.append((f"fold{k + 1}", part, for_kind(args.task).fold_config(rest, where, config)))
    return out


# -- the figures ------------------------------------------------------------------------------------
def summarise(results: list, part: str, shuffles: int = 10_000) -> dict:
    """Per batch and in all: gestures from scratch, frozen, learning, the shares saved with 95 % intervals, and the
    learning-vs-frozen test on every document, on the documents of the last full batch, and per batch."""
    from agreement.effort import total
    from agreement.significance import approximate_randomization, bootstrap_interval, effort_components, saved_share

    def figures(efforts) -> dict:
        x = effort_components(efforts, part)
        e = total(efforts)
        scratch, corrected = e.part(part)
        lo, hi = bootstrap_interval(x, saved_share)
        return {"documents": e.documents, "scratch": scratch, "gestures": corrected, "saved": e.saved(part), "saved_95": [lo, hi],
                "by_category": dict(e.corrections)}

    def test(frozen_steps, learning_steps) -> dict | None:
        if not learning_steps:
            return None
        f = {s.key: s.effort for s in frozen_steps}
        keys = [s.key for s in learning_steps]
        a = effort_components([f[k] for k in keys], part)
        b = effort_components([s.effort for s in learning_steps], part)
        return approximate_randomization(a, b, saved_share, shuffles=shuffles).to_json()

    batches = sorted({s.batch for _, fr, _ in results for s in fr.steps})
    frozen_all = [s for _, fr, _ in results for s in fr.steps]
    learning_all = [s for _, _, le in results if le is not None for s in le.steps]
    rows = []
    frozen_by = {s.key: s for s in frozen_all}  # keys are unique across folds (a fold is a part of one file)
    for b in batches:
        lb = [s for s in learning_all if s.batch == b]
        # the frozen model's effort on a document does not depend on when it comes: a batch's row shows it on the
        # learning campaign's documents of that batch (with --order uncertain the two campaigns order differently)
        fb = [frozen_by[s.key] for s in lb] if learning_all else [s for s in frozen_all if s.batch == b]
        rows.append({"batch": b + 1, "frozen": figures([s.effort for s in fb]),
                     "learning": figures([s.effort for s in lb]) if lb else None, "learning_vs_frozen": test(frozen_all, lb)})
    full = [r for r in rows if r["frozen"]["documents"] == max(x["frozen"]["documents"] for x in rows)]
    last = full[-1]["batch"] - 1 if full else batches[-1]
    summary = {
        "part": part,
        "all": {"frozen": figures([s.effort for s in frozen_all]), "learning": figures([s.effort for s in learning_all]) if learning_all else None,
                "learning_vs_frozen": test(frozen_all, learning_all)},
        "last_full_batch": {"batch": last + 1, "learning_vs_frozen": test(frozen_all, [s for s in learning_all if s.batch == last])},
        "batches": rows,
        "campaigns": [{"name": name, "versions": le.versions if le else fr.versions} for name, fr, le in results],
    }
    return summary


def _pct(x: float | None) -> str:
    return "   -  " if x is None else f"{100 * x:5.1f}%"


def print_summary(s: dict) -> None:
    from agreement.significance import interval_text

    second = s.get("second", "learning")
    print(f"gestures ({s['part']}): from scratch, with the frozen model, with the {second} model; share saved [95 % interval]")
    print(f"{'batch':>5s} {'docs':>5s} {'scratch':>8s} {'frozen':>7s} {'saved':>22s} {second[:11]:>11s} {'saved':>20s} {'p':>8s}")
    for r in s["batches"]:
        f, le, t = r["frozen"], r["learning"], r["learning_vs_frozen"]
        learn = f"{le['gestures']:9d} {_pct(le['saved']):>7s} {interval_text(*le['saved_95']):>14s}" if le else f"{'-':>9s} {'':>22s}"
        print(f"{r['batch']:5d} {f['documents']:5d} {f['scratch']:8d} {f['gestures']:7d} {_pct(f['saved']):>7s} {interval_text(*f['saved_95']):>14s} "
              f"{learn} {'' if t is None else format(t['p_value'], '8.4f')}")
    a = s["all"]
    f, le = a["frozen"], a["learning"]
    print(f"{'all':>5s} {f['documents']:5d} {f['scratch']:8d} {f['gestures']:7d} {_pct(f['saved']):>7s} {interval_text(*f['saved_95']):>14s} "
          + (f"{le['gestures']:9d} {_pct(le['saved']):>7s} {interval_text(*le['saved_95']):>14s} {a['learning_vs_frozen']['p_value']:8.4f}" if le else ""))
    if s.get("interactive"):
        i = s["interactive"]
        print(f"interactive: {i['marks']} marks answered with {i['proposed']} proposed regions")
    if le:
        t = s["last_full_batch"]["learning_vs_frozen"]
        print(f"{second} - frozen: {100 * a['learning_vs_frozen']['difference']:+.1f} points over all documents "
              f"(p = {a['learning_vs_frozen']['p_value']:.4f}); in the last full batch ({s['last_full_batch']['batch']}): "
              f"{100 * t['difference']:+.1f} points (p = {t['p_value']:.4f}); paired approximate randomization, {t['shuffles']} shuffles")


def write_csv(path: str, results: list, part: str) -> None:
    with atomic_writer(path) as fh:
        w = csv.writer(fh)
        w.writerow(["fold", "campaign", "batch", "key", "score", "model_version", "scratch", "gestures", "corrections"])
        for name, fr, le in results:
            for campaign in (fr, le):
                if campaign is None:
                    continue
                for s in campaign.steps:
                    scratch, gestures = s.effort.part(part)
                    w.writerow([name, campaign.name.split(":")[-1], s.batch + 1, s.key, s.score, s.model_version, scratch, gestures,
                                json.dumps(dict(s.effort.corrections), sort_keys=True)])


def draw(path: str, s: dict) -> None:
    """Gestures per document in each batch: from scratch, frozen, learning (with the 95 % intervals of the share saved)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    xs = [r["batch"] for r in s["batches"]]
    fig, ax = plt.subplots(figsize=(7, 4), dpi=110)
    per = lambda fig_, key: [r[fig_][key] / max(1, r[fig_]["documents"]) if r[fig_] else None for r in s["batches"]]  # noqa: E731
    ax.plot(xs, per("frozen", "scratch"), "k--", label="from scratch")
    ax.plot(xs, per("frozen", "gestures"), "o-", label="frozen model")
    if s["all"]["learning"]:
        ax.plot(xs, per("learning", "gestures"), "s-", label=f"{s.get('second', 'learning')} model")
    ax.set_xlabel(f"batch ({s['batch']} documents each)")
    ax.set_ylabel(f"{s['part']} gestures per document")
    a = s["all"]
    title = f"saved: frozen {_pct(a['frozen']['saved'])}"
    if a["learning"]:
        title += f", {s.get('second', 'learning')} {_pct(a['learning']['saved'])} (p = {a['learning_vs_frozen']['p_value']:.3f})"
    ax.set_title(title.replace("  ", " "))
    ax.set_ylim(bottom=0)
    ax.set_xticks(xs)
    ax.legend()
    fig.tight_layout()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
