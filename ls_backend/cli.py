"""``ls-backend``: the MCR Studio side of Label Studio.

    ls-backend project create --url URL --api-key KEY --title T --from FILE.jsonl
                              [--with-annotations | --with-predictions VERSION]
                              [--video-root DIR [--document-root DIR] | --video-url-prefix URL]
                              [--ml-backend URL] [--skip-invalid]

Exit codes: 0 done; 1 done with a problem (a requested step failed, or invalid lines were
skipped); 2 nothing done (bad input file, server unreachable, key refused, bad options).
``project create`` prints the new project's id as the last line of its output.
"""
from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from exports.io import InputError, ReadReport, read_release
from exports.ls_client import connect
from exports.media import VideoSource
from ls_backend.commands import status

log = logging.getLogger("ls_backend")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="ls-backend", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("-v", "--verbose", action="store_true", help="log more")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    project = sub.add_parser("project", help="Label Studio projects for MCR Studio")
    psub = project.add_subparsers(dest="action", required=True, metavar="ACTION")
    c = psub.add_parser("create", help="create a project with our template and guidelines, and import dialogues")
    c.add_argument("--url", default=os.environ.get("LABEL_STUDIO_URL"), help="Label Studio URL (default: $LABEL_STUDIO_URL)")
    c.add_argument("--api-key", default=os.environ.get("LABEL_STUDIO_API_KEY"), help="API token of a Label Studio user (default: $LABEL_STUDIO_API_KEY)")
    c.add_argument("--title", required=True, help="project title")
    c.add_argument("--from", dest="source", required=True, metavar="FILE.jsonl", help="release JSONL with the dialogues to import")
    ann = c.add_mutually_exclusive_group()
    ann.add_argument("--with-annotations", action="store_true", help="import the file's annotations as annotations")
    ann.add_argument("--with-predictions", metavar="VERSION", help="import the file's annotations as predictions of model VERSION")
    media = c.add_mutually_exclusive_group()
    media.add_argument("--video-root", type=Path, help="directory with <doc_key>.mp4 videos, under Label Studio's document root")
    media.add_argument("--video-url-prefix", help="videos served at <prefix><doc_key>.mp4")
    c.add_argument(
        "--document-root",
        type=Path,
        default=os.environ.get("LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT"),
        help="Label Studio's LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT (default: that variable)",
    )
    c.add_argument("--ml-backend", metavar="URL", help="connect the MCR Studio ML backend at URL")
    c.add_argument("--skip-invalid", action="store_true", help="import the valid dialogues when some lines are invalid (default: stop)")

    status.add_parser(sub)

    st = sub.add_parser("start", help="serve the ML backend for Label Studio (gunicorn)")
    st.add_argument("--host", default="127.0.0.1", help="address (default: 127.0.0.1)")
    st.add_argument("--port", type=int, default=9090, help="port (default: 9090)")
    st.add_argument("--workers", type=int, default=2, help="worker processes (default: 2)")
    st.add_argument("--data-dir", help="store, trained versions (default: $MCR_DATA_DIR or ./ls-backend-data)")
    st.add_argument("--database-url", help="SQLAlchemy URL of the store (default: SQLite in the data dir)")
    st.add_argument("--text-model", help="text model to serve first (default: the shipped model)")
    st.add_argument("--config", help="JSON config file (see ls_backend/config.py)")

    t = sub.add_parser("train", help="train the embedded text coreference model")
    _data_options(t, "train")
    t.add_argument("--gazetteer", nargs="*", default=[], help="name lists: CMNER files (PER entities) or one name per line")
    t.add_argument("--out", required=True, help="output directory (writes text_model.json)")

    pr = sub.add_parser("predict", help="pre-annotate dialogues (and their videos, with --tasks) offline")
    src = pr.add_mutually_exclusive_group(required=True)
    src.add_argument("--data", help="release JSONL (annotations, if any, are ignored)")
    src.add_argument("--tasks", help="JSON list of Label Studio tasks whose data.video is a local path or an allow-listed URL")
    pr.add_argument("--config", help="JSON config file (video settings, media_url_prefixes; see ls_backend/config.py)")
    pr.add_argument("--titles", help="video_titles.jsonl")
    pr.add_argument("--out", required=True, help="output file")
    pr.add_argument("--format", choices=("release", "labelstudio"), default="release", help="release JSONL, or Label Studio tasks with predictions")
    pr.add_argument("--model", help="text model file or directory (default: the shipped model)")

    pa = sub.add_parser("preannotate", help="run the video pipeline over a project's tasks and upload predictions")
    pa.add_argument("--url", default=os.environ.get("LABEL_STUDIO_URL"), help="Label Studio URL (default: $LABEL_STUDIO_URL)")
    pa.add_argument("--api-key", default=os.environ.get("LABEL_STUDIO_API_KEY"), help="API token (default: $LABEL_STUDIO_API_KEY)")
    pa.add_argument("--project", type=int, required=True, help="project id")
    pa.add_argument("--workers", type=int, default=1, help="video processes (default: 1)")
    pa.add_argument("--data-dir", help="the backend's data dir: its store caches the results (default: $MCR_DATA_DIR or ./ls-backend-data)")
    pa.add_argument("--database-url", help="SQLAlchemy URL of the store (default: SQLite in the data dir)")
    pa.add_argument("--config", help="JSON config file (see ls_backend/config.py)")

    ta = sub.add_parser("train-align", help="train text-to-person alignment: the pair scorer, and CN-CLIP's projections")
    _data_options(ta, "train")
    src = ta.add_mutually_exclusive_group(required=True)
    src.add_argument("--frames", help="directory with the annotated dialogues' videos (<doc_key>.mp4)")
    src.add_argument("--synthetic", action="store_true", help="plant scikit-image faces at the annotated boxes (what the shipped scorer uses)")
    ta.add_argument("--out", required=True, help="output directory (align_scorer.json, align_pairs.jsonl.gz, clip/)")
    ta.add_argument("--clip-checkpoint", help="CN-CLIP checkpoint (directory, or release file with --clip-model) to fine-tune")
    ta.add_argument("--clip-model", help="'<vision>@<text>' of a release checkpoint, e.g. ViT-B-16@RoBERTa-wwm-ext-base-chinese")
    ta.add_argument("--epochs", type=int, default=3, help="CLIP fine-tuning epochs (default: 3)")
    ta.add_argument("--gazetteer", nargs="*", default=[], help="name lists (CMNER files or one name per line)")
    ta.add_argument("--limit", type=int, help="use the first N dialogues only")

    ea = sub.add_parser("evaluate-align", help="R@1/2/3 of text-to-person alignment on the synthetic set (faces planted at the boxes)")
    _data_options(ea, "val")
    ea.add_argument("--gallery-split", default="train", help="split whose named persons teach the gallery (default: train)")
    ea.add_argument("--scorer", help="alignment scorer (default: the shipped one)")
    ea.add_argument("--clip-checkpoint", help="CN-CLIP checkpoint to use")
    ea.add_argument("--clip-model", help="'<vision>@<text>' of a release checkpoint")
    ea.add_argument("--signals", default="names,clip,priors", help="comma-separated signals to use (default: names,clip,priors)")
    ea.add_argument("--retrain", action="store_true", help="train the scorer on the gallery split with the same signals first (ablations)")
    ea.add_argument("--gazetteer", nargs="*", default=[], help="name lists (CMNER files or one name per line)")
    ea.add_argument("--limit", type=int, help="use the first N dialogues of each split only")
    ea.add_argument("--json", dest="json_out", help="write the figures as JSON")

    ev = sub.add_parser("evaluate", help="score the text model against annotated dialogues")
    _data_options(ev, "val")
    ev.add_argument("--model", help="text model file or directory (default: the shipped model)")
    ev.add_argument("--baseline", nargs="*", metavar="GAZETTEER", help="also score the names + pronouns + exact-match baseline")
    ev.add_argument("--folds", type=int, help="K-fold cross-validation: train K models on the dialogues (as `train` does) and "
                    "score each on its held-out fold, instead of scoring --model")
    ev.add_argument("--seed", type=int, default=0, help="shuffling seed of --folds (default: 0)")
    ev.add_argument("--gazetteer", nargs="*", default=[], help="with --folds: name lists / CMNER files, as for `train`")
    ev.add_argument("--json", dest="json_out", help="write the scores as JSON")
    return p


def _data_options(p: argparse.ArgumentParser, default_split: str) -> None:
    p.add_argument("--data", required=True, help="release JSONL with annotated dialogues")
    p.add_argument("--titles", help="video_titles.jsonl (names in #hashtags help)")
    p.add_argument("--split", help="split.jsonl, to use one split only (with --only)")
    p.add_argument("--only", default=default_split, help=f"the split to use when --split is given (default: {default_split})")


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    if args.command == "project" and args.action == "create":
        if not args.url or not args.api_key:
            parser.error("project create needs --url and --api-key (or LABEL_STUDIO_URL and LABEL_STUDIO_API_KEY)")
        return cmd_project_create(args)
    if args.command == "preannotate" and (not args.url or not args.api_key):
        parser.error("preannotate needs --url and --api-key (or LABEL_STUDIO_URL and LABEL_STUDIO_API_KEY)")
    handlers = {"train": cmd_train, "predict": cmd_predict, "evaluate": cmd_evaluate, "start": cmd_start, "preannotate": cmd_preannotate,
                "train-align": cmd_train_align, "evaluate-align": cmd_evaluate_align, "status": status.run}
    if args.command in handlers:
        try:
            return handlers[args.command](args)
        except InputError as exc:
            log.error("%s", exc)
            return 2
    parser.error(f"unknown command {args.command}")
    return 2


def cmd_project_create(args: argparse.Namespace) -> int:
    from ls_backend.workspace.project import ProjectError, create_project

    report = ReadReport(args.source)
    try:
        dialogues = [d for _, d in read_release(args.source, report)]
        if report.problems and not args.skip_invalid:
            log.error("%d invalid line(s) in %s; nothing was created (fix them, or pass --skip-invalid)", len(report.problems), args.source)
            return 2
        if not dialogues:
            log.error("%s: no dialogue to import; nothing was created", args.source)
            return 2
        client = connect(args.url, args.api_key, timeout=60)
    except InputError as exc:
        log.error("%s", exc)
        return 2
    videos = VideoSource(root=args.video_root, document_root=args.document_root, url_prefix=args.video_url_prefix)

    def progress(done: int, total: int) -> None:
        log.info("imported %d/%d tasks", done, total)

    try:
        result = create_project(
            client,
            title=args.title,
            dialogues=dialogues,
            videos=videos,
            with_annotations=args.with_annotations,
            with_predictions=args.with_predictions,
            ml_backend=args.ml_backend,
            base_url=args.url.rstrip("/"),
            progress=progress,
        )
    except ProjectError as exc:
        log.error("%s", exc)
        return 2 if " created" not in str(exc) else 1
    for warning in result.warnings:
        log.warning("%s", warning)
    log.info("project %d: %d tasks, %s", result.id, result.tasks, result.url)
    print(result.id)
    failed_step = any("could not be" in w or "did not accept" in w for w in result.warnings)
    return 1 if report.problems or failed_step else 0




def _load_model(path: str | None):
    from ls_backend.pipeline.text.model import SHIPPED, TextModel

    try:
        return TextModel.load(path or SHIPPED)
    except ValueError as exc:
        raise InputError(str(exc)) from None


def cmd_train(args: argparse.Namespace) -> int:
    from exports.io import read_titles
    from ls_backend.pipeline.text.data import read_dialogues, read_gazetteer, write_training_data
    from ls_backend.pipeline.text.model import train
    from ls_backend.pipeline.text.names import names_from

    dialogues, report = read_dialogues(args.data, args.split, args.only if args.split else None)
    if not dialogues:
        raise InputError(f"{args.data}: no dialogue to train on")
    titles = read_titles(args.titles)
    model = train(dialogues, titles, read_gazetteer(args.gazetteer), names=names_from(args.gazetteer))
    path = model.save(args.out)
    n = write_training_data(path.parent / "training_data.jsonl.gz", dialogues, titles)
    log.info("wrote %s (%d dialogues: the base of retraining in the loop)", path.parent / "training_data.jsonl.gz", n)
    log.info("wrote %s (%d mention features, %d pair features, %d names)", path, len(model.mention.weights), len(model.pair.weights), len(model.gazetteer))
    print(path)
    return 1 if report.problems else 0


def cmd_predict(args: argparse.Namespace) -> int:

    from tqdm import tqdm

    from exports import labelstudio, release
    from exports.io import read_titles
    from ls_backend.pipeline.text.data import read_dialogues
    from ls_backend.pipeline.text.predict import predict_dialogue

    model = _load_model(args.model)
    titles = read_titles(args.titles)
    if args.tasks:
        return _predict_tasks(args, model)
    dialogues, report = read_dialogues(args.data)
    out = []
    for d in tqdm(dialogues, desc="predict", unit="dialogue", disable=len(dialogues) < 200):
        try:
            predicted, confidence = predict_dialogue(model, d, titles.get(d.doc_key))
        except ValueError as exc:
            report.add(None, str(exc))
            continue
        if args.format == "release":
            out.append(release.to_line(predicted))
        else:
            task = labelstudio.to_task(predicted, annotation=False)
            task["predictions"] = [{"model_version": model.version, "score": confidence, "result": labelstudio.to_result(predicted)}]
            out.append(task)
    _write_predictions(out, args.out, args.format)
    log.info("wrote %d predicted dialogues to %s (model %s)", len(out), args.out, model.version)
    return 1 if report.problems else 0


def _write_predictions(out: list, path: str, fmt: str) -> None:
    """Release lines (one per line) or a JSON list of Label Studio tasks, written atomically."""
    import json

    from exports.io import atomic_writer

    with atomic_writer(path) as fh:
        if fmt == "release":
            fh.writelines(line + "\n" for line in out)
        else:
            json.dump(out, fh, ensure_ascii=False)


def _load_config(args: argparse.Namespace, **overrides):
    from ls_backend.config import Config

    try:
        return Config.load(getattr(args, "config", None), **overrides)
    except ValueError as exc:
        raise InputError(str(exc)) from None


def _predict_tasks(args: argparse.Namespace, model) -> int:
    """Offline pre-annotation of task files: text model + video pipeline (local paths the file names)."""
    import json
    import tempfile

    from tqdm import tqdm

    from exports import labelstudio, release
    from ls_backend.media.fetch import MediaPolicy
    from ls_backend.pipeline.text.predict import predict_dialogue
    from ls_backend.pipeline.video import proposals
    from ls_backend.pipeline.video.pipeline import VideoSettings
    from ls_backend.service import TaskError, dialogue_from_task
    from ls_backend.video_jobs import VideoJobs, task_list, video_refs
    from ls_backend.pipeline.align.aligner import Aligner, persons_from_analysis
    from ls_backend.pipeline.align.link import linked_dialogue, linked_prediction
    from ls_backend.pipeline.align.scorer import SHIPPED as SHIPPED_SCORER, AlignScorer

    config = _load_config(args)
    try:  # offline: the configured (or shipped) scorer, no gallery (it lives in a backend's store)
        aligner = Aligner(AlignScorer.load(config.align_scorer or SHIPPED_SCORER), None, _clip_of(config))
    except ValueError as exc:
        raise InputError(str(exc)) from None
    path = Path(args.tasks)
    try:
        tasks = task_list(json.loads(path.read_text(encoding="utf-8")), str(path))
    except (OSError, json.JSONDecodeError, ValueError) as exc:
        raise InputError(f"{path}: {exc}") from None
    policy = MediaPolicy.from_config(config, any_local=True, base=path.resolve().parent)
    refs = video_refs(tasks)
    jobs = VideoJobs(VideoSettings.from_config(config), policy, Path(tempfile.gettempdir()) / "mcr-studio-media")
    with tqdm(total=len(set(refs)), desc="videos", unit="video", disable=not refs) as bar:
        outcomes = jobs.run(refs, progress=lambda _o: bar.update(1))
    problems, out = 0, []
    for i, task in enumerate(tasks):
        try:
            dialogue = dialogue_from_task(task, i, config.max_dialogue_chars)
            predicted, confidence = predict_dialogue(model, dialogue)
        except (TaskError, ValueError) as exc:
            log.error("%s: %s", path, exc)
            problems += 1
            continue
        ref = task["data"].get("video")
        outcome = outcomes.get(ref) if isinstance(ref, str) else None
        analysis = outcome.analysis if outcome else None
        if outcome and outcome.error:
            problems += 1
        alignment = clusters = None
        if analysis is not None:
            clusters, alignment = aligner.align_dialogue(predicted, persons_from_analysis(analysis), model.gazetteer)
        if args.format == "release":
            if alignment is None:
                out.append(release.to_line(predicted))
            else:
                linked, free = linked_dialogue(predicted, alignment, analysis, clusters)
                rest = {**analysis, "persons": [p for p in analysis["persons"] if p["number"] in free]}
                out.append(proposals.release_line(release.to_line(linked), rest if free else None, linked))
        else:
            item = dict(task)
            text_result = labelstudio.to_result(predicted)
            if alignment is None:
                item["predictions"] = [proposals.prediction(text_result, confidence, None, model.version)]
            else:
                item["predictions"] = [linked_prediction(predicted, confidence, analysis, alignment, model.version, clusters)]
            out.append(item)
    _write_predictions(out, args.out, args.format)
    log.info("wrote %d predicted tasks to %s (%d videos analysed, %d problems)", len(out), args.out, sum(1 for o in outcomes.values() if o.analysis), problems)
    return 1 if problems else 0


def cmd_preannotate(args: argparse.Namespace) -> int:
    from ls_backend.preannotate import preannotate

    from ls_backend.pipeline.video.pipeline import VideoSettings

    config = _load_config(args, data_dir=args.data_dir, database_url=args.database_url)
    from ls_backend.pipeline.align.service import check_config as check_align_config

    try:
        VideoSettings.from_config(config).check()
        check_align_config(config)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    return preannotate(config, args.url, args.api_key, args.project, workers=args.workers)


def _clip_of(config):
    if config.clip_checkpoint is None:
        return None
    from ls_backend.pipeline.align.clip import ClipEncoder

    return ClipEncoder(config.clip_checkpoint, config.clip_model)


def _titled(dialogues, titles):
    from dataclasses import replace

    return [replace(d, title=titles.get(d.doc_key, d.title)) for d in dialogues]


def _clip(args):
    if not getattr(args, "clip_checkpoint", None):
        return None
    from ls_backend.pipeline.align.clip import ClipEncoder

    try:
        return ClipEncoder(args.clip_checkpoint, args.clip_model)
    except ValueError as exc:
        raise InputError(str(exc)) from None


def _synthetic_examples(dialogues, all_dialogues, desc: str):
    from tqdm import tqdm

    from ls_backend.media.synth import faces
    from ls_backend.pipeline.align import synthetic
    from ls_backend.pipeline.video.faces import DlibFaces

    facebook = synthetic.FaceBook(all_dialogues, len(faces()))
    with tqdm(total=len(dialogues), desc=desc, unit="dialogue") as bar:
        return synthetic.build(dialogues, facebook, DlibFaces(), progress=bar.update)


def cmd_train_align(args: argparse.Namespace) -> int:
    import gzip
    import json

    from exports.io import read_titles
    from ls_backend.pipeline.align import synthetic
    from ls_backend.pipeline.align.gallery import Gallery
    from ls_backend.pipeline.align.train import finetune_clip, pair_samples
    from ls_backend.pipeline.align.scorer import fit
    from ls_backend.pipeline.align.clusters import text_clusters
    from ls_backend.pipeline.text.data import read_dialogues, read_gazetteer

    clip = _clip(args)
    titles = read_titles(args.titles)
    dialogues, report = read_dialogues(args.data, args.split, args.only if args.split else None)
    all_dialogues, _ = read_dialogues(args.data)
    dialogues = _titled(dialogues, titles)[: args.limit]
    if args.synthetic:
        examples = _synthetic_examples(dialogues, all_dialogues, "plant faces")
    else:
        from ls_backend.pipeline.video.faces import DlibFaces

        if not Path(args.frames).is_dir():
            raise InputError(f"--frames {args.frames}: no such directory")
        examples = synthetic.from_videos(dialogues, args.frames, DlibFaces())
    if not examples:
        raise InputError(f"{args.data}: no dialogue with boxes (and a video) to train alignment on")
    gallery = synthetic.teach(Gallery(), examples)
    gazetteer = frozenset(read_gazetteer(args.gazetteer))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if clip is not None:
        pairs = []
        for ex in examples:
            for c in text_clusters(ex.dialogue, gazetteer):
                for number in ex.gold.get(c.index, ()):
                    person = next(p for p in ex.persons if p.number == number)
                    pairs.append((c.text, person.crop, ex.dialogue.doc_key))
        losses = finetune_clip(clip, pairs, epochs=args.epochs)
        clip.save(out / "clip")
        print(f"CLIP projections fine-tuned on {len(pairs)} pairs: NT-Xent {losses[0]:.4f} -> {losses[-1]:.4f}; saved to {out / 'clip'}")
    samples, labels = pair_samples(examples, gallery, clip, gazetteer)
    scorer = fit(samples, labels, info={"dialogues": len(examples), "source": "synthetic" if args.synthetic else str(args.frames)})
    scorer.save(out / "align_scorer.json")
    with gzip.open(out / "align_pairs.jsonl.gz", "wt", encoding="utf-8") as fh:  # the base of retraining in the loop
        for f, y in zip(samples, labels):
            fh.write(json.dumps({"f": {k: round(v, 5) for k, v in f.items()}, "y": y}, ensure_ascii=False) + "\n")
    print(f"alignment scorer: {len(labels)} pairs ({sum(labels)} linked) from {len(examples)} dialogues -> {out / 'align_scorer.json'}")
    return 1 if report.problems else 0


def cmd_evaluate_align(args: argparse.Namespace) -> int:
    import json

    from exports.io import atomic_writer, read_titles
    from ls_backend.pipeline.align import synthetic
    from ls_backend.pipeline.align.aligner import Aligner
    from ls_backend.pipeline.align.evaluate import recall_at_k
    from ls_backend.pipeline.align.gallery import Gallery
    from ls_backend.pipeline.align.scorer import AlignScorer, SHIPPED
    from ls_backend.pipeline.align.train import train_scorer
    from ls_backend.pipeline.text.data import read_dialogues, read_gazetteer

    signals = tuple(s.strip() for s in args.signals.split(",") if s.strip())
    clip = _clip(args) if "clip" in signals else None
    titles = read_titles(args.titles)
    if not args.split:
        raise InputError("evaluate-align needs --split (the gallery is taught from one split and queried on another)")
    all_dialogues, report = read_dialogues(args.data)
    evald = _titled(read_dialogues(args.data, args.split, args.only)[0], titles)[: args.limit]
    teachd = _titled(read_dialogues(args.data, args.split, args.gallery_split)[0], titles)[: args.limit]
    teach = _synthetic_examples(teachd, all_dialogues, f"{args.gallery_split}: plant faces")
    examples = _synthetic_examples(evald, all_dialogues, f"{args.only}: plant faces")
    gallery = synthetic.teach(Gallery(), teach) if "names" in signals else None
    gazetteer = frozenset(read_gazetteer(args.gazetteer))
    try:
        scorer = train_scorer(teach, gallery, clip, gazetteer, signals) if args.retrain else AlignScorer.load(args.scorer or SHIPPED)
        aligner = Aligner(scorer, gallery, clip, signals)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    scores = recall_at_k(aligner, examples, gazetteer)
    scores.update(signals=list(signals), gallery_faces=len(gallery) if gallery else 0, gallery_names=len(gallery.known()) if gallery else 0)
    for kind in ("all", "name", "noun", "pronoun"):
        s = scores[kind]
        fmt = lambda v: "  -  " if v is None else f"{100 * v:5.1f}"
        print(f"{kind:8s} R@1 {fmt(s['R@1'])}  R@2 {fmt(s['R@2'])}  R@3 {fmt(s['R@3'])}  ({s['clusters']} clusters)")
    print(f"assignment (a cluster gets exactly its persons, or none) {100 * scores['assignment_accuracy']:.1f} %; "
          f"{scores['dialogues']} dialogues; gallery {scores['gallery_faces']} faces of {scores['gallery_names']} celebrities; signals {', '.join(signals)}")
    if args.json_out:
        with atomic_writer(args.json_out) as fh:
            json.dump(scores, fh, indent=1, ensure_ascii=False)
    return 1 if report.problems else 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    import json

    from exports.io import atomic_writer
    from exports.io import read_titles
    from ls_backend.pipeline.text.data import read_dialogues, read_gazetteer
    from ls_backend.pipeline.text.evaluate import baseline_predictor, cross_validate, evaluate, model_predictor
    from ls_backend.pipeline.text.names import names_from

    titles = read_titles(args.titles)
    dialogues, report = read_dialogues(args.data, args.split, args.only if args.split else None)
    if not dialogues:
        raise InputError(f"{args.data}: no dialogue to evaluate on")
    scores: dict = {"data": str(args.data), "split": args.only if args.split else None}
    if args.folds is not None:
        try:
            scores["text_model"] = cross_validate(dialogues, titles, read_gazetteer(args.gazetteer), folds=args.folds, seed=args.seed,
                                                  names=names_from(args.gazetteer))
        except ValueError as exc:
            raise InputError(str(exc)) from exc
        scores["model"] = f"{args.folds}-fold cross-validation (seed {args.seed})"
    else:
        model = _load_model(args.model)
        scores["model"] = model.version
        scores["text_model"] = evaluate(model_predictor(model, titles), dialogues)
    if args.baseline is not None:
        scores["baseline"] = evaluate(baseline_predictor(frozenset(read_gazetteer(args.baseline)), titles), dialogues)
    for name in ("text_model", "baseline"):
        if name in scores:
            s = scores[name]
            print(f"{name:10s} CoNLL F1 {100 * s['conll']['f1']:6.2f} | MUC {100 * s['muc']['f1']:6.2f}  B3 {100 * s['bcub']['f1']:6.2f}  "
                  f"CEAF-e {100 * s['ceafe']['f1']:6.2f} | mentions P {100 * s['mentions']['precision']:5.1f} R {100 * s['mentions']['recall']:5.1f} "
                  f"F1 {100 * s['mentions']['f1']:6.2f}  ({s['documents']} dialogues)")
    if args.json_out:
        with atomic_writer(args.json_out) as fh:
            json.dump(scores, fh, indent=1)
    return 1 if report.problems else 0


def cmd_start(args: argparse.Namespace) -> int:
    from ls_backend.config import Config
    from ls_backend.pipeline.align.service import check_config as check_align_config
    from ls_backend.pipeline.video.pipeline import VideoSettings
    from ls_backend.server import serve

    try:
        config = Config.load(args.config, data_dir=args.data_dir, database_url=args.database_url, text_model=args.text_model)
        VideoSettings.from_config(config).check()
        check_align_config(config)
        serve(config, args.host, args.port, args.workers)
    except ValueError as exc:
        log.error("cannot start: %s", exc)
        return 2
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
