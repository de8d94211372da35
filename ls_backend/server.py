"""``ls-backend start``: the Flask app under gunicorn (a production WSGI server), N worker processes."""
from __future__ import annotations

import logging
from typing import Any

from ls_backend.config import Config

log = logging.getLogger(__name__)


def serve(config: Config, host: str, port: int, workers: int, timeout: int = 120) -> None:
    """Run gunicorn in this process until it is stopped (SIGINT / SIGTERM).

    The service is built in the master first, so a bad model path or database URL fails
    at start-up with a clear error instead of at the first request.
    """
    from gunicorn.app.base import BaseApplication

    from ls_backend.app import create_app
    from ls_backend.service import TextService

    TextService(config)  # validate configuration, create the schema, register the model

    class _App(BaseApplication):
        def load_config(self) -> None:
            for key, value in {"bind": f"{host}:{port}", "workers": workers, "timeout": timeout, "accesslog": "-",
                               "graceful_timeout": 10}.items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            return create_app(config)

    _App().run()
