"""The coreference kind's ``exports`` commands: ``validate``, ``to-labelstudio`` and ``from-labelstudio`` on release files."""
from __future__ import annotations

import argparse
import json
import logging
from collections import defaultdict
from dataclasses import replace
from pathlib import Path
from typing import Any

from exports import labelstudio, release
from exports.io import InputError, ReadReport, atomic_writer, read_release, read_task_list, read_text_lines, read_titles, write_lines
from exports.io.media import MediaError, VideoSource
from exports.validate import check_lines

log = logging.getLogger("exports")


def validate(args: argparse.Namespace) -> int:
    """``exports validate``: every problem of a release file as ``doc_key: field: message``."""
    lines = read_text_lines(args.file)
    n = 0
    for problem in check_lines(lines, args.frame_size):
        print(problem)
        n += 1
    docs = sum(1 for line in lines if line.strip())
    log.info("%s: %d dialogue line(s), %d problem(s)", args.file, docs, n)
    return 1 if n else 0


def to_labelstudio(args: argparse.Namespace) -> int:
    """``exports to-labelstudio``: dialogues as Label Studio tasks (their videos probed), with their annotation."""
    report = ReadReport(args.file)
    titles = read_titles(args.titles)
    root = Path(args.video_root) if args.video_root else None
    doc_root = Path(args.document_root) if args.document_root else (root.resolve().parent if root else None)
    videos = VideoSource(root=root, document_root=doc_root, url_prefix=args.video_url_prefix)
    try:
        videos.check()
    except MediaError as exc:
        raise InputError(str(exc)) from None
    tasks = []
    unprobed = 0
    for _, d in read_release(args.file, report):
        d, warning = videos.attach(d)
        if warning:
            unprobed += 1
            log.warning("%s", warning)
        changes: dict[str, Any] = {}
        if args.fps:
            changes["fps"] = args.fps
        if args.frame_size:
            changes["frame_size"] = args.frame_size
        if d.doc_key in titles:
            changes["title"] = titles[d.doc_key]
        try:
            d = replace(d, **changes) if changes else d
            tasks.append(labelstudio.to_task(d, annotation=not args.no_annotations))
        except ValueError as exc:
            report.add(None, f"{d.doc_key}: {exc}")
    with atomic_writer(args.out) as fh:
        json.dump(tasks, fh, ensure_ascii=False)
    shown = sum(1 for t in tasks if "frame_width" in t["data"] and "fps" in t["data"])
    log.info("wrote %d tasks to %s (%d with frame size and rate, boxes shown as regions)", len(tasks), args.out, shown)
    if unprobed:
        log.warning("%d video(s) could not be probed", unprobed)
    return 1 if report.problems else 0


def from_labelstudio(args: argparse.Namespace) -> int:
    """``exports from-labelstudio``: a Label Studio export back to release lines (one file, or one per annotator)."""
    tasks = read_task_list(args.file)
    report = ReadReport(args.file)
    per_annotator: dict[str, list[str]] = defaultdict(list)
    in_order: list[str] = []  # --out: task order
    keys = {"label_key": args.label_key, "celebrity_key": args.celebrity_key}
    skipped = 0
    for ti, task in enumerate(tasks):
        where = f"task {task.get('id', ti)}" if isinstance(task, dict) else f"task #{ti}"
        if not isinstance(task, dict) or not isinstance(task.get("data"), dict):
            report.add(None, f"{where}: data: expected a task object with 'data'")
            continue
        anns = [a for a in task.get("annotations") or [] if isinstance(a, dict) and not a.get("was_cancelled")]
        if not anns:
            skipped += 1
            log.warning("%s (%s): no annotation; skipped", where, task["data"].get("doc_key"))
            continue
        if len(anns) > 1 and args.out:
            report.add(None, f"{where} ({task['data'].get('doc_key')}): annotations: {len(anns)} annotations; use --out-dir for one file per annotator")
            continue
        seen: set[str] = set()
        for ann in anns:
            name = labelstudio.annotator_name(ann)
            if name in seen:
                name = f"{name}_{ann.get('id', len(seen))}"
            seen.add(name)
            try:
                d = labelstudio.from_task(task, ann.get("result") or [])
                line = release.to_line(d, **keys)
                per_annotator[name].append(line)
                in_order.append(line)
            except (labelstudio.LabelStudioFormatError, ValueError) as exc:
                report.add(None, f"{exc} (annotation {ann.get('id', '?')} by {name})")
    if args.out:
        n = write_lines(args.out, in_order)
        log.info("wrote %d dialogues to %s", n, args.out)
    else:
        for name, lines in sorted(per_annotator.items()):
            path = Path(args.out_dir) / f"{name}.jsonl"
            write_lines(path, lines)
            log.info("wrote %d dialogues of %s to %s", len(lines), name, path)
    if skipped:
        log.warning("%d task(s) without annotations were skipped", skipped)
    return 1 if report.problems else 0
