"""Demo dialogues of MCR Studio and ``make demo`` (``python -m ls_backend.demo.dialogues``).

The dialogues are written for this project (no dependency on ../shared): short comment
pairs under imagined videos, with proper names, person nouns, pronouns, a group
mention (他俩), a nested mention (你妈 / 你), a fan nickname (九洲哥哥) and boxes on key frames of 720x1280 clips.

Until the Label Studio workspace and the ML backend exist, the demo runs the part of
the pipeline that does: it writes the demo release JSONL, validates it, writes the
Label Studio import file, CoNLL-2012 and the split layout, reads the Label Studio
file back and checks that the release lines come back byte-identical.
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from exports import conll, labelstudio, release
from exports.dialogue import Box, Cluster, Dialogue, Turn
from exports.io import atomic_writer, write_lines
from exports.split import split
from exports.validate import check_lines

log = logging.getLogger("ls_backend.demo.dialogues")

FRAME = (720, 1280)
FPS = 30.0

# (doc_key, title, turn A, turn B, clusters: [(label, [(mention, occurrence), ...])], boxes: {label: (frame, bbox, name)})
DEMO = [
    (
        "900000000000000001", "#林一舟 新歌现场第一次唱给妈妈听",
        "林一舟唱到最后自己都哭了", "他妈妈在台下也一直在擦眼泪",
        [("C1", [("林一舟", 0), ("自己", 0), ("他", 0)]), ("C2", [("他妈妈", 0)])],
        {"C1": (212, (300, 380, 420, 530), "林一舟"), "C2": (655, (120, 700, 230, 840), "")},
    ),
    (
        "900000000000000002", "两个人一起做饭的日常",
        "这个男生切菜的样子好认真", "他俩以后肯定会很幸福",
        [("C1", [("这个男生", 0)]), ("C1C2", [("他俩", 0)])],
        {"C1": (90, (380, 300, 500, 450), ""), "C1C2": (400, (150, 280, 610, 520), "")},
    ),
    (
        "900000000000000003", "过年回家被问工资",
        "你妈问你工资的时候你怎么回答", "我直接说还没发",
        [("none", [("你", 0), ("你", 1), ("你", 2)]), ("none", [("你妈", 0)]), ("none", [("我", 0)])],
        {},
    ),
    (
        "900000000000000004", "#周小雨 #陈默 综艺名场面",
        "周小雨笑场的时候陈默都懵了", "她一笑谁顶得住啊",
        [("C1", [("周小雨", 0), ("她", 0)]), ("C2", [("陈默", 0)])],
        {"C1": (33, (200, 240, 330, 410), "周小雨"), "C2": (812, (430, 260, 560, 430), "陈默")},
    ),
    (
        "900000000000000005", "外卖小哥雨天送餐",
        "小哥浑身都湿透了还在道歉", "希望大家对骑手多一点耐心",
        [("C1", [("小哥", 0)]), ("none", [("大家", 0)]), ("none", [("骑手", 0)])],
        {"C1": (150, (260, 420, 400, 600), "")},
    ),
    (
        "900000000000000006", "#唐九洲 综艺名场面",
        "唐九洲今天好帅", "九洲哥哥笑起来好甜",
        [("C1", [("唐九洲", 0), ("九洲哥哥", 0)])],
        {"C1": (120, (280, 300, 420, 470), "唐九洲")},
    ),
]


def _span(text: str, offset: int, mention: str, occurrence: int) -> tuple[int, int]:
    start = -1
    for _ in range(occurrence + 1):
        start = text.find(mention, start + 1)
        if start < 0:
            raise ValueError(f"demo data: {mention!r} occurs fewer than {occurrence + 1} times in {text!r}")
    return (offset + start, offset + start + len(mention) - 1)


def demo_dialogues() -> list[Dialogue]:
    """The demo dialogues as Dialogue artifacts (videos 720x1280 at 30 fps)."""
    out = []
    for doc_key, title, a, b, clusters, boxes in DEMO:
        text = a + b
        out.append(
            Dialogue(
                doc_key=doc_key,
                turns=(Turn("A", tuple(a)), Turn("B", tuple(b))),
                clusters=tuple(Cluster(tuple(_span(text, 0, m, k) for m, k in mentions), label) for label, mentions in clusters),
                boxes=tuple(Box(label, f, bbox, name) for label, (f, bbox, name) in boxes.items()),
                title=title,
                fps=FPS,
                frame_size=FRAME,
                frame_count=900,
            )
        )
    return out


def run(out: Path) -> int:
    out.mkdir(parents=True, exist_ok=True)
    dialogues = demo_dialogues()
    lines = [release.to_line(d) for d in dialogues]
    write_lines(out / "demo.release.jsonl", lines)
    problems = [str(p) for p in check_lines(lines, FRAME)]
    for p in problems:
        log.error("validate: %s", p)
    tasks = [labelstudio.to_task(d, video=f"/data/local-files/?d=demo/videos/{d.doc_key}.mp4") for d in dialogues]
    with atomic_writer(out / "demo.labelstudio.json") as fh:
        json.dump(tasks, fh, ensure_ascii=False, indent=1)
    with atomic_writer(out / "demo.conll") as fh:
        conll.write(dialogues, fh)
    splits = {d.doc_key: ("celeb" if any(b.celebrity for b in d.boxes) else "no_celeb", "train" if i < 3 else "val") for i, d in enumerate(dialogues)}
    split(dialogues, splits, {d.doc_key: d.title or "" for d in dialogues}, out / "split")
    from label_studio_sdk.label_interface import LabelInterface

    import templates

    interface = LabelInterface(templates.labeling_config())
    invalid = [
        f"{t['data']['doc_key']}: {e}"
        for t in tasks
        for e in interface.validate_prediction({"result": t["annotations"][0]["result"]}, return_errors=True)
    ]
    for e in invalid:
        log.error("template: %s", e)
    back = [release.to_line(labelstudio.from_task(json.loads(json.dumps(t, ensure_ascii=False)))) for t in tasks]
    same = sum(a == b for a, b in zip(lines, back))
    regions = sum(len(t["annotations"][0]["result"]) for t in tasks)
    mentions = sum(len(c.spans) for d in dialogues for c in d.clusters)
    print(f"MCR Studio demo: {len(dialogues)} dialogues, {mentions} mentions, {sum(len(d.boxes) for d in dialogues)} head boxes")
    print(f"  validate           : {len(problems)} problem(s)")
    print(f"  Label Studio tasks : {out / 'demo.labelstudio.json'} ({regions} regions, {len(invalid)} invalid for templates/coref_video.xml)")
    print(f"  round trip         : {same}/{len(lines)} release lines byte-identical after Label Studio")
    print(f"  CoNLL-2012         : {out / 'demo.conll'}")
    print(f"  release + split    : {out / 'demo.release.jsonl'}, {out / 'split'}/")
    print("`make demo` runs Label Studio, the ML backend and the demo videos with these dialogues.")
    return 0 if not problems and not invalid and same == len(lines) else 1


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m ls_backend.demo.dialogues", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", type=Path, default=Path("out/demo"), help="output directory (default: out/demo)")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    return run(args.out)


if __name__ == "__main__":
    sys.exit(main())
