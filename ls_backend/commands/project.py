"""``ls-backend project create``: a Label Studio project with our template and guidelines, the dialogues imported.

Prints the new project's id as the last line of its output.
"""
from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import Any

from exports import kinds
from exports.io import label_studio as ls_client
from ls_backend.commands import for_kind

log = logging.getLogger("ls_backend")


def add_parser(sub: Any) -> None:
    project = sub.add_parser("project", help="Label Studio projects for MCR Studio")
    psub = project.add_subparsers(dest="action", required=True, metavar="ACTION")
    c = psub.add_parser("create", help="create a project with our template and guidelines, and import dialogues")
    ls_client.add_options(c)
    c.add_argument("--config", help="JSON config file (see ls_backend/infra/config.py; label_studio_url, label_studio_api_key)")
    c.add_argument("--title", required=True, help="project title")
    c.add_argument("--from", dest="source", required=True, metavar="FILE", help="release JSONL with the dialogues to import (--task ner: a BIO file of posts)")
    kinds.add_task_option(c)
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
        help="Label Studio's LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT (default: that variable, or document_root in --config)",
    )
    c.add_argument("--ml-backend", metavar="URL", help="connect the MCR Studio ML backend at URL")
    c.add_argument("--skip-invalid", action="store_true", help="import the valid dialogues when some lines are invalid (default: stop)")


def run(args: argparse.Namespace) -> int:
    """Raises:
        InputError: bad input file, server unreachable or key refused (nothing created).
        ProjectError / ProjectPartlyCreated: the server refused a step (nothing created / the project is incomplete).
    """
    from ls_backend.commands.common import load_config

    config = load_config(args)
    url, api_key = config.label_studio(args.url, args.api_key)
    if args.document_root is None:
        args.document_root = config.document_root
    return for_kind(args.task).create_project(args, url, api_key)
