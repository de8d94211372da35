"""The agreement report as one self-contained HTML page (inline CSS and SVG, no script)."""
from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

from agreement.report import Annotations
from exports.dialogue import Dialogue

COLORS = ["#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#42d4f4", "#f032e6", "#bfef45", "#469990", "#9a6324"]
METRICS = [("muc", "MUC"), ("bcub", "B³"), ("ceafe", "CEAF-e"), ("ceafm", "CEAF-m"), ("lea", "LEA"), ("blanc", "BLANC"), ("mentions", "Mentions")]
CSS = """
body{font-family:"Noto Sans CJK SC","Noto Sans",sans-serif;margin:24px;color:#222;max-width:1200px}
h1{font-size:22px}h2{font-size:18px;margin-top:32px;border-bottom:1px solid #ddd;padding-bottom:4px}
table{border-collapse:collapse;margin:8px 0}td,th{padding:3px 10px;text-align:right;font-size:14px}th{background:#f3f3f3}
td.l,th.l{text-align:left}.bar{background:#e8e8e8;width:260px;height:12px;position:relative;display:inline-block}
.bar span{position:absolute;left:0;top:0;bottom:0;background:#4363d8}.bar span.p{background:#f58231;top:6px}
.pair{display:grid;grid-template-columns:1fr 1fr;gap:16px}.side{border:1px solid #ddd;border-radius:6px;padding:8px}
.turn{margin:4px 0;font-size:16px;line-height:1.9}.spk{color:#888;margin-right:6px}
.m{border-bottom:3px solid;padding:0 1px}.chip{display:inline-block;border-radius:3px;padding:0 5px;margin:2px;color:#fff;font-size:13px}
.prob{color:#a33;font-size:13px}.small{color:#666;font-size:13px}
"""


def _pct(v: float | None) -> str:
    return "–" if v is None else f"{100 * v:.2f}"


def _bars(metrics: Mapping[str, Any]) -> str:
    rows = []
    for key, label in METRICS:
        m = metrics[key]
        rows.append(
            f"<tr><td class=l>{label}</td><td>{_pct(m['recall'])}</td><td>{_pct(m['precision'])}</td><td><b>{_pct(m['f1'])}</b></td>"
            f"<td class=l><span class=bar title='recall / precision'><span style='width:{100 * m['recall']:.1f}%;height:6px'></span>"
            f"<span class=p style='width:{100 * m['precision']:.1f}%;height:6px'></span></span></td></tr>"
        )
    rows.append(f"<tr><td class=l><b>CoNLL F1</b></td><td></td><td></td><td><b>{_pct(metrics['conll']['f1'])}</b></td><td></td></tr>")
    return "<table><tr><th class=l>metric</th><th>recall</th><th>precision</th><th>F1</th><th class=l><span style='color:#4363d8'>recall</span> / <span style='color:#f58231'>precision</span></th></tr>" + "".join(rows) + "</table>"


def _histogram(values: list[float]) -> str:
    bins = [0] * 10
    for v in values:
        bins[min(9, int(v * 10))] += 1
    top = max(bins) or 1
    w, h = 420, 150
    bars = []
    for i, n in enumerate(bins):
        bh = (h - 30) * n / top
        x = 30 + i * 38
        bars.append(f"<rect x='{x}' y='{h - 20 - bh:.1f}' width='32' height='{bh:.1f}' fill='#4363d8'/>"
                    f"<text x='{x + 16}' y='{h - 22 - bh:.1f}' font-size='11' text-anchor='middle'>{n}</text>"
                    f"<text x='{x + 16}' y='{h - 6}' font-size='10' text-anchor='middle'>{i / 10:.1f}</text>")
    return (f"<svg width='{w}' height='{h}' role='img' aria-label='per-dialogue MUC F1'>{''.join(bars)}"
            f"<text x='5' y='12' font-size='11'>dialogues per MUC F1 bin (no links on either side = 1.0)</text></svg>")


def _dialogue(d: Dialogue, other: Dialogue | None) -> str:
    other_sets = {frozenset(c.spans) for c in other.clusters} if other else set()
    color_of: dict[tuple[int, int], str] = {}
    chips = []
    for ci, c in enumerate(d.clusters):
        color = COLORS[ci % len(COLORS)]
        for s in c.spans:
            color_of.setdefault(s, color)
        same = frozenset(c.spans) in other_sets
        texts = "、".join(html.escape(d.span_text(s)) for s in c.spans)
        chips.append(f"<span class=chip style='background:{color}' title='{'same cluster in both' if same else 'differs'}'>{'✓' if same else '≠'} {texts} · {html.escape(c.label)}</span>")
    turns, offset = [], 0
    for t in d.turns:
        parts = []
        for i, ch in enumerate(t.tokens):
            pos = offset + i
            covering = [s for s in color_of if s[0] <= pos <= s[1]]
            if covering:
                s = min(covering, key=lambda x: x[1] - x[0])
                parts.append(f"<span class=m style='border-color:{color_of[s]}'>{html.escape(ch)}</span>")
            else:
                parts.append(html.escape(ch))
        turns.append(f"<div class=turn><span class=spk>{html.escape(t.speaker)}</span>{''.join(parts)}</div>")
        offset += len(t.tokens)
    return "".join(turns) + "<div>" + "".join(chips) + "</div>"


def render(result: Mapping[str, Any], annotations: Annotations, title: str = "MCR Studio: inter-annotator agreement") -> str:
    out = [f"<!doctype html><html lang=zh><head><meta charset=utf-8><title>{html.escape(title)}</title><style>{CSS}</style></head><body>",
           f"<h1>{html.escape(title)}</h1>",
           f"<p>Annotators: {', '.join(html.escape(a) for a in result['annotators'])} · {result['documents']} dialogues. "
           "Scores are micro-averaged over dialogues as the CoNLL reference scorer v8.01 computes them (the first annotator of a pair plays the key).</p>"]
    for pair in result["pairs"]:
        a, b = pair["a"], pair["b"]
        v = pair["visual"]
        out.append(f"<h2>{html.escape(a)} ~ {html.escape(b)} ({pair['documents']} dialogues)</h2>")
        out.append(_bars(pair["metrics"]))
        out.append(_histogram(pair["muc_f1_per_dialogue"]))
        flag_rows = []
        for k, f in v["flags"].items():
            kappa = "–" if f["kappa"] is None else f"{f['kappa']:.2f}"
            flag_rows.append(f"<tr><td class=l>{k.replace('_', ' ')}</td><td>{f['agree']}/{f['persons']}</td><td>{kappa}</td></tr>")
        flags = "".join(flag_rows)
        iou_mean = "–" if v["iou_mean"] is None else f"{v['iou_mean']:.3f}"
        frame_median = "–" if v["frame_distance_median"] is None else str(v["frame_distance_median"])
        out.append("<table><tr><th class=l>visual</th><th></th></tr>"
                   f"<tr><td class=l>matched persons (unmatched {html.escape(a)} / {html.escape(b)})</td><td>{v['matched_persons']} ({v['unmatched_a']} / {v['unmatched_b']})</td></tr>"
                   f"<tr><td class=l>boxed by both (only {html.escape(a)} / only {html.escape(b)})</td><td>{v['both_boxed']} ({v['only_a_boxed']} / {v['only_b_boxed']})</td></tr>"
                   f"<tr><td class=l>same key frame</td><td>{v['same_key_frame']} ({_pct(v['same_key_frame_rate'])} %)</td></tr>"
                   f"<tr><td class=l>median key-frame distance</td><td>{frame_median}</td></tr>"
                   f"<tr><td class=l>head-box IoU mean (IoU ≥ 0.5)</td><td>{iou_mean} ({v['iou_at_least_0_5']})</td></tr>"
                   f"<tr><td class=l>celebrity names agree</td><td>{v['names_agree']}/{v['names_compared']}</td></tr></table>"
                   f"<table><tr><th class=l>flag</th><th>agree</th><th>Cohen's κ</th></tr>{flags}</table>")
        out.append(f"<h3>Dialogues that agree least ({len(pair['worst'])})</h3>")
        da_all, db_all = annotations.by_annotator[a], annotations.by_annotator[b]
        for key in pair["worst"]:
            da, db = da_all[key], db_all[key]
            out.append(f"<p class=small>{html.escape(key)}</p><div class=pair>"
                       f"<div class=side><b>{html.escape(a)}</b>{_dialogue(da, db)}</div>"
                       f"<div class=side><b>{html.escape(b)}</b>{_dialogue(db, da)}</div></div>")
    if result["problems"]:
        out.append(f"<h2>Problems ({len(result['problems'])})</h2><ul>" + "".join(f"<li class=prob>{html.escape(p)}</li>" for p in result["problems"][:500]) + "</ul>")
    out.append("</body></html>")
    return "\n".join(out)
