"""Facts about a video file that the formats need: frame rate, frame size, frame count."""
from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from exports.dialogue import Dialogue


@dataclass(frozen=True, slots=True)
class VideoInfo:
    fps: float
    width: int
    height: int
    frame_count: int | None


class MediaError(ValueError):
    """A video that cannot be opened or has no video stream."""


def probe_video(path: str | Path) -> VideoInfo:
    """Read the container header of ``path`` with PyAV (no frame is decoded).

    Raises:
        MediaError: the file is missing, unreadable, or has no video stream.
    """
    import av  # lazy: only commands that touch videos pay for it

    path = Path(path)
    if not path.is_file():
        raise MediaError(f"{path}: no such video file")
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise MediaError(f"{path}: no video stream")
            stream = container.streams.video[0]
            rate = stream.average_rate or stream.base_rate or stream.guessed_rate
            if not rate:
                raise MediaError(f"{path}: the video stream has no frame rate")
            fps = float(Fraction(rate))
            frames = stream.frames or None
            if frames is None and stream.duration is not None and stream.time_base is not None:
                frames = round(float(stream.duration * stream.time_base) * fps) or None
            return VideoInfo(fps=round(fps, 6), width=stream.codec_context.width, height=stream.codec_context.height, frame_count=frames)
    except av.error.FFmpegError as exc:
        raise MediaError(f"{path}: cannot read the video: {exc}") from None


VIDEO_EXTENSIONS = (".mp4", ".webm", ".mov", ".mkv")


def local_files_url(path: Path, document_root: Path) -> str:
    """URL under which Label Studio's local-files storage serves ``path``."""
    from urllib.parse import quote

    rel = path.resolve().relative_to(document_root.resolve())
    return "/data/local-files/?d=" + quote(rel.as_posix())


@dataclass(frozen=True)
class VideoSource:
    """Where the videos of the dialogues are: ``<root>/<doc_key>.<ext>`` served by Label Studio's
    local-files storage (``root`` must be a sub-directory of its ``document_root``), or
    ``<url_prefix><doc_key>.mp4``, or nowhere."""

    root: Path | None = None
    document_root: Path | None = None
    url_prefix: str | None = None

    def check(self) -> None:
        """Raises MediaError when ``root`` cannot be served by Label Studio."""
        if self.root is None:
            return
        if not self.root.is_dir():
            raise MediaError(f"--video-root {self.root}: no such directory")
        if self.document_root is None:
            raise MediaError(
                "--video-root needs Label Studio's document root: set LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT "
                "(as for the server) or pass --document-root"
            )
        try:
            rel = self.root.resolve().relative_to(self.document_root.resolve())
        except ValueError:
            raise MediaError(f"--video-root {self.root} is not under the document root {self.document_root}") from None
        if rel == Path("."):
            raise MediaError(f"--video-root {self.root} is the document root itself; Label Studio serves only its sub-directories")

    def locate(self, doc_key: str) -> tuple[str | None, Path | None]:
        """Task URL and local path (when local) of a dialogue's video."""
        if self.root is not None:
            candidates = [self.root / f"{doc_key}{ext}" for ext in VIDEO_EXTENSIONS]
            path = next((p for p in candidates if p.is_file()), candidates[0])
            assert self.document_root is not None
            return local_files_url(path, self.document_root), path
        if self.url_prefix:
            return f"{self.url_prefix}{doc_key}.mp4", None
        return None, None

    def attach(self, dialogue: "Dialogue") -> tuple["Dialogue", str | None]:
        """The dialogue with its video URL and, for local files, fps / frame size / frame count
        read from the file; plus a warning when the file cannot be probed."""
        from dataclasses import replace

        url, path = self.locate(dialogue.doc_key)
        changes: dict = {}
        warning = None
        if url is not None:
            changes["video"] = url
        if path is not None:
            try:
                info = probe_video(path)
                changes.update(fps=info.fps, frame_size=(info.width, info.height), frame_count=info.frame_count)
            except MediaError as exc:
                warning = f"{dialogue.doc_key}: {exc}; its boxes travel in data.release until the video is there"
        return (replace(dialogue, **changes) if changes else dialogue), warning


# -- a post's images ------------------------------------------------------------------------
#: The files taken for images.
IMAGE_EXT = {".jpg", ".jpeg", ".png", ".gif", ".webp", ".bmp"}


def _natural(name: str) -> list[Any]:
    return [int(x) if x.isdigit() else x for x in re.split(r"(\d+)", name)]


def images_of(root: Path, post_id: str) -> list[Path]:
    """The image files of a post under ``root`` (see the module's docstring), in natural order."""
    found = []
    folder = root / post_id
    if folder.is_dir():
        found = [p for p in folder.iterdir() if p.suffix.lower() in IMAGE_EXT]
    found += [p for p in root.glob(f"{glob_escape(post_id)}*") if p.is_file() and p.suffix.lower() in IMAGE_EXT
              and (p.stem == post_id or re.fullmatch(re.escape(post_id) + r"[_-]\d+", p.stem))]
    return sorted(found, key=lambda p: _natural(p.name))


def glob_escape(s: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", s)
