"""``ls-backend predict``: pre-annotate dialogues offline, as release lines or Label Studio tasks with predictions.

``--data`` reads a release JSONL (its annotations are ignored); ``--tasks`` reads Label Studio tasks whose
``data.video`` is a local path or an allow-listed URL, runs the video pipeline over those videos and links
the persons to the clusters. Each dialogue goes through :func:`~ls_backend.pipeline.propose.propose`, as in
``/predict``.
"""
from __future__ import annotations

import argparse
import json
import logging
import tempfile
from pathlib import Path
from typing import Any

from exports import labelstudio, release
from exports.io import InputError
from ls_backend.commands.common import load_config, load_model, write_predictions
from ls_backend.commands.errors import ConfigError

log = logging.getLogger("ls_backend")


def add_parser(sub: Any) -> None:
    pr = sub.add_parser("predict", help="pre-annotate dialogues (and their videos, with --tasks) offline")
    src = pr.add_mutually_exclusive_group(required=True)
    src.add_argument("--data", help="release JSONL (annotations, if any, are ignored)")
    src.add_argument("--tasks", help="JSON list of Label Studio tasks whose data.video is a local path or an allow-listed URL")
    pr.add_argument("--config", help="JSON config file (video settings, media_url_prefixes; see ls_backend/config.py)")
    pr.add_argument("--titles", help="video_titles.jsonl")
    pr.add_argument("--out", required=True, help="output file")
    pr.add_argument("--format", choices=("release", "labelstudio"), default="release", help="release JSONL, or Label Studio tasks with predictions")
    pr.add_argument("--model", help="text model file or directory (default: the shipped model)")
    pr.add_argument("--workers", type=int, help="with --tasks: video processes (default: 1); with --ray, Ray actors (default: one per CPU slot or GPU)")
    pr.add_argument("--ray", nargs="?", const="", metavar="ADDRESS",
                    help="with --tasks: analyse the videos on a Ray cluster (ADDRESS; without it, $RAY_ADDRESS or a local cluster)")
    pr.add_argument("--task", choices=("coref", "ner"), default="coref", help="coreference dialogues (default), or post NER on BIO files")


def _write(prediction, task: dict[str, Any] | None, fmt: str) -> Any:
    """A release line, or a Label Studio task (``task``, or one built from the dialogue) with the prediction."""
    if fmt == "release":
        return release.prediction_line(prediction)
    item = dict(task) if task is not None else labelstudio.to_task(prediction.dialogue, annotation=False)
    item["predictions"] = [labelstudio.to_prediction(prediction)]
    return item


def run(args: argparse.Namespace) -> int:
    if args.task == "ner":
        if not args.data:
            raise InputError("predict --task ner reads --data POSTS.txt (a BIO file)")
        from ls_backend.commands import ner

        return ner.predict(args)
    from tqdm import tqdm

    from exports.io import read_titles
    from ls_backend.pipeline.propose import propose
    from ls_backend.pipeline.text.data import read_dialogues

    model = load_model(args.model)
    if args.tasks:
        return _predict_tasks(args, model)
    titles = read_titles(args.titles)
    dialogues, report = read_dialogues(args.data)
    out = []
    for d in tqdm(dialogues, desc="predict", unit="dialogue", disable=len(dialogues) < 200):
        try:
            out.append(_write(propose(model, model.version, d, title=titles.get(d.doc_key)), None, args.format))
        except ValueError as exc:
            report.add(None, str(exc))
    write_predictions(out, args.out, args.format)
    log.info("wrote %d predicted dialogues to %s (model %s)", len(out), args.out, model.version)
    return 1 if report.problems else 0


def _predict_tasks(args: argparse.Namespace, model) -> int:
    """Offline pre-annotation of task files: text model + video pipeline (local paths the file names) + alignment."""
    from tqdm import tqdm

    from ls_backend.media.fetch import MediaPolicy
    from ls_backend.pipeline.align.aligner import Aligner
    from ls_backend.pipeline.align.scorer import SHIPPED as SHIPPED_SCORER
    from ls_backend.pipeline.align.scorer import AlignScorer
    from ls_backend.pipeline.align.service import clip_from
    from ls_backend.pipeline.propose import propose
    from ls_backend.pipeline.video.pipeline import VideoSettings
    from ls_backend.video_jobs import VideoJobs, task_list, video_refs

    config = load_config(args)
    try:  # offline: the configured (or shipped) scorer, no gallery (it lives in a backend's store)
        aligner = Aligner(AlignScorer.load(config.align_scorer or SHIPPED_SCORER), None, clip_from(config))
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    path = Path(args.tasks)
    try:
        tasks = task_list(json.loads(path.read_text(encoding="utf-8")), str(path))
    except (OSError, json.JSONDecodeError, ValueError) as exc:
        raise InputError(f"{path}: {exc}") from None
    policy = MediaPolicy.from_config(config, any_local=True, base=path.resolve().parent)
    refs = video_refs(tasks)
    jobs = VideoJobs(VideoSettings.from_config(config), policy, Path(tempfile.gettempdir()) / "mcr-studio-media",
                     workers=args.workers, ray=args.ray)
    with tqdm(total=len(set(refs)), desc="videos", unit="video", disable=not refs) as bar:
        outcomes = jobs.run(refs, progress=lambda _o: bar.update(1))
    problems, out = 0, []
    for i, task in enumerate(tasks):
        ref = task["data"].get("video")
        outcome = outcomes.get(ref) if isinstance(ref, str) else None
        if outcome and outcome.error:
            problems += 1
        try:
            dialogue = labelstudio.read_task(task, i, config.max_dialogue_chars)
            prediction = propose(model, model.version, dialogue, outcome.analysis if outcome else None, aligner)
        except ValueError as exc:
            log.error("%s: %s", path, exc)
            problems += 1
            continue
        out.append(_write(prediction, task, args.format))
    write_predictions(out, args.out, args.format)
    log.info("wrote %d predicted tasks to %s (%d videos analysed, %d problems)", len(out), args.out,
             sum(1 for o in outcomes.values() if o.analysis), problems)
    return 1 if problems else 0
