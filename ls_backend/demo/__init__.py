"""``make demo``: Label Studio + the ML backend + an MCR Studio demo project, on loopback, until Ctrl-C.

Everything lives under ``--dir`` (default ``out/demo``): Label Studio's data
(``label-studio/``), the demo videos it serves (``media/videos/``, generated from the
faces scikit-image ships) and the login (``credentials.json``). Running it again reuses
all of it, including the project. The demo dialogues are the project's own
(:mod:`ls_backend.demo.dialogues`); the ML backend (``ls-backend start`` on ``--backend-port``) is
connected to the project and proposes mentions and clusters, and learns from every
submitted annotation.
"""
from __future__ import annotations

import argparse
import json
import logging
import secrets
import signal
import subprocess
import threading
from pathlib import Path
from typing import Any

from ls_backend.demo.dialogues import demo_dialogues
from exports.io.label_studio import every
from exports.io.media import VideoSource
from ls_backend.serving import server as backend_server
from ls_backend.media import synth
from ls_backend.workspace.project import create_project
from ls_backend.workspace.server import LabelStudioError, LabelStudioServer, port_is_free

log = logging.getLogger("ls_backend.demo")

PROJECT_TITLE = "MCR Studio demo"
POSTS_TITLE = "MCR Studio demo: posts"
PROPOSALS_VERSION = "demo-proposals"
DEFAULT_PORT = 8080
DEFAULT_BACKEND_PORT = 9090


def credentials(directory: Path) -> dict[str, str]:
    """The demo login, created once and kept in ``credentials.json`` (Label Studio creates the
    user and token only on its first start, so later runs must reuse them)."""
    path = directory / "credentials.json"
    if path.exists():
        return json.loads(path.read_text(encoding="utf-8"))
    creds = {"username": "admin@mcr-studio.local", "password": "mcr-studio", "token": secrets.token_hex(20)}
    directory.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(creds, indent=1), encoding="utf-8")
    return creds


def make_videos(video_dir: Path) -> int:
    """Render the demo videos that are missing; returns how many were rendered."""
    made = 0
    for d in demo_dialogues():
        path = video_dir / f"{d.doc_key}.mp4"
        if not path.exists():
            synth.video_for_dialogue(d, path, fps=d.fps or 30.0, tail=max(0, (d.frame_count or 0) - 1 - max((b.frame for b in d.boxes), default=0)))
            made += 1
    return made


def make_post_images(image_dir: Path) -> int:
    """The demo posts' images (``<post id>_<n>.jpg``), rendered from the pictures scikit-image ships; returns how many were made."""
    from PIL import Image
    from skimage import data

    from ls_backend.demo.posts import image_counts

    pictures = [data.astronaut, data.coffee, data.chelsea, data.rocket, data.hubble_deep_field, data.immunohistochemistry,
                data.colorwheel, data.retina, data.cat]
    image_dir.mkdir(parents=True, exist_ok=True)
    made, k = 0, 0
    for pid, n in image_counts().items():
        for i in range(n):
            path = image_dir / f"{pid}_{i + 1}.jpg"
            if not path.exists():
                Image.fromarray(pictures[k % len(pictures)]()).convert("RGB").resize((480, 360)).save(path, quality=88)
                made += 1
            k += 1
    return made


def prepare_posts(client: Any, media_root: Path, base_url: str, ml_backend: str | None = None) -> tuple[int, bool]:
    """The demo's post NER project, created on first use: ``(id, created)``. Its posts come without entities: the
    backend proposes them (without a backend, the demo's own entities are imported as predictions)."""
    from urllib.parse import quote

    from ls_backend.demo.posts import demo_posts
    from exports.io.media import images_of
    from exports.posts import Post
    from ls_backend.workspace.project import create_post_project

    for project in every(client.projects.list):
        if project.title == POSTS_TITLE:
            return project.id, False
    image_dir = media_root / "post-images"
    posts = demo_posts() if not ml_backend else [Post(p.id, p.tokens) for p in demo_posts()]
    result = create_post_project(
        client, title=POSTS_TITLE, posts=posts, image_root=image_dir,
        images=lambda p: ["/data/local-files/?d=" + quote(str(f.relative_to(media_root))) for f in images_of(image_dir, p.id)],
        with_predictions=None if ml_backend else PROPOSALS_VERSION, ml_backend=ml_backend, base_url=base_url,
    )
    for warning in result.warnings:
        log.warning("%s", warning)
    return result.id, True


def prepare(client: Any, media_root: Path, base_url: str, ml_backend: str | None = None) -> tuple[int, bool]:
    """The demo project's id, creating it on first use; ``(id, created)``.

    With ``ml_backend`` the project is connected to it (its proposals come from the backend);
    without, the demo dialogues' own annotations are imported as predictions.
    """
    for project in every(client.projects.list):
        if project.title == PROJECT_TITLE:
            return project.id, False
    video_dir = media_root / "videos"
    result = create_project(
        client,
        title=PROJECT_TITLE,
        dialogues=demo_dialogues(),
        videos=VideoSource(root=video_dir, document_root=media_root),
        with_predictions=None if ml_backend else PROPOSALS_VERSION,
        ml_backend=ml_backend,
        base_url=base_url,
    )
    for warning in result.warnings:
        log.warning("%s", warning)
    return result.id, True


def start_backend(directory: Path, host: str, port: int, label_studio: tuple[str, str] | None = None) -> tuple[subprocess.Popen, str]:
    """``ls-backend start`` for the demo (its data under ``directory/backend``); waits until it answers. With
    ``label_studio`` (URL, token) the backend reads annotations no webhook brought before it trains (catch-up)."""
    env = {"LABEL_STUDIO_URL": label_studio[0], "LABEL_STUDIO_API_KEY": label_studio[1]} if label_studio else None
    try:
        return backend_server.launch(directory / "backend", host, port, directory / "backend" / "ls-backend.log", env=env)
    except backend_server.BackendError as exc:
        raise LabelStudioError(str(exc)) from None


def preannotate_videos(directory: Path, url: str, token: str, project_id: int) -> None:
    """The video pipeline over the demo's tasks (cached in the backend's store: instant on a re-run)."""
    from ls_backend.infra.config import Config
    from ls_backend.jobs.preannotate import preannotate

    config = Config.load(data_dir=directory / "backend")
    status = preannotate(config, url, token, project_id)
    if status:
        log.warning("some demo videos could not be pre-annotated (see above); their tasks keep their text proposals")


def run(directory: Path, host: str, port: int, backend_port: int = DEFAULT_BACKEND_PORT) -> int:
    from label_studio_sdk import LabelStudio

    directory = directory.resolve()
    creds = credentials(directory)
    media = directory / "media"
    made = make_videos(media / "videos")
    log.info("demo videos: %d rendered, %d reused (%s)", made, len(demo_dialogues()) - made, media / "videos")
    log.info("demo post images: %d rendered (%s)", make_post_images(media / "post-images"), media / "post-images")
    if not port_is_free(port, host):
        raise LabelStudioError(f"port {port} on {host} is in use (another Label Studio?); run with --port N")
    if not port_is_free(backend_port, host):
        raise LabelStudioError(f"port {backend_port} on {host} is in use (another ML backend?); run with --backend-port N")
    server = LabelStudioServer(
        data_dir=directory / "label-studio", document_root=media, host=host, port=port,
        username=creds["username"], password=creds["password"], token=creds["token"],
    )
    stop = threading.Event()
    # Ctrl-C, kill and a closed terminal all stop the demo cleanly, also when the shell that
    # started us ignored SIGINT (background jobs of non-interactive shells do)
    stoppers = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in stoppers}
    backend = None
    try:
        backend, backend_url = start_backend(directory, host, backend_port, (f"http://{host}:{port}", creds["token"]))
        log.info("ML backend up at %s", backend_url)
        server.start()
        client = LabelStudio(base_url=server.url, api_key=server.token)
        project_id, created = prepare(client, media, server.url, ml_backend=backend_url)
        preannotate_videos(directory, server.url, creds["token"], project_id)
        posts_id, _ = prepare_posts(client, media, server.url, ml_backend=backend_url)
        print(
            f"\nMCR Studio demo is running ({'new' if created else 'reused'} project {project_id}).\n"
            f"  Open      {server.url}/projects/{project_id}/data\n"
            f"  Posts     {server.url}/projects/{posts_id}/data (named entities in multi-image posts)\n"
            f"  Backend   {backend_url} (mentions, clusters, person boxes linked to them; learns from each submitted annotation)\n"
            f"  Log in    {creds['username']} / {creds['password']}\n"
            f"  API token {creds['token']}\n"
            f"  Data      {directory}\n"
            "Press Ctrl-C to stop.",
            flush=True,
        )
        while not stop.wait(1.0):
            if not server.healthy() and server.exited():
                log.error("Label Studio exited on its own:\n%s", server.log_tail())
                return 1
            if backend.poll() is not None:
                log.error("the ML backend exited on its own; see %s", directory / "backend" / "ls-backend.log")
                return 1
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        server.stop()
        backend_server.stop(backend)
    print("MCR Studio demo stopped.", flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m ls_backend.demo", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dir", type=Path, default=Path("out/demo"), help="where the demo keeps its data (default: out/demo)")
    p.add_argument("--host", default="127.0.0.1", help="address to serve on (default: 127.0.0.1)")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"Label Studio's port (default: {DEFAULT_PORT})")
    p.add_argument("--backend-port", type=int, default=DEFAULT_BACKEND_PORT, help=f"the ML backend's port (default: {DEFAULT_BACKEND_PORT})")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    try:
        return run(args.dir, args.host, args.port, args.backend_port)
    except LabelStudioError as exc:
        log.error("%s", exc)
        return 2

