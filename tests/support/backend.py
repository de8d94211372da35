"""`ls-backend start` (gunicorn, 2 workers) on a free loopback port, for the live tests; stopped by them."""
from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ls_backend.serving import server
from ls_backend.workspace.server import free_port


@dataclass(frozen=True)
class RunningBackend:
    url: str
    data_dir: Path

    def metrics(self) -> dict:
        with urllib.request.urlopen(self.url + "/metrics", timeout=10) as resp:
            return json.loads(resp.read())


@contextmanager
def running_backend(data_dir: Path, debounce: float = 1.0, env: dict[str, str] | None = None) -> Iterator[RunningBackend]:
    """The backend on ``data_dir`` (log: ``data_dir/backend.log``), retraining ``debounce`` s after an annotation; ``env``:
    more of its environment (e.g. ``LABEL_STUDIO_URL`` / ``LABEL_STUDIO_API_KEY`` for catch-up)."""
    proc, url = server.launch(data_dir, "127.0.0.1", free_port(), data_dir / "backend.log", env={"MCR_RETRAIN_DEBOUNCE": str(debounce), **(env or {})})
    try:
        yield RunningBackend(url, data_dir)
    finally:
        server.stop(proc, timeout=30)
