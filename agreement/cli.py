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
from typing import Any

from exports import ls_client
from exports.io import InputError, atomic_writer, read_json

log = logging.getLogger("agreement")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="agreement", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    r = sub.add_parser("report", help="agreement of every pair of annotators")
    r.add_argument("files", nargs="*", help="release JSONL files (--task ner: BIO files), one per annotator")
    r.add_argument("--task", choices=("coref", "ner"), default="coref", help="coreference dialogues (default) or post NER")
    r.add_argument("--labelstudio", metavar="EXPORT.json", help="a Label Studio JSON export")
    ls_client.add_options(r, " (live project)")
    r.add_argument("--project", type=int, help="project id (live project)")
    r.add_argument("--json", dest="json_out", help="write the report as JSON")
    r.add_argument("--html", dest="html_out", help="write a self-contained HTML page")

    a = sub.add_parser("adjudicate", help="merge two annotations per dialogue; send the conflicts to an expert in Label Studio")
    a.add_argument("files", nargs="*", help="release JSONL files (--task ner: BIO files), one per annotator")
    a.add_argument("--task", choices=("coref", "ner"), default="coref", help="coreference dialogues (default) or post NER (two or more annotators)")
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
    g.add_argument("--task", choices=("coref", "ner"), default="coref", help="coreference dialogues (default) or post NER")
    ls_client.add_options(g, " (to read the expert's decisions)")
    g.add_argument("--report", help="write what was decided how as JSON")

    c = sub.add_parser("compare", help="two systems on one key: each figure with its 95 %% interval and the paired p-value of the difference")
    c.add_argument("key", help="the gold: release JSONL (--task ner: a BIO file)")
    c.add_argument("a", help="system A's output, same format")
    c.add_argument("b", help="system B's output, same format")
    c.add_argument("--task", choices=("coref", "ner"), default="coref", help="coreference dialogues (default) or post NER")
    c.add_argument("--shuffles", type=int, default=10_000, help="approximate-randomization shuffles (default: 10,000)")
    c.add_argument("--seed", type=int, default=0, help="seed of the shuffles and the bootstrap (default: 0)")
    c.add_argument("--json", dest="json_out", help="write the comparison as JSON")
    return p


def print_table(result: dict[str, Any]) -> None:
    print(f"annotators: {', '.join(result['annotators'])}; {result['documents']} dialogues")
    for pair in result["pairs"]:
        m = pair["metrics"]
        print(f"\n{pair['a']} ~ {pair['b']}: {pair['documents']} dialogues scored ({pair['a']} as key)")
        print(f"  {'metric':10s} {'recall':>8s} {'precision':>10s} {'F1':>8s}")
        for key, label in (("muc", "MUC"), ("bcub", "B3"), ("ceafe", "CEAF-e"), ("ceafm", "CEAF-m"), ("lea", "LEA"), ("blanc", "BLANC"), ("mentions", "mentions")):
            print(f"  {label:10s} {100 * m[key]['recall']:8.2f} {100 * m[key]['precision']:10.2f} {100 * m[key]['f1']:8.2f}")
        print(f"  {'CoNLL F1':10s} {'':8s} {'':10s} {100 * m['conll']['f1']:8.2f}")
        v = pair["visual"]
        iou = "-" if v["iou_mean"] is None else f"{v['iou_mean']:.3f}"
        same = "-" if v["same_key_frame_rate"] is None else f"{100 * v['same_key_frame_rate']:.1f} %"
        print(f"  visual: {v['matched_persons']} matched persons ({v['unmatched_a']} / {v['unmatched_b']} unmatched), "
              f"boxed by both {v['both_boxed']}, same key frame {same}, head-box IoU mean {iou}, names agree {v['names_agree']}/{v['names_compared']}")
        for name, f in v["flags"].items():
            kappa = "-" if f["kappa"] is None else f"{f['kappa']:.2f}"
            print(f"  flag {name}: agree {f['agree']}/{f['persons']}, kappa {kappa}")
        if pair["worst"]:
            print(f"  least agreement: {', '.join(pair['worst'])}")
    if result["problems"]:
        print(f"\nproblems ({len(result['problems'])}):")
        for problem in result["problems"]:
            print(f"  {problem}")


def cmd_report(args: argparse.Namespace) -> int:
    if args.task == "ner":
        return _report_ner(args)
    from agreement import report as R

    if args.project is not None and not (args.url and args.api_key):
        raise InputError("--project needs --url and --api-key (or LABEL_STUDIO_URL and LABEL_STUDIO_API_KEY)")
    client = _client(args, required=False) if args.project is not None else None
    tasks, source = _export_input(args, client)
    annotations = R.from_release_files(args.files) if tasks is None else R.from_labelstudio_export(tasks, source)
    result = R.report(annotations)
    print_table(result)
    if args.json_out:
        with atomic_writer(args.json_out) as fh:
            json.dump(result, fh, ensure_ascii=False, indent=1)
    if args.html_out:
        from agreement.html import render

        with atomic_writer(args.html_out) as fh:
            fh.write(render(result, annotations))
    if len(result["annotators"]) < 2:
        return 2
    return 1 if result["problems"] else 0


def _report_ner(args: argparse.Namespace) -> int:
    from agreement import ner

    if len(args.files) < 2:
        raise InputError("report --task ner needs two or more BIO files, one per annotator")
    annotators, problems = ner.read_annotators(args.files)
    result = ner.report(annotators, problems)
    ner.print_table(result)
    if args.json_out:
        with atomic_writer(args.json_out) as fh:
            json.dump(result, fh, ensure_ascii=False, indent=1)
    if args.html_out:
        with atomic_writer(args.html_out) as fh:
            fh.write(ner.render_html(result, annotators))
    return 1 if result["problems"] else 0


def _adjudicate_ner(args: argparse.Namespace) -> int:
    from agreement import ner, ner_campaign
    from agreement.state import State
    from exports.bio import read_bio

    if len(args.files) < 2:
        raise InputError("adjudicate --task ner needs two or more BIO files, one per annotator")
    annotators, problems = ner.read_annotators(args.files)
    _, layout = read_bio(args.files[0])
    client = _client(args, required=False)
    result = ner_campaign.run_adjudication(annotators, layout, State(args.state, args.database_url), Path(args.state), client, problems=problems,
                                           review_title=args.review_title if args.review_title != "MCR Studio adjudication" else ner_campaign.REVIEW_TITLE,
                                           review_project_id=args.review_project)
    c = result["counts"]
    print(f"{c['gold']} post(s) gold at once, {c['review']} sent to the expert, {c['unchanged']} unchanged, {c['changed']} changed, {c['skipped']} skipped"
          + (f"; review project {c['review_project']}" if "review_project" in c else ""))
    for p in result["problems"]:
        print(f"  {p}")
    return 1 if result["problems"] else 0


def _client(args: argparse.Namespace, required: bool):
    if not args.url or not args.api_key:
        if required:
            raise InputError("this needs --url and --api-key (or LABEL_STUDIO_URL and LABEL_STUDIO_API_KEY)")
        return None
    from exports.ls_client import connect

    return connect(args.url, args.api_key)


def _export_input(args: argparse.Namespace, client: Any) -> tuple[list[Any] | None, str]:
    """The Label Studio tasks named by ``--labelstudio`` or ``--project``, or None for release files."""
    sources = sum(bool(x) for x in (args.files, args.labelstudio, args.project is not None))
    if sources != 1:
        raise InputError("give either release files, or --labelstudio EXPORT.json, or --url/--api-key/--project")
    if args.files:
        return None, ""
    if args.labelstudio:
        tasks = read_json(args.labelstudio)
        if not isinstance(tasks, list):
            raise InputError(f"{args.labelstudio}: expected a JSON list of tasks")
        return tasks, args.labelstudio
    from exports.ls_client import export_tasks

    return export_tasks(client, args.project), f"{args.url} project {args.project}"


def cmd_adjudicate(args: argparse.Namespace) -> int:
    from agreement import campaign
    from agreement.state import State

    if args.task == "ner":
        return _adjudicate_ner(args)
    if args.project is not None and not (args.url and args.api_key):
        raise InputError("--project needs --url and --api-key (or LABEL_STUDIO_URL and LABEL_STUDIO_API_KEY)")
    client = _client(args, required=False)
    tasks, source = _export_input(args, client)
    collected = campaign.collect_files(args.files) if tasks is None else campaign.collect_export(tasks, source)
    annotators = [a.strip() for a in args.annotators.split(",")] if args.annotators else None
    result = campaign.run_adjudication(collected, State(args.state, args.database_url), client, review_title=args.review_title,
                                       review_project_id=args.review_project, annotators=annotators, iou_threshold=args.iou,
                                       review_file=Path(args.state) / "review_tasks.json")
    c = result["counts"]
    print(f"{c['gold']} dialogue(s) gold directly, {c['review']} sent to review"
          + (f" (project {c['review_project']})" if "review_project" in c else "")
          + f", {c['unchanged']} already adjudicated, {c['changed']} changed since, {c['skipped']} skipped")
    for p in result["problems"]:
        print(f"  {p}")
    return 1 if result["problems"] else 0


def cmd_gold(args: argparse.Namespace) -> int:
    from agreement import campaign
    from agreement.state import State

    if args.task == "ner":
        from agreement import ner_campaign

        result = ner_campaign.collect_gold(State(args.state, args.database_url), Path(args.state), _client(args, required=False), Path(args.out))
        c = result["counts"]
        print(f"wrote {result['written']} gold post(s) to {args.out}: {c['auto']} auto-accepted, {c['expert']} by the expert; "
              f"{c['pending']} waiting, {c['changed']} changed")
        for p in result["problems"]:
            print(f"  {p}")
        return 1 if result["problems"] else 0

    result = campaign.collect_gold(State(args.state, args.database_url), _client(args, required=False), Path(args.out))
    c = result["counts"]
    print(f"wrote {result['written']} gold dialogue(s) to {args.out}: {c['auto']} auto-accepted, {c['expert']} by the expert; "
          f"{c['pending']} waiting, {c['changed']} changed")
    for p in result["problems"]:
        print(f"  {p}")
    if args.report:
        state = State(args.state, args.database_url)
        decisions = [{"doc_key": d.doc_key, "kind": d.kind, "by": d.decided_by, "at": d.decided_at.isoformat(), "detail": d.detail,
                      "sources": d.sources} for d in state.decisions()]
        with atomic_writer(args.report) as fh:
            json.dump({"counts": c, "problems": result["problems"], "decisions": decisions}, fh, ensure_ascii=False, indent=1)
    return 1 if result["problems"] else 0

def _read_documents(path: str, task: str, problems: list[str]) -> dict[str, Any]:
    """Documents of one release / BIO file by doc_key / post id (the readers `report` uses: a repeated key keeps its
    first document, problems are appended)."""
    if task == "ner":
        from agreement.ner import read_annotators

        try:
            by_name, found = read_annotators([path])
        except OSError as exc:
            raise InputError(f"{path}: {exc}") from None
        problems.extend(found)
        return next(iter(by_name.values()))
    from agreement.report import from_release_files

    annotations = from_release_files([path])
    problems.extend(annotations.problems)
    return next(iter(annotations.by_annotator.values()))


def cmd_compare(args: argparse.Namespace) -> int:
    from agreement import compare as C

    if args.shuffles < 1:
        raise InputError(f"--shuffles: expected at least 1, got {args.shuffles}")
    problems: list[str] = []
    key = _read_documents(args.key, args.task, problems)
    gold = list(key.values())  # a document without mentions is gold too: what a system proposes there is wrong
    if not any(d.entities if args.task == "ner" else d.clusters for d in gold):
        raise InputError(f"{args.key}: no document has an annotation: the key must be gold")
    ident = (lambda d: d.id) if args.task == "ner" else (lambda d: d.doc_key)
    a = C.pair_up(gold, _read_documents(args.a, args.task, problems), ident, args.a, problems)
    b = C.pair_up(gold, _read_documents(args.b, args.task, problems), ident, args.b, problems)
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
