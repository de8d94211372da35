"""A throwaway PostgreSQL server (Debian's postgresql package: initdb + pg_ctl) on a loopback port, for the
tests that run the store, the backend and the campaign record on PostgreSQL as well as SQLite; stopped by them."""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ls_backend.workspace.server import free_port

BIN_DIRS = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)


def _tool(name: str) -> str | None:
    for d in BIN_DIRS:
        if (d / name).exists():
            return str(d / name)
    return shutil.which(name)


def available() -> bool:
    return _tool("initdb") is not None and _tool("pg_ctl") is not None


def _as_owner(cmd: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: run as the ``postgres`` user then."""
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


@contextmanager
def postgres_server() -> Iterator[str]:
    """Yield the URL of a new database ``mcr`` (user ``mcr``, no password, 127.0.0.1 only); the server and its
    files are gone afterwards. Its directory is a fresh one under the system temp dir (pytest's are private to
    root, and PostgreSQL will not run as root)."""
    with controlled_postgres() as (url, _control):
        yield url


@contextmanager
def controlled_postgres() -> Iterator[tuple[str, object]]:
    """As :func:`postgres_server`, and ``control(action)`` to ``"stop"`` or ``"start"`` the server (an outage)."""
    root = Path(tempfile.mkdtemp(prefix="mcr-postgres-"))
    data, sockets = root / "pgdata", root / "sock"
    sockets.mkdir(exist_ok=True)
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        shutil.chown(sockets, "postgres")
    port = free_port()
    subprocess.run(_as_owner([_tool("initdb"), "-D", str(data), "-U", "mcr", "-A", "trust", "-E", "UTF8", "--no-locale"]),
                   check=True, capture_output=True)
    log = root / "postgres.log"
    subprocess.run(_as_owner([_tool("pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-t", "60", "start",
                              "-o", f"-h 127.0.0.1 -p {port} -k {sockets} -c fsync=off -c max_connections=100"]), check=True, capture_output=True)
    def control(action: str) -> None:
        if action == "stop":
            subprocess.run(_as_owner([_tool("pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"]), check=True, capture_output=True)
        else:
            subprocess.run(_as_owner([_tool("pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-t", "60", "start",
                                      "-o", f"-h 127.0.0.1 -p {port} -k {sockets} -c fsync=off -c max_connections=100"]), check=True, capture_output=True)

    try:
        url = f"postgresql://mcr@127.0.0.1:{port}/postgres"
        _create_database(url, "mcr")
        yield f"postgresql://mcr@127.0.0.1:{port}/mcr", control
    finally:
        subprocess.run(_as_owner([_tool("pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]), capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


def _create_database(url: str, name: str) -> None:
    import psycopg

    end = time.monotonic() + 30
    while True:
        try:
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute(f"CREATE DATABASE {name}")
            return
        except psycopg.OperationalError:
            if time.monotonic() > end:
                raise
            time.sleep(0.2)


def fresh_database(url: str, name: str) -> str:
    """Another empty database on the same server (one per test)."""
    base = url.rsplit("/", 1)[0]
    _create_database(base + "/postgres", name)
    return f"{base}/{name}"
