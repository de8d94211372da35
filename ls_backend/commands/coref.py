"""The coreference kind's ``ls-backend`` commands: ``train``, ``evaluate`` and ``predict`` on release files (and task
files with videos), and what ``simulate`` needs (the gold dialogues, a fold's model and base data).

    ls-backend train --data RELEASE.jsonl --out DIR [--kind neural --encoder DIR ...]
    ls-backend evaluate --data RELEASE.jsonl [--model M] [--folds K] [--baseline ...] [--compare MODEL|baseline]
    ls-backend predict (--data RELEASE.jsonl | --tasks TASKS.json) --out OUT [--format release|labelstudio]
"""
from __future__ import annotations

import argparse
import json
import logging
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

from exports import labelstudio
from exports.io import InputError
from exports.prediction import prediction_line
from ls_backend.commands.common import load_config, load_model, write_predictions
from ls_backend.commands.errors import ConfigError

log = logging.getLogger("ls_backend")


def train(args: argparse.Namespace) -> int:
    """``ls-backend train``: the embedded text model (and the base of retraining in the loop), or ``--kind neural``."""
    from exports.io import read_titles
    from ls_backend.pipeline.text.data import read_dialogues, read_gazetteer, write_training_data
    from ls_backend.pipeline.text.model import train
    from ls_backend.pipeline.text.names import names_from

    dialogues, report = read_dialogues(args.data, args.split, args.only if args.split else None)
    if not dialogues:
        raise InputError(f"{args.data}: no dialogue to train on")
    if args.kind == "neural":
        return _train_neural(args, dialogues, report)
    if args.kind != "embedded":
        raise InputError(f"train --kind {args.kind} is a post NER model (--task ner)")
    titles = read_titles(args.titles)
    model = train(dialogues, titles, read_gazetteer(args.gazetteer), names=names_from(args.gazetteer))
    path = model.save(args.out)
    n = write_training_data(path.parent / "training_data.jsonl.gz", dialogues, titles)
    log.info("wrote %s (%d dialogues: the base of retraining in the loop)", path.parent / "training_data.jsonl.gz", n)
    log.info("wrote %s (%d mention features, %d pair features, %d names)", path, len(model.mention.weights), len(model.pair.weights), len(model.gazetteer))
    print(path)
    return 1 if report.problems else 0


def _train_neural(args: argparse.Namespace, dialogues, report) -> int:
    from ls_backend.commands.errors import ConfigError
    from ls_backend.pipeline.text.neural import train_neural

    if not args.encoder:
        raise InputError("train --kind neural needs --encoder DIR (a model saved with save_pretrained)")
    try:
        model = train_neural(dialogues, encoder=args.encoder, out=args.out, epochs=args.epochs or 10, lr=args.lr, head_lr=args.head_lr,
                             accumulate=args.accumulate, optimizer=args.optimizer, device=args.device)
    except (ValueError, OSError) as exc:
        raise ConfigError(f"--encoder: {exc}") from None
    log.info("wrote %s (neural text model %s)", args.out, model.version)
    print(args.out)
    return 1 if report.problems else 0


def evaluate(args: argparse.Namespace) -> int:
    """``ls-backend evaluate``: CoNLL F1 and mention P/R/F1 of a text model, or K-fold cross-validation, with ``--compare``."""
    from exports.io import atomic_writer, read_titles
    from ls_backend.pipeline.text.data import read_dialogues, read_gazetteer
    from ls_backend.pipeline.text.evaluate import baseline_predictor, cross_validate, evaluate, model_predictor
    from ls_backend.pipeline.text.names import names_from

    titles = read_titles(args.titles)
    dialogues, report = read_dialogues(args.data, args.split, args.only if args.split else None)
    if not dialogues:
        raise InputError(f"{args.data}: no dialogue to evaluate on")
    if args.compare is not None and args.shuffles < 1:
        raise InputError(f"--shuffles: expected at least 1, got {args.shuffles}")
    if args.compare == "baseline" and args.baseline is None:
        raise InputError("--compare baseline needs --baseline [GAZETTEER ...]")
    scores: dict = {"data": str(args.data), "split": args.only if args.split else None}
    responses: dict[str, list] = {"text_model": [], "baseline": [], "compared": []}
    if args.folds is not None:
        try:
            scores["text_model"] = cross_validate(dialogues, titles, read_gazetteer(args.gazetteer), folds=args.folds, seed=args.seed,
                                                  names=names_from(args.gazetteer), responses=responses["text_model"])
        except ValueError as exc:
            raise InputError(str(exc)) from exc
        scores["model"] = f"{args.folds}-fold cross-validation (seed {args.seed})"
    else:
        model = load_model(args.model)
        scores["model"] = model.version
        scores["text_model"] = evaluate(model_predictor(model, titles), dialogues, responses["text_model"])
    if args.baseline is not None:
        scores["baseline"] = evaluate(baseline_predictor(frozenset(read_gazetteer(args.baseline)), titles), dialogues, responses["baseline"])
    if args.compare is not None and args.compare != "baseline":
        other = load_model(args.compare)
        scores["compared"] = {"model": other.version, **evaluate(model_predictor(other, titles), dialogues, responses["compared"])}
    for name in ("text_model", "baseline", "compared"):
        if name in scores:
            _print_scores(name, scores[name])
    if args.compare is not None:
        scores["comparison"] = _compare(dialogues, responses["text_model"], responses["baseline" if args.compare == "baseline" else "compared"],
                                        args.shuffles, args.seed, (scores["model"], args.compare))
    if args.json_out:
        with atomic_writer(args.json_out) as fh:
            json.dump(scores, fh, indent=1)
    return 1 if report.problems else 0


def _print_scores(name: str, s: dict) -> None:
    from agreement.significance import interval_text

    ci = s["intervals_95"]
    m = s["mentions"]
    print(f"{name} ({s['documents']} dialogues; F1 [bootstrap 95 % interval]):")
    print("  " + "  ".join(f"{label} {100 * s[key]['f1']:.2f} {interval_text(*ci[key])}" for key, label in
                           (("conll", "CoNLL"), ("muc", "MUC"), ("bcub", "B3"), ("ceafe", "CEAF-e"))))
    print(f"  mentions P {100 * m['precision']:.1f} R {100 * m['recall']:.1f} F1 {100 * m['f1']:.2f} {interval_text(*ci['mentions'])}")


def _compare(dialogues, a: list, b: list, shuffles: int, seed: int, names: tuple[str, str]) -> dict:
    """The text model (A) against the compared model or the baseline (B): figure by figure, p-values."""
    from agreement.compare import compare, print_comparison, with_clusters

    result = compare(dialogues, [with_clusters(d, r) for d, r in zip(dialogues, a)], [with_clusters(d, r) for d, r in zip(dialogues, b)],
                     shuffles=shuffles, seed=seed)
    print()
    print_comparison(result, names)
    return result


def _write(prediction, task: dict[str, Any] | None, fmt: str) -> Any:
    """A release line, or a Label Studio task (``task``, or one built from the dialogue) with the prediction."""
    if fmt == "release":
        return prediction_line(prediction)
    item = dict(task) if task is not None else labelstudio.to_task(prediction.dialogue, annotation=False)
    item["predictions"] = [labelstudio.to_prediction(prediction)]
    return item


def predict(args: argparse.Namespace) -> int:
    """``ls-backend predict``: dialogues (``--data``) or tasks with videos (``--tasks``) through ``propose``."""
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
    from ls_backend.jobs.video_jobs import VideoJobs, task_list, video_refs

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


def documents(args: argparse.Namespace) -> list:
    """``simulate``'s gold dialogues (with their titles)."""
    from exports.io import read_titles
    from ls_backend.pipeline.text.data import read_dialogues

    titles = read_titles(args.titles)
    dialogues, report = read_dialogues(args.data, args.split, args.only if args.split else None)
    for problem in report.problems[:20]:
        log.warning("%s", problem)
    if not dialogues:
        raise InputError(f"{args.data}: no dialogue to replay")
    return [replace(d, title=titles.get(d.doc_key, d.title)) for d in dialogues]


def fold_config(rest: list, where: Path, config: Any):
    """``simulate --folds``: a configuration whose text model and base training data are the other folds' dialogues."""
    from ls_backend.pipeline.text.data import write_training_data
    from ls_backend.pipeline.text.model import SHIPPED, TextModel, train

    shipped = TextModel.load(config.text_model or SHIPPED)
    base = where / "training_data.jsonl.gz"
    write_training_data(base, rest, {d.doc_key: d.title for d in rest if d.title})
    model = train(rest, {d.doc_key: d.title for d in rest if d.title}, shipped.gazetteer, names=shipped.names, version=f"text-{where.name}")
    path = model.save(where / "text_model.json")
    return replace(config, text_model=path, text_training_data=base)


def create_project(args: argparse.Namespace, url: str, api_key: str) -> int:
    """``ls-backend project create``: a dialogue project (template, guidelines, two annotations per task, videos)."""
    from exports.io import label_studio as ls_client
    from exports.io import ReadReport, read_release
    from exports.io.media import VideoSource
    from ls_backend.workspace.project import create_project

    report = ReadReport(args.source)
    dialogues = [d for _, d in read_release(args.source, report)]
    if report.problems and not args.skip_invalid:
        raise InputError(f"{len(report.problems)} invalid line(s) in {args.source}; nothing was created (fix them, or pass --skip-invalid)")
    if not dialogues:
        raise InputError(f"{args.source}: no dialogue to import; nothing was created")
    client = ls_client.connect(url, api_key, timeout=60)
    videos = VideoSource(root=args.video_root, document_root=args.document_root, url_prefix=args.video_url_prefix)

    def progress(done: int, total: int) -> None:
        log.info("imported %d/%d tasks", done, total)

    result = create_project(
        client,
        title=args.title,
        dialogues=dialogues,
        videos=videos,
        with_annotations=args.with_annotations,
        with_predictions=args.with_predictions,
        ml_backend=args.ml_backend,
        base_url=url.rstrip("/"),
        progress=progress,
    )
    for warning in result.warnings:
        log.warning("%s", warning)
    log.info("project %d: %d tasks, %s", result.id, result.tasks, result.url)
    print(result.id)
    return 1 if report.problems or result.failed_steps else 0
