"""The post NER kind in ``agreement``: entity P / R / F1 and kappa between annotators (``agreement/ner.py``),
adjudication of two or more annotations per post into gold BIO (``agreement/ner_campaign.py``), ``compare``'s
figures, and the gestures of a post."""
from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from agreement import significance as S
from agreement.effort import Effort, post_effort
from agreement.kinds.coref import client_of
from exports import kinds
from exports.io import InputError, atomic_writer
from exports.posts import Post


class NerAgreement:
    data = kinds.get("ner")
    figures = {"entities": "entity F1", "effort": "entity gestures saved"}
    effort_part = "entities"

    def effort(self, proposal: Post | None, gold: Post) -> Effort:
        return post_effort(proposal, gold)

    def next_mark(self, groups: dict[tuple[str, ...], list[tuple[int, int]]], gold: Post) -> tuple[tuple[str, ...], tuple[int, int]] | None:
        """The annotator's next mark with Auto-Annotation on: the first gold entity the editor lacks (span and type)."""
        for e in gold.entities:
            if (e.start, e.end - 1) not in groups.get((e.type,), []):
                return (e.type,), (e.start, e.end - 1)
        return None

    def clears(self, mark: tuple[int, int], other: tuple[int, int]) -> bool:
        """Entities never overlap: a proposed entity over the span to mark is deleted first."""
        return mark[0] <= other[1] and other[0] <= mark[1]

    def delete_effort(self) -> Effort:
        from collections import Counter

        from annotation_guidelines import gestures as G

        return Effort(corrections=Counter({"entity_delete": G.COSTS["entity_delete"]}))

    def mark_effort(self, labels: tuple[str, ...]) -> Effort:
        """What one mark costs: adding an entity (its type, a drag)."""
        from collections import Counter

        from annotation_guidelines import gestures as G

        return Effort(corrections=Counter({"entity_add": G.COSTS["entity_add"]}))

    def components(self, gold: Sequence[Post], response: Sequence[Post | None]) -> np.ndarray:
        from agreement.ner import entity_counts

        rows = []
        for g, r in zip(gold, response):
            tp, n_key, n_got = entity_counts(g, r)
            rows.append([tp, n_key, tp, n_got, *post_effort(r, g).part("entities")])
        return np.asarray(rows, dtype=float).reshape(-1, 6)

    def statistics(self) -> dict[str, Any]:
        return {"entities": S.f1_of(0), "effort": lambda s: S.saved_share(s[..., 4:6])}

    def read_documents(self, path: str, problems: list[str]) -> dict[str, Post]:
        from agreement.ner import read_annotators

        try:
            by_name, found = read_annotators([path])
        except OSError as exc:
            raise InputError(f"{path}: {exc}") from None
        problems.extend(found)
        return next(iter(by_name.values()))

    def report(self, args: argparse.Namespace) -> int:
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

    def adjudicate(self, args: argparse.Namespace) -> int:
        from agreement import ner, ner_campaign
        from agreement.state import State
        from exports.bio import read_bio

        if len(args.files) < 2:
            raise InputError("adjudicate --task ner needs two or more BIO files, one per annotator")
        annotators, problems = ner.read_annotators(args.files)
        _, layout = read_bio(args.files[0])
        client = client_of(args, required=False)
        result = ner_campaign.run_adjudication(annotators, layout, State(args.state, args.database_url), Path(args.state), client, problems=problems,
                                               review_title=args.review_title if args.review_title != "MCR Studio adjudication" else ner_campaign.REVIEW_TITLE,
                                               review_project_id=args.review_project)
        c = result["counts"]
        print(f"{c['gold']} post(s) gold at once, {c['review']} sent to the expert, {c['unchanged']} unchanged, {c['changed']} changed, {c['skipped']} skipped"
              + (f"; review project {c['review_project']}" if "review_project" in c else ""))
        for p in result["problems"]:
            print(f"  {p}")
        return 1 if result["problems"] else 0

    def gold(self, args: argparse.Namespace) -> int:
        from agreement import ner_campaign
        from agreement.state import State

        result = ner_campaign.collect_gold(State(args.state, args.database_url), Path(args.state), client_of(args, required=False), Path(args.out))
        c = result["counts"]
        print(f"wrote {result['written']} gold post(s) to {args.out}: {c['auto']} auto-accepted, {c['expert']} by the expert; "
              f"{c['pending']} waiting, {c['changed']} changed")
        for p in result["problems"]:
            print(f"  {p}")
        return 1 if result["problems"] else 0


facet = NerAgreement()
