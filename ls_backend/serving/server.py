"""``ls-backend start``: the Flask app under gunicorn (a production WSGI server), N worker processes; and the same
as a child process (:func:`launch` / :func:`stop`) for the demo, the live tests and the benchmarks."""
from __future__ import annotations

import logging
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from ls_backend.infra.config import Config
from ls_backend.workspace.server import stop_group
from ls_backend.infra.config import child_environ

log = logging.getLogger(__name__)


def serve(config: Config, host: str, port: int, workers: int, timeout: int = 120) -> None:
    """Run gunicorn in this process until it is stopped (SIGINT / SIGTERM), with one trainer process beside
    the web workers (restarted by the master if it dies, stopped with it).

    The backend is built in the master first, so a bad model path or database URL fails
    at start-up with a clear error instead of at the first request.
    """
    from gunicorn.app.base import BaseApplication
    from gunicorn.arbiter import Arbiter

    from ls_backend.serving.app import create_app
    from ls_backend.serving.backend import Backend
    from ls_backend.learning.trainer import TrainerProcess

    Backend(config, own_trainer=False)  # validate configuration, create the schema, register the model
    trainer = TrainerProcess(config)

    class _Arbiter(Arbiter):
        def manage_workers(self) -> None:
            super().manage_workers()
            if trainer.proc is not None and trainer.proc.poll() is not None:
                log.warning("the trainer process exited (%s); starting it again", trainer.proc.returncode)
            trainer.ensure()

        def halt(self, reason=None, exit_status=0) -> None:
            trainer.stop()
            super().halt(reason, exit_status)

    class _App(BaseApplication):
        def load_config(self) -> None:
            for key, value in {"bind": f"{host}:{port}", "workers": workers, "timeout": timeout, "accesslog": "-",
                               "graceful_timeout": 10}.items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            return create_app(config, own_trainer=False)

        def run(self) -> None:
            _Arbiter(self).run()

    _App().run()


class BackendError(RuntimeError):
    """``ls-backend start`` in a child process exited or did not answer in time."""


def launch(data_dir: Path, host: str, port: int, log_path: Path, *, workers: int = 2, env: dict[str, str] | None = None,
           timeout: float = 120.0, args: list[str] | None = None) -> tuple[subprocess.Popen, str]:
    """``ls-backend start`` as a child process in a session of its own (stop it with :func:`stop`),
    its output appended to ``log_path``; returns once ``/health`` answers.

    Raises:
        BackendError: the process exited (the log says why) or did not answer within ``timeout`` (then it is stopped).
    """
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "ls_backend.cli", "start", "--host", host, "--port", str(port), "--workers", str(workers),
             "--data-dir", str(data_dir), *(args or [])],
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True, env=child_environ(**(env or {})),
        )
    url = f"http://{host}:{port}"
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise BackendError(f"the ML backend exited with code {proc.returncode}; see {log_path}")
        try:
            urllib.request.urlopen(url + "/health", timeout=1).read()
            return proc, url
        except OSError:
            time.sleep(0.3)
    stop(proc)
    raise BackendError(f"the ML backend did not answer on {url} within {timeout:.0f} s; see {log_path}")


def stop(proc: subprocess.Popen | None, timeout: float = 20.0) -> None:
    """Stop a backend started by :func:`launch` (SIGTERM to its process group, SIGKILL after ``timeout``)."""
    stop_group(proc, timeout)
