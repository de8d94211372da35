"""``ls-backend status``: what a running backend serves and learned, for the project lead.

Reads the backend's ``/metrics`` (every worker's figures, from the store) and prints the model
version, the annotations received, the last training runs, and -- per annotation -- what training
had to leave out (a box whose number no mention has, an unreadable region ...), so that nothing an
annotator submitted is dropped without the project lead seeing it.
"""
from __future__ import annotations

import argparse
import base64
import json
import urllib.error
import urllib.request
from typing import Any

from exports.io import InputError
from ls_backend.infra.config import environ


def add_parser(sub: Any) -> None:
    p = sub.add_parser("status", help="what a running backend serves, learned, and left out of training")
    p.add_argument("--backend", default=environ("MCR_BACKEND_URL", "http://127.0.0.1:9090"),
                   help="the backend's URL (default: $MCR_BACKEND_URL or http://127.0.0.1:9090)")
    p.add_argument("--json", action="store_true", help="print /metrics as JSON")


def fetch_metrics(url: str, timeout: float = 10.0) -> dict[str, Any]:
    """The backend's ``/metrics`` (with the basic auth of the backend's configuration, when it has one).

    Raises:
        InputError: the backend does not answer, refuses, or answers something else than metrics.
    """
    from ls_backend.infra.config import Config

    config = Config.load()  # the backend's own settings: config file, then MCR_* variables
    request = urllib.request.Request(url.rstrip("/") + "/metrics")
    if config.basic_auth_user:
        secret = f"{config.basic_auth_user}:{config.basic_auth_pass or ''}".encode()
        request.add_header("Authorization", "Basic " + base64.b64encode(secret).decode())
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp:
            body = json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        raise InputError(f"{url}: /metrics answered HTTP {exc.code}{' (set MCR_BASIC_AUTH_USER / _PASS)' if exc.code == 401 else ''}") from None
    except (OSError, ValueError) as exc:
        raise InputError(f"{url}: cannot read /metrics ({exc}); is `ls-backend start` running there?") from None
    if not isinstance(body, dict) or "model_version" not in body:
        raise InputError(f"{url}: /metrics is not an MCR Studio backend's")
    return body


def render(m: dict[str, Any]) -> str:
    lat = m.get("latency_ms") or {}
    lines = [
        f"model version   {m['model_version']}{'  (training now)' if m.get('training') else ''}",
        f"predictions     {m.get('predictions', 0)} ({m.get('cache_hits', 0)} from the cache, {m.get('task_errors', 0)} task errors);"
        f" latency p50 {lat.get('p50')} ms, p95 {lat.get('p95')} ms",
        f"annotations     {m.get('annotations', 0)} received; {m.get('annotations_not_fully_used', 0)} not fully used for training;"
        f" {m.get('annotations_by_catch_up', 0)} came by catch-up (read from Label Studio: no webhook brought them)",
    ]
    for note in m.get("left_out_of_training", []):
        head = f"  annotation {note['annotation']} (task {note['task']}, {note['doc_key']})"
        lines.append(head + ("" if note.get("usable", True) else ": NOT USED"))
        lines += [f"    - {what}" for what in note.get("left_out", [])]
    runs = m.get("training_runs", [])[-3:]
    if runs:
        lines.append("training runs   " + "; ".join(
            f"#{r['id']} {r['status']}, {r['annotations']} annotated" + (f" -> {r['version']}" if r.get("version") else "")
            + (f" ({r['error']})" if r.get("error") else "") for r in runs))
    if m.get("last_training_error"):
        lines.append(f"last training error: {m['last_training_error']}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    metrics = fetch_metrics(args.backend)
    print(json.dumps(metrics, ensure_ascii=False, indent=1) if args.json else render(metrics))
    return 0
