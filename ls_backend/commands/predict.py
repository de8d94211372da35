"""``ls-backend predict``: pre-annotate dialogues offline, as release lines or Label Studio tasks with predictions.

``--data`` reads a release JSONL (its annotations are ignored); ``--tasks`` reads Label Studio tasks whose
``data.video`` is a local path or an allow-listed URL, runs the video pipeline over those videos and links
the persons to the clusters. Each dialogue goes through :func:`~ls_backend.pipeline.propose.propose`, as in
``/predict``.
"""
from __future__ import annotations

import argparse
import logging
from typing import Any

from exports import kinds
from ls_backend.commands import for_kind

log = logging.getLogger("ls_backend")


def add_parser(sub: Any) -> None:
    pr = sub.add_parser("predict", help="pre-annotate dialogues (and their videos, with --tasks) offline")
    src = pr.add_mutually_exclusive_group(required=True)
    src.add_argument("--data", help="release JSONL (annotations, if any, are ignored)")
    src.add_argument("--tasks", help="JSON list of Label Studio tasks whose data.video is a local path or an allow-listed URL")
    pr.add_argument("--config", help="JSON config file (video settings, media_url_prefixes; see ls_backend/infra/config.py)")
    pr.add_argument("--titles", help="video_titles.jsonl")
    pr.add_argument("--out", required=True, help="output file")
    pr.add_argument("--format", choices=("release", "labelstudio"), default="release", help="release JSONL, or Label Studio tasks with predictions")
    pr.add_argument("--model", help="text model file or directory (default: the shipped model)")
    pr.add_argument("--workers", type=int, help="with --tasks: video processes (default: 1); with --ray, Ray actors (default: one per CPU slot or GPU)")
    pr.add_argument("--ray", nargs="?", const="", metavar="ADDRESS",
                    help="with --tasks: analyse the videos on a Ray cluster (ADDRESS; without it, $RAY_ADDRESS or a local cluster)")
    kinds.add_task_option(pr)


def run(args: argparse.Namespace) -> int:
    return for_kind(args.task).predict(args)
