"""``agreement``: inter-annotator agreement, adjudication and gold.

    agreement report A.jsonl B.jsonl [C.jsonl ...]        one release JSONL per annotator (name = file stem)
    agreement report --labelstudio EXPORT.json            a Label Studio JSON export, several annotations per task
    agreement report --url URL --api-key KEY --project N  a live Label Studio project
        [--json OUT.json] [--html OUT.html]
    agreement adjudicate (A.jsonl B.jsonl | --labelstudio EXPORT.json | --project N) --state DIR
        [--url URL --api-key KEY] [--review-title T | --review-project N] [--annotators A,B] [--iou 0.5]
    agreement gold --state DIR --out GOLD.jsonl [--url URL --api-key KEY] [--report REPORT.json]
    agreement report --task ner A.txt B.txt [C.txt ...] [--json OUT] [--html OUT]    post NER: one BIO file per annotator
    agreement adjudicate --task ner A.txt B.txt C.txt --state DIR [--url URL --api-key KEY]
    agreement gold --task ner --state DIR --out GOLD.txt [--url URL --api-key KEY]
    agreement compare KEY.jsonl A.jsonl B.jsonl [--task ner] [--shuffles 10000] [--seed 0] [--json OUT.json]
        is B better than A on KEY? paired approximate randomization per figure, bootstrap 95 % intervals
    (adjudicate / gold: --database-url keeps the campaign record in PostgreSQL instead of SQLite in --state)

Exit codes: 0 done; 1 done, with problems reported (they are listed, never a traceback);
2 nothing could be scored (unreadable input, fewer than two annotators).
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from agreement.kinds import agreement_kind
from exports import kinds
from exports.io import label_studio as ls_client
from exports.io import InputError, atomic_writer

log = logging.getLogger("agreement")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="agreement", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    r = sub.add_parser("report", help="agreement of every pair of annotators")
    r.add_argument("files", nargs="*", help="release JSONL files (--task ner: BIO files), one per annotator")
    kinds.add_task_option(r)
    r.add_argument("--labelstudio", metavar="EXPORT.json", help="a Label Studio JSON export")
    ls_client.add_options(r, " (live project)")
    r.add_argument("--project", type=int, help="project id (live project)")
    r.add_argument("--json", dest="json_out", help="write the report as JSON")
    r.add_argument("--html", dest="html_out", help="write a self-contained HTML page")

    a = sub.add_parser("adjudicate", help="merge two annotations per dialogue; send the conflicts to an expert in Label Studio")
    a.add_argument("files", nargs="*", help="release JSONL files (--task ner: BIO files), one per annotator")
    kinds.add_task_option(a)
    a.add_argument("--labelstudio", metavar="EXPORT.json", help="a Label Studio JSON export")
    a.add_argument("--project", type=int, help="the annotation project (live)")
    ls_client.add_options(a, " (the review project is created there)")
    a.add_argument("--state", required=True, help="directory of the campaign record (decisions, review tasks)")
    a.add_argument("--database-url", help="keep the campaign record in this database (e.g. postgresql://USER@HOST:PORT/DB) instead of SQLite in --state")
    a.add_argument("--review-title", default="MCR Studio adjudication", help="title of the review project (found or created)")
    a.add_argument("--review-project", type=int, help="use this existing review project")
    a.add_argument("--annotators", help="the two annotators, comma-separated (default: any two)")
    a.add_argument("--iou", type=float, default=0.5, help="head boxes agree at this IoU or more (default: 0.5)")

    g = sub.add_parser("gold", help="write the gold release JSONL: auto-accepted plus expert-resolved dialogues")
    g.add_argument("--state", required=True, help="directory of the campaign record")
    g.add_argument("--database-url", help="the campaign record's database, when adjudicate was given one")
    g.add_argument("--out", required=True, help="gold release JSONL (--task ner: a BIO file)")
    kinds.add_task_option(g)
    ls_client.add_options(g, " (to read the expert's decisions)")
    g.add_argument("--report", help="write what was decided how as JSON")

    c = sub.add_parser("compare", help="two systems on one key: each figure with its 95 %% interval and the paired p-value of the difference")
    c.add_argument("key", help="the gold: release JSONL (--task ner: a BIO file)")
    c.add_argument("a", help="system A's output, same format")
    c.add_argument("b", help="system B's output, same format")
    kinds.add_task_option(c)
    c.add_argument("--shuffles", type=int, default=10_000, help="approximate-randomization shuffles (default: 10,000)")
    c.add_argument("--seed", type=int, default=0, help="seed of the shuffles and the bootstrap (default: 0)")
    c.add_argument("--json", dest="json_out", help="write the comparison as JSON")
    return p


def cmd_report(args: argparse.Namespace) -> int:
    return agreement_kind(args.task).report(args)


def cmd_adjudicate(args: argparse.Namespace) -> int:
    return agreement_kind(args.task).adjudicate(args)


def cmd_gold(args: argparse.Namespace) -> int:
    return agreement_kind(args.task).gold(args)


def cmd_compare(args: argparse.Namespace) -> int:
    from agreement import compare as C

    if args.shuffles < 1:
        raise InputError(f"--shuffles: expected at least 1, got {args.shuffles}")
    problems: list[str] = []
    kind, data = agreement_kind(args.task), kinds.get(args.task)
    key = kind.read_documents(args.key, problems)
    gold = list(key.values())  # a document without mentions is gold too: what a system proposes there is wrong
    if not any(data.annotated(d) for d in gold):
        raise InputError(f"{args.key}: no document has an annotation: the key must be gold")
    a = C.pair_up(gold, kind.read_documents(args.a, problems), args.task, args.a, problems)
    b = C.pair_up(gold, kind.read_documents(args.b, problems), args.task, args.b, problems)
    result = C.compare(gold, a, b, task=args.task, shuffles=args.shuffles, seed=args.seed)
    result.update({"key": args.key, "a_file": args.a, "b_file": args.b, "problems": problems})
    C.print_comparison(result, (Path(args.a).stem, Path(args.b).stem))
    for problem in problems[:20]:
        log.warning("%s", problem)
    if len(problems) > 20:
        log.warning("... and %d more problems (all in --json)", len(problems) - 20)
    if args.json_out:
        with atomic_writer(args.json_out) as fh:
            json.dump(result, fh, ensure_ascii=False, indent=1)
    return 1 if problems else 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    args.url, args.api_key = ls_client.connection(getattr(args, "url", None), getattr(args, "api_key", None), required=False) or (None, None)  # flags, else the environment
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    try:
        return {"report": cmd_report, "adjudicate": cmd_adjudicate, "gold": cmd_gold, "compare": cmd_compare}[args.command](args)
    except InputError as exc:
        log.error("%s", exc)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
