"""``ls-backend start``: serve the ML backend for Label Studio (gunicorn workers and one trainer process)."""
from __future__ import annotations

import argparse
from typing import Any


def add_parser(sub: Any) -> None:
    st = sub.add_parser("start", help="serve the ML backend for Label Studio (gunicorn)")
    st.add_argument("--host", default="127.0.0.1", help="address (default: 127.0.0.1)")
    st.add_argument("--port", type=int, default=9090, help="port (default: 9090)")
    st.add_argument("--workers", type=int, default=2, help="worker processes (default: 2)")
    st.add_argument("--data-dir", help="store, trained versions (default: $MCR_DATA_DIR or ./ls-backend-data)")
    st.add_argument("--database-url", help="SQLAlchemy URL of the store (default: SQLite in the data dir)")
    st.add_argument("--text-model", help="text model to serve first (default: the shipped model)")
    st.add_argument("--config", help="JSON config file (see ls_backend/infra/config.py)")


def run(args: argparse.Namespace) -> int:
    """Raises:
        ConfigError: the configuration cannot be used (nothing started).
    """
    from ls_backend.commands.common import check_video_and_alignment, load_config
    from ls_backend.commands.errors import ConfigError
    from ls_backend.serving.server import serve

    try:
        config = load_config(args, data_dir=args.data_dir, database_url=args.database_url, text_model=args.text_model)
        check_video_and_alignment(config)
        serve(config, args.host, args.port, args.workers)
    except ValueError as exc:  # ConfigError too
        raise ConfigError(f"cannot start: {exc}") from None
    return 0
