"""``ls-backend project create``: a Label Studio project with our template and guidelines, the dialogues imported.

Prints the new project's id as the last line of its output.
"""
from __future__ import annotations

import argparse
import logging
import os
from pathlib import Path
from typing import Any

from exports import ls_client
from exports.io import InputError, ReadReport, read_release
from exports.media import VideoSource

log = logging.getLogger("ls_backend")


def add_parser(sub: Any) -> None:
    project = sub.add_parser("project", help="Label Studio projects for MCR Studio")
    psub = project.add_subparsers(dest="action", required=True, metavar="ACTION")
    c = psub.add_parser("create", help="create a project with our template and guidelines, and import dialogues")
    ls_client.add_options(c)
    c.add_argument("--config", help="JSON config file (see ls_backend/config.py; label_studio_url, label_studio_api_key)")
    c.add_argument("--title", required=True, help="project title")
    c.add_argument("--from", dest="source", required=True, metavar="FILE", help="release JSONL with the dialogues to import (--task ner: a BIO file of posts)")
    c.add_argument("--task", choices=("coref", "ner"), default="coref", help="coreference dialogues with videos (default), or post NER")
    c.add_argument("--image-root", type=Path, help="--task ner: the posts' images (<id>.jpg, <id>_1.jpg ... or <id>/), under Label Studio's document root")
    c.add_argument("--image-url-prefix", help="--task ner: images served at <prefix><path under --image-root>")
    ann = c.add_mutually_exclusive_group()
    ann.add_argument("--with-annotations", action="store_true", help="import the file's annotations as annotations")
    ann.add_argument("--with-predictions", metavar="VERSION", help="import the file's annotations as predictions of model VERSION")
    media = c.add_mutually_exclusive_group()
    media.add_argument("--video-root", type=Path, help="directory with <doc_key>.mp4 videos, under Label Studio's document root")
    media.add_argument("--video-url-prefix", help="videos served at <prefix><doc_key>.mp4")
    c.add_argument(
        "--document-root",
        type=Path,
        default=os.environ.get("LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT"),
        help="Label Studio's LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT (default: that variable)",
    )
    c.add_argument("--ml-backend", metavar="URL", help="connect the MCR Studio ML backend at URL")
    c.add_argument("--skip-invalid", action="store_true", help="import the valid dialogues when some lines are invalid (default: stop)")


def run(args: argparse.Namespace) -> int:
    """Raises:
        InputError: bad input file, server unreachable or key refused (nothing created).
        ProjectError / ProjectPartlyCreated: the server refused a step (nothing created / the project is incomplete).
    """
    from ls_backend.commands.common import load_config
    from ls_backend.workspace.project import create_project

    url, api_key = load_config(args).label_studio(args.url, args.api_key)
    if args.task == "ner":
        return _create_post_project(args, url, api_key)
    report = ReadReport(args.source)
    dialogues = [d for _, d in read_release(args.source, report)]
    if report.problems and not args.skip_invalid:
        raise InputError(f"{len(report.problems)} invalid line(s) in {args.source}; nothing was created (fix them, or pass --skip-invalid)")
    if not dialogues:
        raise InputError(f"{args.source}: no dialogue to import; nothing was created")
    client = ls_client.connect(url, api_key, timeout=60)
    videos = VideoSource(root=args.video_root, document_root=args.document_root, url_prefix=args.video_url_prefix)

    def progress(done: int, total: int) -> None:
        log.info("imported %d/%d tasks", done, total)

    result = create_project(
        client,
        title=args.title,
        dialogues=dialogues,
        videos=videos,
        with_annotations=args.with_annotations,
        with_predictions=args.with_predictions,
        ml_backend=args.ml_backend,
        base_url=url.rstrip("/"),
        progress=progress,
    )
    for warning in result.warnings:
        log.warning("%s", warning)
    log.info("project %d: %d tasks, %s", result.id, result.tasks, result.url)
    print(result.id)
    return 1 if report.problems or result.failed_steps else 0


def _create_post_project(args: argparse.Namespace, url: str, api_key: str) -> int:
    from urllib.parse import quote

    from exports.bio import BioFormatError, read_bio
    from exports.ner_cli import images_of
    from ls_backend.workspace.project import create_post_project

    problems: list = []
    try:
        posts, layout = read_bio(args.source, problems)
    except BioFormatError as exc:
        raise InputError(str(exc)) from None
    if problems and not args.skip_invalid:
        for p in problems:
            log.error("%s: %s", args.source, p)
        raise InputError(f"{len(problems)} tag problem(s) in {args.source}; nothing was created (fix them, or pass --skip-invalid)")
    root = args.image_root
    doc_root = args.document_root or (root.resolve().parent if root else None)

    def images(post):
        if root is None:
            return None
        files = images_of(root, post.id)
        if args.image_url_prefix:
            return [args.image_url_prefix + quote(str(f.relative_to(root))) for f in files]
        return ["/data/local-files/?d=" + quote(str(f.resolve().relative_to(doc_root.resolve()))) for f in files]

    client = ls_client.connect(url, api_key, timeout=60)
    result = create_post_project(client, title=args.title, posts=posts, layout=layout, images=images,
                                 image_root=root if root is not None and not args.image_url_prefix else None,
                                 with_annotations=args.with_annotations, with_predictions=args.with_predictions, ml_backend=args.ml_backend,
                                 base_url=url.rstrip("/"), progress=lambda done, total: log.info("imported %d/%d posts", done, total))
    for warning in result.warnings:
        log.warning("%s", warning)
    log.info("project %d: %d posts, %s", result.id, result.tasks, result.url)
    print(result.id)
    return 1 if problems or result.failed_steps else 0
