"""`ls-backend start` (gunicorn, 2 workers) on a free loopback port, for the live tests; stopped by them."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ls_backend.workspace.server import free_port

REPO = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class RunningBackend:
    url: str
    data_dir: Path

    def metrics(self) -> dict:
        with urllib.request.urlopen(self.url + "/metrics", timeout=10) as resp:
            return json.loads(resp.read())


@contextmanager
def running_backend(data_dir: Path, debounce: float = 1.0) -> Iterator[RunningBackend]:
    port = free_port()
    log_path = data_dir / "backend.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "ls_backend.cli", "start", "--port", str(port), "--workers", "2", "--data-dir", str(data_dir)],
            stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "MCR_RETRAIN_DEBOUNCE": str(debounce)}, cwd=REPO,
            start_new_session=True,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            for _ in range(240):
                try:
                    urllib.request.urlopen(url + "/health", timeout=1).read()
                    break
                except OSError:
                    if proc.poll() is not None:
                        raise AssertionError(log_path.read_text()) from None
                    time.sleep(0.5)
            yield RunningBackend(url, data_dir)
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(10)
