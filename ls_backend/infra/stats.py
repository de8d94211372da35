"""Per-process counters and latencies of the web workers, written to the store in the background so that
``/metrics`` of any worker adds up every worker."""
from __future__ import annotations

import logging
import os
import socket
import threading
from collections import Counter, deque

from ls_backend.infra.store import Store

log = logging.getLogger(__name__)

#: How soon a worker's counters reach the store (and so every worker's ``/metrics``).
FLUSH_SECONDS = 1.0


class Stats:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.counts: Counter = Counter()
        self.latencies: deque[float] = deque(maxlen=500)
        self._worker = f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self._lock = threading.Lock()
        self._dirty = False
        self._flusher: threading.Thread | None = None
        self._stopped = threading.Event()

    def close(self) -> None:
        """Write the counters one last time and stop the background writer (a backend that goes before its process)."""
        self._stopped.set()
        try:
            self.flush()
        except Exception:  # the store is gone already
            log.debug("last write of this worker's counters failed", exc_info=True)

    def count(self, name: str, n: int = 1) -> None:
        """Add to a counter of this worker; a background thread writes the counters to the store within
        :data:`FLUSH_SECONDS` (off the request path)."""
        with self._lock:
            self.counts[name] += n
            self._dirty = True
            if not self._stopped.is_set() and (self._flusher is None or not self._flusher.is_alive()):  # started lazily: after gunicorn's fork
                self._flusher = threading.Thread(target=self._flush_loop, name="mcr-stats", daemon=True)
                self._flusher.start()

    def latency(self, seconds: float) -> None:
        self.latencies.append(seconds)

    def _flush_loop(self) -> None:
        while not self._stopped.wait(FLUSH_SECONDS):
            try:
                self.flush()
            except Exception:  # the store is busy or gone: try again at the next tick
                log.exception("writing this worker's counters to the store failed")

    def flush(self, force: bool = False) -> None:
        """Write this worker's counters and recent latencies to the store (one small upsert) when they changed."""
        with self._lock:
            if not (self._dirty or force):
                return
            self._dirty = False
            stats = {"counts": dict(self.counts), "latencies": [round(x, 6) for x in self.latencies]}
        self.store.save_worker_stats(self._worker, stats)

    def everyone(self) -> tuple[Counter, list[float]]:
        """Counters and latencies of every worker (from the store), this one's written first."""
        self.flush(force=True)
        counts: Counter = Counter()
        lat: list[float] = []
        for worker in self.store.worker_stats():
            counts.update(worker.get("counts", {}))
            lat.extend(worker.get("latencies", []))
        return counts, sorted(lat)
