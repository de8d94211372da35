"""The coreference kind in ``agreement``: MUC / B3 / CEAF / LEA / BLANC and visual agreement, adjudication of two
annotations per dialogue into gold release lines, ``compare``'s figures, and the gestures of a dialogue."""
from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from agreement import significance as S
from agreement.effort import Effort, dialogue_effort
from exports import kinds
from exports.dialogue import Dialogue
from exports.io import InputError, atomic_writer, read_json


def client_of(args: argparse.Namespace, required: bool):
    """The Label Studio client of ``--url`` / ``--api-key`` (None when they are not given and not ``required``)."""
    if not args.url or not args.api_key:
        if required:
            raise InputError("this needs --url and --api-key (or LABEL_STUDIO_URL and LABEL_STUDIO_API_KEY)")
        return None
    from exports.io.label_studio import connect

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
    from exports.io.label_studio import export_tasks

    return export_tasks(client, args.project), f"{args.url} project {args.project}"


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


class CorefAgreement:
    data = kinds.get("coref")
    figures = {"conll": "CoNLL F1", "muc": "MUC F1", "bcub": "B3 F1", "ceafe": "CEAF-e F1", "lea": "LEA F1",
               "mentions": "mention F1", "effort": "text gestures saved"}
    effort_part = "text"

    def effort(self, proposal: Dialogue | None, gold: Dialogue) -> Effort:
        return dialogue_effort(proposal, gold, video=False)

    def next_mark(self, groups: dict[tuple[str, ...], list[tuple[int, int]]], gold: Dialogue) -> tuple[tuple[str, ...], tuple[int, int]] | None:
        """The annotator's next mark with Auto-Annotation on: the first gold mention the editor lacks, under the
        number(s) the editor already gives most of that person's mentions (else the first free number); None when no
        mention is missing. Group mentions (two or more numbers) are left to the ordinary gestures."""
        have = {s for spans in groups.values() for s in spans}
        used = {int(label[1:]) for labels in groups for label in labels}
        for cluster, numbers in zip(gold.clusters, gold.cluster_numbers()):
            if len(numbers) > 1:
                continue
            missing = [s for s in cluster.spans if s not in have]
            if not missing:
                continue
            best = max(groups.items(), key=lambda kv: len(set(kv[1]) & set(cluster.spans)), default=(None, []))
            if best[0] is not None and len(best[0]) == 1 and set(best[1]) & set(cluster.spans):
                labels = best[0]
            else:
                free = next((n for n in range(1, 21) if n not in used), None)
                if free is None:
                    continue  # the template's numbers are used up: left to the ordinary gestures
                labels = (f"C{free}",)
            return labels, missing[0]
        return None

    def clears(self, mark: tuple[int, int], other: tuple[int, int]) -> bool:
        """Whether a region must go before ``mark`` can be made: never for mentions (they may nest; a wrong one is
        deleted like any other, at the end)."""
        return False

    def delete_effort(self) -> Effort:
        from collections import Counter

        from annotation_guidelines import gestures as G

        return Effort(corrections=Counter({"delete": G.COSTS["mention_delete"]}))

    def mark_effort(self, labels: tuple[str, ...]) -> Effort:
        """What one mark costs: adding a mention (its number(s), a drag)."""
        from collections import Counter

        from annotation_guidelines import gestures as G

        return Effort(corrections=Counter({"add": G.add_mention(len(labels))}))

    def components(self, gold: Sequence[Dialogue], response: Sequence[Dialogue | None]) -> np.ndarray:
        coref = S.coref_components(([list(c.spans) for c in g.clusters], [list(c.spans) for c in r.clusters] if r else [])
                                   for g, r in zip(gold, response))
        effort = S.effort_components((dialogue_effort(r, g) for g, r in zip(gold, response)), "text")
        return np.hstack([coref, effort])

    def statistics(self) -> dict[str, Any]:
        out = dict(S.coref_statistics())
        width = 4 * len(S.COREF_METRICS)
        out["effort"] = lambda s: S.saved_share(s[..., width : width + 2])
        return {k: out[k] for k in self.figures}

    def read_documents(self, path: str, problems: list[str]) -> dict[str, Dialogue]:
        from agreement.report import from_release_files

        annotations = from_release_files([path])
        problems.extend(annotations.problems)
        return next(iter(annotations.by_annotator.values()))

    def report(self, args: argparse.Namespace) -> int:
        from agreement import report as R

        if args.project is not None and not (args.url and args.api_key):
            raise InputError("--project needs --url and --api-key (or LABEL_STUDIO_URL and LABEL_STUDIO_API_KEY)")
        client = client_of(args, required=False) if args.project is not None else None
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

    def adjudicate(self, args: argparse.Namespace) -> int:
        from agreement import campaign
        from agreement.state import State

        if args.project is not None and not (args.url and args.api_key):
            raise InputError("--project needs --url and --api-key (or LABEL_STUDIO_URL and LABEL_STUDIO_API_KEY)")
        client = client_of(args, required=False)
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

    def gold(self, args: argparse.Namespace) -> int:
        from agreement import campaign
        from agreement.state import State

        result = campaign.collect_gold(State(args.state, args.database_url), client_of(args, required=False), Path(args.out))
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


facet = CorefAgreement()
