from __future__ import annotations

import http.server
import threading

import pytest

from exports.io.media import MediaError
from ls_backend.media.fetch import MediaPolicy, MediaRefused


@pytest.fixture
def server(tmp_path):
    """A loopback HTTP server that serves one file and records the Authorization header it got."""
    seen = {}
    (tmp_path / "www").mkdir()
    (tmp_path / "www" / "clip.mp4").write_bytes(b"0123456789")

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a, **k):
            super().__init__(*a, directory=str(tmp_path / "www"), **k)

        def do_GET(self):
            seen["auth"] = self.headers.get("Authorization")
            if self.path.startswith("/data/local-files/"):
                self.path = "/clip.mp4"
            return super().do_GET()

        def log_message(self, *a):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", seen
    httpd.shutdown()


@pytest.mark.parametrize(
    "ref, message",
    [
        ("http://evil.example/clip.mp4", "not on the Label Studio host nor under an allow-listed URL prefix"),
        ("file:///etc/passwd", "file:// URLs are refused"),
        ("../outside.mp4", "outside the media root"),
        ("/etc/passwd", "outside the media root"),
        ("ftp://host/clip.mp4", "scheme 'ftp' is refused"),
        ("", "the task has no video"),
    ],
)
def test_references_outside_the_policy_are_refused(tmp_path, ref, message):
    policy = MediaPolicy(root=tmp_path / "media", url_prefixes=("https://cdn.example/videos/",), ls_url="http://127.0.0.1:8080")
    (tmp_path / "media").mkdir()
    with pytest.raises(MediaRefused) as err:
        policy.fetch(ref, tmp_path / "cache")
    assert message in str(err.value)


def test_local_paths_need_a_root_and_stay_inside_it(tmp_path):
    (tmp_path / "media" / "sub").mkdir(parents=True)
    (tmp_path / "media" / "sub" / "a.mp4").write_bytes(b"x")
    with pytest.raises(MediaRefused, match="no media root is configured"):
        MediaPolicy().fetch("sub/a.mp4", tmp_path)
    policy = MediaPolicy(root=tmp_path / "media")
    assert policy.fetch("sub/a.mp4", tmp_path) == (tmp_path / "media" / "sub" / "a.mp4").resolve()
    assert policy.fetch(str(tmp_path / "media" / "sub" / "a.mp4"), tmp_path).name == "a.mp4"
    with pytest.raises(MediaRefused, match="outside the media root"):
        policy.fetch("sub/../../media2/a.mp4", tmp_path)
    with pytest.raises(MediaError, match="no such file"):
        policy.fetch("sub/b.mp4", tmp_path)


def test_label_studio_media_is_fetched_with_the_token(tmp_path, server):
    url, seen = server
    policy = MediaPolicy(ls_url=url, ls_token="secret")
    path = policy.fetch("/data/local-files/?d=videos/clip.mp4", tmp_path / "cache")
    assert path.read_bytes() == b"0123456789" and seen["auth"] == "Token secret"
    with pytest.raises(MediaRefused, match="no Label Studio host is configured"):
        MediaPolicy().fetch("/data/local-files/?d=videos/clip.mp4", tmp_path)


def test_allow_listed_prefixes_are_fetched_without_the_token(tmp_path, server):
    url, seen = server
    policy = MediaPolicy(url_prefixes=(url + "/",), ls_url="http://127.0.0.1:1", ls_token="secret")
    assert policy.fetch(url + "/clip.mp4", tmp_path / "c").read_bytes() == b"0123456789"
    assert seen["auth"] is None
    with pytest.raises(MediaError, match="HTTP 404"):
        policy.fetch(url + "/nothing.mp4", tmp_path / "c")
    with pytest.raises(MediaError, match="larger than 5 bytes"):
        MediaPolicy(url_prefixes=(url + "/",), max_bytes=5).fetch(url + "/clip.mp4", tmp_path / "d")
