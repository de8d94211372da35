"""`ls-backend start` runs one trainer process beside its gunicorn workers: it trains, it comes back after a
SIGKILL, and it stops with the server."""
from __future__ import annotations

import json
import os
import signal
import time
import urllib.request
from pathlib import Path

import pytest

from ls_backend.serving import server
from ls_backend.infra.config import Config
from ls_backend.infra.store import Store
from ls_backend.workspace.server import free_port
from tests.ls_backend.test_app import _annotation_event

pytestmark = pytest.mark.slow


def _children(pid: int) -> list[int]:
    out = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        out += [int(c) for c in (task / "children").read_text().split()]
    return out


def _trainer_of(master: int, timeout: float = 60.0, not_pid: int | None = None) -> int:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        for child in _children(master):
            try:
                cmd = Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"ls_backend.learning.trainer" in cmd and child != not_pid:
                return child
        time.sleep(0.2)
    raise AssertionError(f"no trainer process under {master}")


def _post(url: str, body: dict) -> dict:
    req = urllib.request.Request(url, data=json.dumps(body, ensure_ascii=False).encode(), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read())


def test_the_trainer_process_trains_comes_back_after_a_kill_and_stops_with_the_server(tmp_path, database_url):
    data_dir = tmp_path / "b"
    proc, url = server.launch(data_dir, "127.0.0.1", free_port(), data_dir / "backend.log", env={"MCR_RETRAIN_DEBOUNCE": "0.5"},
                              args=["--database-url", database_url] if database_url else [])
    try:
        first = _trainer_of(proc.pid)
        os.kill(first, signal.SIGKILL)
        second = _trainer_of(proc.pid, not_pid=first)  # gunicorn's master starts it again
        before = _post(url + "/setup", {})["model_version"]
        assert _post(url + "/webhook", _annotation_event(1, 1, "n1", "可乐", "跳得真好"))["status"].startswith("stored 1")
        store = Store(database_url or Config(data_dir=data_dir).db_url)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and store.active_version().version == before:
            time.sleep(0.5)
        row = store.active_version()
        assert row.version != before and row.info["trained_in"].endswith(f":{second}")  # trained by the trainer, not a web worker
        assert _post(url + "/setup", {})["model_version"] == row.version  # and every worker serves it
    finally:
        server.stop(proc, timeout=30)
    time.sleep(0.5)
    assert not Path(f"/proc/{second}").exists() or b"ls_backend.learning.trainer" not in Path(f"/proc/{second}/cmdline").read_bytes()
