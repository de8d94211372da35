"""Agreement of post NER annotations (the CMNER / MNER-MI task): for every pair of annotators, entity-level
precision / recall / F1 (exact span and type; per type and overall, micro-averaged, the seqeval convention,
the first annotator as the key) and token-level Cohen's kappa over the BIO tags; Fleiss' kappa over all
annotators of the posts they all tagged; the posts that agree least.

Posts are matched by id; a post whose tokens differ between two annotators is reported and skipped for that pair.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from itertools import combinations
from pathlib import Path
from typing import Any

from exports.bio import BioFormatError, BioProblem, read_bio
from exports.io import InputError
from exports.posts import TYPES, Post


def read_annotators(paths: Sequence[str | Path]) -> tuple[dict[str, dict[str, Post]], list[str]]:
    """One BIO file per annotator (named by its file name): posts by id, and the problems met.

    Raises:
        InputError: a file cannot be read as BIO.
    """
    out: dict[str, dict[str, Post]] = {}
    problems: list[str] = []
    stems = [Path(p).stem for p in paths]
    for path, name in zip(paths, stems):
        name = str(path) if stems.count(name) > 1 else name
        found: list[BioProblem] = []
        try:
            posts, _ = read_bio(path, found)
        except BioFormatError as exc:
            raise InputError(str(exc)) from None
        problems += [f"{path}: {p}" for p in found]
        out[name] = {p.id: p for p in posts}
    return out, problems


def entity_counts(key: Post, response: Post | None, type_: str | None = None) -> tuple[int, int, int]:
    """(entities right, entities in the key, entities in the response) of one post, of one type or of all (exact span
    and type): the per-post components that corpus P / R / F1 add up."""
    want = {(e.start, e.end, e.type) for e in key.entities if type_ in (None, e.type)}
    got = {(e.start, e.end, e.type) for e in (response.entities if response is not None else ()) if type_ in (None, e.type)}
    return len(want & got), len(want), len(got)


def prf(key: Sequence[Post], response: Sequence[Post]) -> dict[str, dict[str, float | int]]:
    """Entity P / R / F1 per type and overall (exact span and type), micro-averaged over the posts."""
    counts = {t: Counter() for t in (*TYPES, "overall")}
    for k, r in zip(key, response):
        for name in counts:
            tp, n_key, n_response = entity_counts(k, r, None if name == "overall" else name)
            counts[name].update(tp=tp, key=n_key, response=n_response)
    out = {}
    for name, c in counts.items():
        p = c["tp"] / c["response"] if c["response"] else 0.0
        r = c["tp"] / c["key"] if c["key"] else 0.0
        out[name] = {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0, "support": c["key"], "predicted": c["response"]}
    return out


def cohen(a: Sequence[str], b: Sequence[str]) -> float | None:
    """Cohen's kappa of two label sequences (None when chance agreement is 1)."""
    n = len(a)
    if n == 0:
        return None
    po = sum(x == y for x, y in zip(a, b)) / n
    ca, cb = Counter(a), Counter(b)
    pe = sum(ca[k] * cb[k] for k in ca) / (n * n)
    return None if pe == 1 else (po - pe) / (1 - pe)


def fleiss(items: Sequence[Sequence[str]]) -> float | None:
    """Fleiss' kappa: ``items`` holds each token's labels, one per annotator (the same number for every token)."""
    if not items or len(items[0]) < 2:
        return None
    n, m = len(items), len(items[0])
    totals: Counter = Counter()
    p_i = 0.0
    for labels in items:
        c = Counter(labels)
        totals.update(c)
        p_i += (sum(v * v for v in c.values()) - m) / (m * (m - 1))
    p_bar = p_i / n
    pe = sum((v / (n * m)) ** 2 for v in totals.values())
    return None if pe == 1 else (p_bar - pe) / (1 - pe)


def report(annotators: Mapping[str, Mapping[str, Post]], problems: list[str] | None = None, worst: int = 10) -> dict[str, Any]:
    """The agreement report of post annotations (JSON-able)."""
    problems = list(problems or [])
    names = list(annotators)
    pairs = []
    per_post: dict[str, list[float]] = {}
    for a, b in combinations(names, 2):
        both = [pid for pid in annotators[a] if pid in annotators[b]]
        keep = []
        for pid in both:
            if annotators[a][pid].tokens != annotators[b][pid].tokens:
                problems.append(f"{a} ~ {b}: {pid}: tokens: the post's text differs between the annotators; skipped")
            else:
                keep.append(pid)
        only_a, only_b = len(annotators[a]) - len(both), len(annotators[b]) - len(both)
        if only_a or only_b:
            problems.append(f"{a} ~ {b}: {only_a} post(s) only in {a}, {only_b} only in {b}; scored on the {len(both)} in both")
        key = [annotators[a][p] for p in keep]
        resp = [annotators[b][p] for p in keep]
        tags_a = [t for p in key for t in p.bio()]
        tags_b = [t for p in resp for t in p.bio()]
        for k, r in zip(key, resp):
            per_post.setdefault(k.id, []).append(prf([k], [r])["overall"]["f1"] if (k.entities or r.entities) else 1.0)
        pairs.append({"a": a, "b": b, "posts": len(keep), "metrics": prf(key, resp), "kappa": cohen(tags_a, tags_b)})
    common = [pid for pid in annotators[names[0]] if all(pid in annotators[n] and annotators[n][pid].tokens == annotators[names[0]][pid].tokens
                                                          for n in names)] if names else []
    tokens = [labels for pid in common for labels in zip(*(annotators[n][pid].bio() for n in names))]
    ranked = sorted(per_post.items(), key=lambda kv: (sum(kv[1]) / len(kv[1]), kv[0]))
    return {
        "task": "ner",
        "annotators": names,
        "posts": len(set().union(*(set(v) for v in annotators.values()))) if annotators else 0,
        "pairs": pairs,
        "fleiss_kappa": fleiss(tokens) if len(names) >= 2 else None,
        "fleiss_posts": len(common),
        "least_agreement": [{"id": pid, "f1": sum(v) / len(v)} for pid, v in ranked[:worst]],
        "problems": problems,
    }


def print_table(result: Mapping[str, Any]) -> None:
    print(f"annotators: {', '.join(result['annotators'])}; {result['posts']} posts")
    for pair in result["pairs"]:
        kappa = "-" if pair["kappa"] is None else f"{pair['kappa']:.3f}"
        print(f"\n{pair['a']} ~ {pair['b']}: {pair['posts']} posts ({pair['a']} as key); token kappa {kappa}")
        print(f"  {'type':8s} {'precision':>10s} {'recall':>8s} {'F1':>8s} {'support':>8s}")
        for t in ("overall", *TYPES):
            m = pair["metrics"][t]
            print(f"  {t:8s} {100 * m['precision']:10.2f} {100 * m['recall']:8.2f} {100 * m['f1']:8.2f} {m['support']:8d}")
    if result["fleiss_kappa"] is not None:
        print(f"\nFleiss' kappa over {len(result['annotators'])} annotators, {result['fleiss_posts']} posts: {result['fleiss_kappa']:.3f}")
    if result["least_agreement"]:
        print("least agreement: " + ", ".join(f"{w['id']} ({100 * w['f1']:.0f})" for w in result["least_agreement"]))
    if result["problems"]:
        print(f"\nproblems ({len(result['problems'])}):")
        for p in result["problems"]:
            print(f"  {p}")


_COLORS = {"PER": "#ffd6d6", "LOC": "#d6ecff", "ORG": "#dcffd6", "MISC": "#f3e0ff"}


def render_html(result: Mapping[str, Any], annotators: Mapping[str, Mapping[str, Post]]) -> str:
    """A self-contained page: the pairwise figures, then the posts that agree least, each annotator's entities side by side."""
    from html import escape

    def tagged(post: Post) -> str:
        out, i = [], 0
        sep = "" if all(len(t) == 1 for t in post.tokens) else " "
        for e in post.entities:
            out.append(escape(sep.join(post.tokens[i : e.start])))
            out.append(f'<mark style="background:{_COLORS[e.type]}" title="{e.type}">{escape(post.text_of(e, sep))}'
                       f"<sub>{e.type}</sub></mark>")
            i = e.end
        out.append(escape(sep.join(post.tokens[i:])))
        return (sep if sep else "").join(out) if sep else "".join(out)

    rows = []
    for pair in result["pairs"]:
        kappa = "-" if pair["kappa"] is None else f"{pair['kappa']:.3f}"
        cells = "".join(f"<td>{100 * pair['metrics'][t]['f1']:.1f}</td>" for t in ("overall", *TYPES))
        rows.append(f"<tr><td class=l>{escape(pair['a'])} ~ {escape(pair['b'])}</td><td>{pair['posts']}</td>{cells}<td>{kappa}</td></tr>")
    posts = []
    for worst in result["least_agreement"]:
        pid = worst["id"]
        versions = "".join(f"<tr><td class=l>{escape(name)}</td><td class=t>{tagged(anns[pid])}</td></tr>"
                           for name, anns in annotators.items() if pid in anns)
        posts.append(f"<h3>{escape(pid)} (mean pairwise F1 {100 * worst['f1']:.0f})</h3><table>{versions}</table>")
    fleiss_ = "-" if result["fleiss_kappa"] is None else f"{result['fleiss_kappa']:.3f}"
    problems = "".join(f"<li>{escape(p)}</li>" for p in result["problems"])
    head = "".join(f"<th>{t} F1</th>" for t in ("overall", *TYPES))
    return f"""<!doctype html><html lang="zh"><head><meta charset="utf-8"><title>Post NER agreement</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse;margin:.5em 0}}td,th{{border:1px solid #ccc;padding:4px 8px;text-align:right}}
td.l{{text-align:left}}td.t{{text-align:left;line-height:1.8}}mark{{padding:0 2px;border-radius:3px}}sub{{font-size:60%;color:#555}}</style></head><body>
<h1>Post NER agreement</h1><p>{len(result['annotators'])} annotators, {result['posts']} posts; Fleiss' kappa (tokens, {result['fleiss_posts']} posts): {fleiss_}</p>
<table><tr><th>pair (first = key)</th><th>posts</th>{head}<th>token kappa</th></tr>{''.join(rows)}</table>
<h2>The posts that agree least</h2>{''.join(posts)}<h2>Problems</h2><ul>{problems or '<li>none</li>'}</ul></body></html>
"""
