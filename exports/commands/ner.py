"""The post NER kind's ``exports`` commands (``--task ner``): post BIO files <-> Label Studio tasks, and their validation.

    exports to-labelstudio POSTS.txt --task ner --out TASKS.json [--image-root DIR [--document-root DIR] | --image-url-prefix URL]
    exports from-labelstudio EXPORT.json --task ner --out POSTS.txt | --out-dir DIR
    exports validate POSTS.txt --task ner [--image-root DIR]

A post's images are the files of ``--image-root`` named ``<post id>.<ext>``, ``<post id>_<n>.<ext>`` or
``<post id>-<n>.<ext>``, or in a folder ``<post id>/``, in natural order.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
from collections import defaultdict
from pathlib import Path
from typing import Any
from urllib.parse import quote

from exports.bio import BioFormatError, BioProblem, read_bio, write_bio
from exports.io import InputError, ReadReport, atomic_writer, read_task_list
from exports.labelstudio import LabelStudioFormatError, annotator_name
from exports.labelstudio import post as post_task
from exports.io.media import images_of

log = logging.getLogger("exports")


def _read(path: str) -> tuple[list, Any, list[BioProblem]]:
    problems: list[BioProblem] = []
    try:
        posts, layout = read_bio(path, problems)
    except BioFormatError as exc:
        raise InputError(str(exc)) from None
    return posts, layout, problems


def to_labelstudio(args: argparse.Namespace) -> int:
    posts, layout, problems = _read(args.file)
    for p in problems:
        log.warning("%s: %s", args.file, p)
    root = Path(args.image_root) if getattr(args, "image_root", None) else None
    doc_root = Path(args.document_root or (root.resolve().parent if root else "."))  # --document-root defaults to Label Studio's variable
    tasks, without = [], 0
    for i, post in enumerate(posts):
        images = None
        if root is not None:
            files = images_of(root, post.id)
            if not files:
                without += 1
            if getattr(args, "image_url_prefix", None):
                images = [args.image_url_prefix + quote(str(f.relative_to(root))) for f in files]
            else:
                images = ["/data/local-files/?d=" + quote(os.path.relpath(f.resolve(), doc_root.resolve())) for f in files]
        elif getattr(args, "image_url_prefix", None):
            images = []
        tasks.append(post_task.to_task(post, layout, i, last=i == len(posts) - 1, images=images, annotation=not args.no_annotations))
    with atomic_writer(args.out) as fh:
        json.dump(tasks, fh, ensure_ascii=False)
    log.info("wrote %d post tasks to %s (%d images%s)", len(tasks), args.out, sum(len(t["data"]["images"]) for t in tasks),
             f"; {without} post(s) without an image under {root}" if root else "")
    return 1 if problems else 0


def from_labelstudio(args: argparse.Namespace) -> int:
    tasks = read_task_list(args.file)
    report = ReadReport(args.file)
    good = [t for t in tasks if isinstance(t, dict) and isinstance(t.get("data"), dict)]
    for ti, t in enumerate(tasks):
        if t not in good:
            report.add(None, f"task #{ti}: data: expected a task object with 'data'")
    ordered, layout = post_task.layout_of(good)
    per_annotator: dict[str, list] = defaultdict(list)
    in_order = []
    for task in ordered:
        where = f"task {task.get('id', '?')} ({task['data'].get('post_id')})"
        anns = [a for a in task.get("annotations") or [] if isinstance(a, dict) and not a.get("was_cancelled")]
        if not anns:
            log.warning("%s: no annotation; skipped", where)
            continue
        if len(anns) > 1 and args.out:
            report.add(None, f"{where}: annotations: {len(anns)} annotations; use --out-dir for one file per annotator")
            continue
        seen: set[str] = set()
        for ann in anns:
            name = annotator_name(ann)
            name = f"{name}_{ann.get('id', len(seen))}" if name in seen else name
            seen.add(name)
            try:
                post = post_task.from_task(task, ann.get("result") or [])
            except LabelStudioFormatError as exc:
                report.add(None, f"{exc} (annotation {ann.get('id', '?')} by {name})")
                continue
            per_annotator[name].append(post)
            in_order.append(post)
    if args.out:
        write_bio(args.out, in_order, layout)
        log.info("wrote %d posts to %s", len(in_order), args.out)
    else:
        for name, posts in sorted(per_annotator.items()):
            path = Path(args.out_dir) / f"{name}.txt"
            write_bio(path, posts, layout)
            log.info("wrote %d posts of %s to %s", len(posts), name, path)
    return 1 if report.problems else 0


def validate(args: argparse.Namespace) -> int:
    """Every problem of a post BIO file as ``id: field: message (line N)``."""
    problems: list[BioProblem] = []
    try:
        posts, layout = read_bio(args.file, problems)
    except BioFormatError as exc:
        print(exc)
        return 1
    lines = [str(p) for p in problems]
    root = Path(args.image_root) if getattr(args, "image_root", None) else None
    header_line = layout.header_lines
    for post in posts:
        if not any(t.strip() for t in post.tokens):
            lines.append(f"{post.id}: tokens: the post has no text (line {header_line.get(post.id, '?')})")
        if root is not None and not images_of(root, post.id):
            lines.append(f"{post.id}: images: no image under {root} (line {header_line.get(post.id, '?')})")
    for line in lines:
        print(line)
    log.info("%s: %d post(s), %d problem(s)", args.file, len(posts), len(lines))
    return 1 if lines else 0


def convert(args: argparse.Namespace) -> int:
    """``exports posts IN --out OUT``: a BIO file (``.txt``) <-> the posts JSONL with image paths (``.jsonl``)."""
    from exports.io import read_jsonl_records, write_lines
    from exports.posts import from_json, to_json

    src, dst = Path(args.file), Path(args.out)
    if src.suffix == ".jsonl":
        report = ReadReport(str(src))
        posts = []
        for lineno, record in read_jsonl_records(src, report):
            try:
                posts.append(from_json(record))
            except ValueError as exc:
                report.add(lineno, str(exc))
        write_bio(dst, posts)
        log.info("wrote %d posts to %s", len(posts), dst)
        return 1 if report.problems else 0
    posts, _, problems = _read(str(src))
    for p in problems:
        log.warning("%s: %s", src, p)
    root = Path(args.image_root) if args.image_root else None
    lines = []
    for post in posts:
        record = to_json(post)
        if root is not None:
            record["images"] = [str(p) for p in images_of(root, post.id)]
        lines.append(json.dumps(record, ensure_ascii=False))
    write_lines(dst, lines)
    log.info("wrote %d posts to %s", len(lines), dst)
    return 1 if problems else 0
