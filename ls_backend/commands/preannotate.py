"""``ls-backend preannotate``: the video pipeline over a project's tasks, predictions uploaded (see ``ls_backend/jobs/preannotate.py``)."""
from __future__ import annotations

import argparse
from typing import Any

from exports.io import label_studio as ls_client


def add_parser(sub: Any) -> None:
    pa = sub.add_parser("preannotate", help="run the video pipeline over a project's tasks and upload predictions")
    ls_client.add_options(pa)
    pa.add_argument("--project", type=int, required=True, help="project id")
    pa.add_argument("--workers", type=int, help="video processes (default: 1); with --ray, Ray actors (default: one per CPU slot or GPU)")
    pa.add_argument("--ray", nargs="?", const="", metavar="ADDRESS",
                    help="analyse the videos on a Ray cluster (ADDRESS such as 10.0.0.5:6379; without it, $RAY_ADDRESS or a local cluster)")
    pa.add_argument("--data-dir", help="the backend's data dir: its store caches the results (default: $MCR_DATA_DIR or ./ls-backend-data)")
    pa.add_argument("--database-url", help="SQLAlchemy URL of the store (default: SQLite in the data dir)")
    pa.add_argument("--config", help="JSON config file (see ls_backend/infra/config.py)")


def run(args: argparse.Namespace) -> int:
    from ls_backend.commands.common import check_video_and_alignment, load_config
    from ls_backend.jobs.preannotate import preannotate

    config = load_config(args, data_dir=args.data_dir, database_url=args.database_url)
    url, api_key = config.label_studio(args.url, args.api_key)
    check_video_and_alignment(config)
    return preannotate(config, url, api_key, args.project, workers=args.workers, ray=args.ray)
