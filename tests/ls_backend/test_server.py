"""LabelStudioServer's waiting, without Label Studio: a stand-in /health on loopback."""
from __future__ import annotations

import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from ls_backend.workspace.server import LabelStudioError, LabelStudioServer


class _Health(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's name)
        self.send_response(200 if self.path == "/health" else 404)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def health():
    server = HTTPServer(("127.0.0.1", 0), _Health)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def _launched(tmp_path, port: int, seconds_ago: float) -> LabelStudioServer:
    server = LabelStudioServer(data_dir=tmp_path, document_root=tmp_path, port=port)
    server._proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True)  # as launch() does
    server._started = time.monotonic() - seconds_ago
    return server


def test_a_server_that_answers_is_up_however_long_ago_it_was_launched(tmp_path, health):
    """A later test's wait() on the session's server must not stop it (it did, 240 s after the launch)."""
    server = _launched(tmp_path, health, seconds_ago=1000)
    try:
        assert server.wait(timeout=5) is server and not server.exited()
    finally:
        server._proc.kill()
        server._proc.wait()


def test_a_server_that_never_answers_is_stopped_after_the_timeout(tmp_path):
    from ls_backend.workspace.server import free_port

    server = _launched(tmp_path, free_port(), seconds_ago=0)
    proc = server._proc
    with pytest.raises(LabelStudioError, match="did not answer"):
        server.wait(timeout=2)
    assert proc.poll() is not None  # stopped, not left running
