"""Where the backend may read a task's video from, and fetching it.

Allowed: the Label Studio host (its ``/data/...`` URLs, with its token), a configured local
root (paths inside it; ``..`` cannot leave it), and allow-listed URL prefixes. Everything else
(other hosts, ``file://``, paths outside the root) is refused with a clear error. The offline
``ls-backend predict --tasks`` may also read the local files its task file names.
"""
from __future__ import annotations

import hashlib
import logging
import shutil
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from exports.io.media import MediaError

log = logging.getLogger(__name__)


class MediaRefused(MediaError):
    """A video reference the policy does not allow."""


@dataclass(frozen=True)
class MediaPolicy:
    root: Path | None = None
    url_prefixes: tuple[str, ...] = ()
    ls_url: str | None = None
    ls_token: str | None = None
    any_local: bool = False  # offline use: local paths anywhere (relative to ``base``)
    base: Path | None = None
    max_bytes: int = 512 * 1024 * 1024
    timeout: float = 60.0

    @classmethod
    def from_config(cls, config, **overrides) -> MediaPolicy:
        prefixes = tuple(p.strip() for p in (config.media_url_prefixes or "").split(",") if p.strip())
        values = dict(root=config.media_root, url_prefixes=prefixes, ls_url=config.label_studio_url,
                      ls_token=config.label_studio_api_key, max_bytes=config.max_video_bytes)
        values.update(overrides)
        return cls(**values)

    def locate(self, ref: str) -> tuple[str, str | Path]:
        """``("file", path)`` or ``("url", absolute URL)`` for an allowed reference.

        Raises:
            MediaRefused: the reference is not allowed, with the reason.
        """
        if not isinstance(ref, str) or not ref.strip():
            raise MediaRefused("video: the task has no video")
        ref = ref.strip()
        parts = urlsplit(ref)
        if parts.scheme == "file":
            raise MediaRefused(f"video {ref!r}: file:// URLs are refused (give a path under the media root)")
        if ref.startswith("/data/"):  # Label Studio's own media (uploads, local-files storage)
            if not self.ls_url:
                raise MediaRefused(f"video {ref!r}: a Label Studio URL, but no Label Studio host is configured (label_studio_url)")
            return "url", self.ls_url.rstrip("/") + ref
        if parts.scheme in ("http", "https"):
            if self.ls_url and _same_origin(ref, self.ls_url):
                return "url", ref
            if any(ref.startswith(p) for p in self.url_prefixes):
                return "url", ref
            raise MediaRefused(f"video {ref!r}: not on the Label Studio host nor under an allow-listed URL prefix (media_url_prefixes)")
        if parts.scheme:
            raise MediaRefused(f"video {ref!r}: scheme {parts.scheme!r} is refused")
        path = Path(ref)
        if not path.is_absolute() and self.base is not None:
            path = self.base / path
        if self.any_local:
            return "file", path
        if self.root is None:
            raise MediaRefused(f"video {ref!r}: a local path, but no media root is configured (media_root)")
        root = self.root.resolve()
        resolved = (path if path.is_absolute() else root / path).resolve()
        if not resolved.is_relative_to(root):
            raise MediaRefused(f"video {ref!r}: outside the media root {root}")
        return "file", resolved

    def fetch(self, ref: str, cache_dir: Path) -> Path:
        """A local file holding the video (downloads go to ``cache_dir``, named by the URL's hash).

        Raises:
            MediaError: refused, unreachable, too large, or missing.
        """
        kind, where = self.locate(ref)
        if kind == "file":
            path = Path(where)
            if not path.is_file():
                raise MediaError(f"video {ref!r}: no such file {path}")
            return path
        url = str(where)
        cache_dir.mkdir(parents=True, exist_ok=True)
        target = cache_dir / (hashlib.sha256(url.encode()).hexdigest()[:32] + Path(urlsplit(url).path).suffix[:8])
        if target.is_file():
            return target
        headers = {}
        if self.ls_url and self.ls_token and _same_origin(url, self.ls_url):
            headers["Authorization"] = f"Token {self.ls_token}"
        request = urllib.request.Request(url, headers=headers)
        tmp = target.with_name(target.name + ".part")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as resp, open(tmp, "wb") as out:
                size = 0
                while chunk := resp.read(1 << 20):
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise MediaError(f"video {ref!r}: larger than {self.max_bytes} bytes (max_video_bytes)")
                    out.write(chunk)
        except urllib.error.HTTPError as exc:
            tmp.unlink(missing_ok=True)
            raise MediaError(f"video {ref!r}: HTTP {exc.code} from {url}") from None
        except (urllib.error.URLError, OSError) as exc:
            tmp.unlink(missing_ok=True)
            raise MediaError(f"video {ref!r}: cannot fetch {url}: {getattr(exc, 'reason', exc)}") from None
        except MediaError:
            tmp.unlink(missing_ok=True)
            raise
        shutil.move(tmp, target)
        return target


def _same_origin(a: str, b: str) -> bool:
    pa, pb = urlsplit(a), urlsplit(b)
    return (pa.scheme, pa.hostname, pa.port) == (pb.scheme, pb.hostname, pb.port)


def content_hash(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()
