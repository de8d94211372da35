"""A real Label Studio server on loopback: installed in its own virtualenv, started, stopped.

Label Studio 1.23.2 pins versions that clash with ours, so it lives in a virtualenv of its
own (``$MCR_LS_VENV`` or ``~/.cache/mcr-studio/label-studio-1.23.2``), created on first
use (about a minute) and reused afterwards. The first start on a fresh data directory
creates the admin user and its legacy API token from ``LABEL_STUDIO_USERNAME`` /
``_PASSWORD`` / ``_USER_TOKEN`` (legacy tokens are what the ML backend's ``/setup``
receives, so ``LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN`` is on). Local media is served from
``document_root`` (``LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT``).
"""
from __future__ import annotations

import logging
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from ls_backend.infra.config import child_environ, environ

log = logging.getLogger(__name__)

LS_VERSION = "1.23.2"

# Label Studio 1.23 refuses URLs on reserved networks (SSRF protection), loopback included,
# which is where the MCR Studio ML backend runs next to it. We keep the protection and
# lift only 127.0.0.0/8: Label Studio's own default list without the IPv4 loopback entry.
BANNED_SUBNETS_EXCEPT_LOOPBACK = ",".join([
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "169.254.0.0/16", "172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24",
    "192.88.99.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4",
    "233.252.0.0/24", "240.0.0.0/4", "255.255.255.255/32", "::/128", "::1/128", "::ffff:0:0/96", "::ffff:0:0:0/96",
    "64:ff9b::/96", "64:ff9b:1::/48", "100::/64", "2001:0000::/32", "2001:20::/28", "2001:db8::/32", "2002::/16",
    "fc00::/7", "fe80::/10", "ff00::/8",
])


class LabelStudioError(RuntimeError):
    """Label Studio could not be installed, started or reached."""


def venv_dir() -> Path:
    env = environ("MCR_LS_VENV")
    if env:
        return Path(env)
    base = Path(environ("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "mcr-studio" / f"label-studio-{LS_VERSION}"


def ensure_label_studio(venv: Path | None = None) -> Path:
    """Path of the ``label-studio`` executable, installing it into ``venv`` first if needed.

    Raises:
        LabelStudioError: the install failed (the pip output's tail is in the message).
    """
    from filelock import FileLock

    venv = venv or venv_dir()
    exe = venv / "bin" / "label-studio"
    marker = venv / f".mcr-installed-{LS_VERSION}"
    if marker.exists() and exe.exists():
        return exe
    venv.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(venv) + ".lock"):
        if marker.exists() and exe.exists():
            return exe
        log.info("installing label-studio==%s into %s (once; about a minute)", LS_VERSION, venv)
        steps = [
            [sys.executable, "-m", "venv", "--clear", str(venv)],
            [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", f"label-studio=={LS_VERSION}"],
        ]
        for cmd in steps:
            proc = subprocess.run(cmd, capture_output=True, text=True)
            if proc.returncode != 0:
                raise LabelStudioError(f"installing Label Studio failed: {' '.join(cmd)}\n{(proc.stdout + proc.stderr)[-3000:]}")
        marker.write_text(LS_VERSION)
    return exe


def stop_group(proc: subprocess.Popen | None, timeout: float = 20.0) -> bool:
    """Stop a process started in a session of its own, with everything it forked (SIGTERM to its process
    group, SIGKILL after ``timeout``). Returns whether it was running."""
    if proc is None or proc.poll() is not None:
        return False
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)
    except ProcessLookupError:
        pass
    return True


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    """Whether a server could listen on ``port`` now (connections in TIME_WAIT do not count)."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
        return True


@dataclass
class LabelStudioServer:
    """One Label Studio process. Use as a context manager or call :meth:`start` / :meth:`stop`.

    Args:
        data_dir: Label Studio's data directory (database, uploads); kept between runs.
        document_root: directory whose sub-directories Label Studio may serve as local files.
        port: TCP port on ``host``; a free one when ``None``.
    """

    data_dir: Path
    document_root: Path
    host: str = "127.0.0.1"
    port: int | None = None
    username: str = "admin@mcr-studio.local"
    password: str = "mcr-studio"
    token: str = field(default_factory=lambda: secrets.token_hex(20))
    _proc: subprocess.Popen | None = field(default=None, init=False, repr=False)
    _log_path: Path | None = field(default=None, init=False, repr=False)
    _started: float = field(default=0.0, init=False, repr=False)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in child_environ().items() if not k.startswith(("LABEL_STUDIO_", "DJANGO_"))}
        env.update(
            LABEL_STUDIO_BASE_DATA_DIR=str(self.data_dir),
            LABEL_STUDIO_USERNAME=self.username,
            LABEL_STUDIO_PASSWORD=self.password,
            LABEL_STUDIO_USER_TOKEN=self.token,
            LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN="true",
            LABEL_STUDIO_LOCAL_FILES_SERVING_ENABLED="true",
            LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT=str(self.document_root),
            LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK="true",
            USE_DEFAULT_BANNED_SUBNETS="false",
            USER_ADDITIONAL_BANNED_SUBNETS=BANNED_SUBNETS_EXCEPT_LOOPBACK,
            # no telemetry or update checks: the machine has no network
            COLLECT_ANALYTICS="false",
            LABEL_STUDIO_COLLECT_ANALYTICS="false",
            SENTRY_DSN="",
            FRONTEND_SENTRY_DSN="",
        )
        return env

    def start(self, timeout: float = 240.0) -> LabelStudioServer:
        """Install if needed, start, and wait until ``/health`` answers.

        Raises:
            LabelStudioError: the port is taken, the process died, or it did not answer in time.
        """
        self.launch()
        return self.wait(timeout)

    def launch(self) -> LabelStudioServer:
        """Start the process without waiting for it (call :meth:`wait` before using it)."""
        exe = ensure_label_studio()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.document_root.mkdir(parents=True, exist_ok=True)
        if self.port is None:
            self.port = free_port(self.host)
        elif not port_is_free(self.port, self.host):
            raise LabelStudioError(f"port {self.port} on {self.host} is in use; choose another with --port")
        self._log_path = self.data_dir / "label-studio.log"
        cmd = [str(exe), "start", "--internal-host", self.host, "--port", str(self.port), "--host", self.url,
               "--no-browser", "--data-dir", str(self.data_dir)]
        log.info("starting Label Studio %s at %s (log: %s)", LS_VERSION, self.url, self._log_path)
        with open(self._log_path, "ab") as log_file:
            self._proc = subprocess.Popen(
                cmd, env=self.env(), stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True, cwd=self.data_dir
            )
        self._started = time.monotonic()
        return self

    def wait(self, timeout: float = 240.0) -> LabelStudioServer:
        """Wait until ``/health`` answers (the clock runs from :meth:`launch`)."""
        if self._proc is None:
            raise LabelStudioError("Label Studio was not launched")
        while True:  # a server that answers is up, however long ago it was launched
            if self._proc.poll() is not None:
                raise LabelStudioError(f"Label Studio exited with code {self._proc.returncode}:\n{self.log_tail()}")
            if self.healthy():
                log.info("Label Studio is up after %.0f s", time.monotonic() - self._started)
                return self
            if time.monotonic() - self._started >= timeout:
                break
            time.sleep(1.0)
        self.stop()
        raise LabelStudioError(f"Label Studio did not answer on {self.url}/health within {timeout:.0f} s:\n{self.log_tail()}")

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/health", timeout=2) as resp:
                return resp.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def exited(self) -> bool:
        """Whether the process has ended (or was never started)."""
        return self._proc is None or self._proc.poll() is not None

    def log_tail(self, chars: int = 3000) -> str:
        if self._log_path is None or not self._log_path.exists():
            return "(no log)"
        return self._log_path.read_text(encoding="utf-8", errors="replace")[-chars:]

    def stop(self, timeout: float = 20.0) -> None:
        """Stop the server (SIGTERM to its process group, SIGKILL after ``timeout``)."""
        proc, self._proc = self._proc, None
        if stop_group(proc, timeout):
            log.info("Label Studio stopped")

    def __enter__(self) -> LabelStudioServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
