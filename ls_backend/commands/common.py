"""What several commands share: the data options, loading a model or the configuration, writing predictions."""
from __future__ import annotations

import argparse
import json
from typing import Any

from ls_backend.commands.errors import ConfigError


def data_options(p: argparse.ArgumentParser, default_split: str) -> None:
    p.add_argument("--data", required=True, help="release JSONL with annotated dialogues")
    p.add_argument("--titles", help="video_titles.jsonl (names in #hashtags help)")
    p.add_argument("--split", help="split.jsonl, to use one split only (with --only)")
    p.add_argument("--only", default=default_split, help=f"the split to use when --split is given (default: {default_split})")


def load_model(path: str | None):
    """The text model at ``path`` (default: the shipped one): the embedded model or a neural model directory.

    Raises:
        ConfigError: no model there.
    """
    from ls_backend.pipeline.models import load_model as load
    from ls_backend.pipeline.text.model import SHIPPED

    try:
        return load(path or SHIPPED, allowed=("embedded", "neural"))
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


def load_config(args: argparse.Namespace, **overrides: Any):
    """The configuration: ``--config`` file, environment, then the given flags.

    Raises:
        ConfigError: the file or a value cannot be used.
    """
    from ls_backend.infra.config import Config

    try:
        return Config.load(getattr(args, "config", None), **overrides)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


def check_video_and_alignment(config) -> None:
    """Start-up checks of the video and alignment settings.

    Raises:
        ConfigError: naming the setting and what is wrong.
    """
    from ls_backend.pipeline.align.service import check_config as check_align_config
    from ls_backend.pipeline.video.pipeline import VideoSettings

    try:
        VideoSettings.from_config(config).check()
        check_align_config(config)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


def write_predictions(out: list, path: str, fmt: str) -> None:
    """Release lines (one per line) or a JSON list of Label Studio tasks, written atomically."""
    from exports.io import atomic_writer

    with atomic_writer(path) as fh:
        if fmt == "release":
            fh.writelines(line + "\n" for line in out)
        else:
            json.dump(out, fh, ensure_ascii=False)


def titled(dialogues, titles):
    from dataclasses import replace

    return [replace(d, title=titles.get(d.doc_key, d.title)) for d in dialogues]


def clip_option(args):
    """The CN-CLIP encoder of ``--clip-checkpoint`` / ``--clip-model``, or None.

    Raises:
        ConfigError: the checkpoint cannot be loaded.
    """
    if not getattr(args, "clip_checkpoint", None):
        return None
    from pathlib import Path

    from ls_backend.infra.config import Config
    from ls_backend.pipeline.align.service import clip_from

    try:
        return clip_from(Config(clip_checkpoint=Path(args.clip_checkpoint), clip_model=args.clip_model))
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


def synthetic_examples(dialogues, all_dialogues, desc: str):
    """Alignment examples: scikit-image faces planted at the annotated boxes (with a progress bar)."""
    from tqdm import tqdm

    from ls_backend.media.synth import faces
    from ls_backend.pipeline.align import synthetic
    from ls_backend.pipeline.video.faces import DlibFaces

    facebook = synthetic.FaceBook(all_dialogues, len(faces()))
    with tqdm(total=len(dialogues), desc=desc, unit="dialogue") as bar:
        return synthetic.build(dialogues, facebook, DlibFaces(), progress=bar.update)
