"""A real Ray cluster for the tests: ``ray start --head`` with 2 CPUs, every process on 127.0.0.1.

Ray turns ``--node-ip-address 127.0.0.1`` into the machine's outward address on Linux; with
``RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0`` (Ray's single-machine mode, the default on macOS) its GCS,
raylet and agents listen on 127.0.0.1 only. The cluster runs in a process group of its own, stopped
(and, after a grace period, killed) with everything Ray started in it.
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

#: what the cluster, and a driver that connects to it, need in their environment
ENV = {"RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0", "RAY_AUTH_MODE": "token", "RAY_USAGE_STATS_ENABLED": "0"}


@dataclass
class RayCluster:
    address: str
    process: subprocess.Popen
    temp_dir: Path

    def worker_pids(self, title: str) -> list[int]:
        """Processes of this cluster whose title starts with ``title`` (Ray names an actor's process
        ``ray::Class`` when idle and ``ray::Class.method`` while it runs that method)."""
        import psutil

        pids = []
        for proc in psutil.process_iter(["pid", "cmdline"]):
            cmd = " ".join(proc.info["cmdline"] or [])
            if cmd.startswith(title):
                pids.append(proc.info["pid"])
        return pids

    def stop(self) -> None:
        try:
            os.kill(self.process.pid, signal.SIGTERM)  # `ray start --block` stops what it started
            self.process.wait(20)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            pass
        try:
            os.killpg(self.process.pid, signal.SIGKILL)  # whatever is left of the group (workers included)
        except ProcessLookupError:
            pass
        self.process.wait(10)
        shutil.rmtree(self.temp_dir, ignore_errors=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(num_cpus: int = 2) -> RayCluster:
    """Starts the cluster with a token of its own (``RAY_AUTH_TOKEN``, set in this process for its driver too)."""
    os.environ.update(ENV, RAY_AUTH_TOKEN=uuid.uuid4().hex)  # the driver in this process connects with the same settings
    temp_dir = Path(tempfile.mkdtemp(prefix="ray-", dir="/tmp"))  # short: Ray's socket paths must fit 107 bytes
    port = _free_port()
    ray = Path(sys.executable).parent / "ray"
    log = open(temp_dir / "start.log", "w")
    proc = subprocess.Popen([str(ray), "start", "--head", "--block", "--node-ip-address=127.0.0.1", f"--port={port}",
                             f"--num-cpus={num_cpus}", "--num-gpus=0", "--include-dashboard=false", f"--temp-dir={temp_dir}",
                             "--disable-usage-stats"], env=dict(os.environ), stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    cluster = RayCluster(f"127.0.0.1:{port}", proc, temp_dir)
    deadline = time.monotonic() + 120
    while "Ray runtime started" not in (temp_dir / "start.log").read_text(errors="replace"):
        if proc.poll() is not None or time.monotonic() > deadline:
            cluster.stop()
            raise RuntimeError(f"ray start failed:\n{(temp_dir / 'start.log').read_text(errors='replace')[-3000:]}")
        time.sleep(0.2)
    return cluster
