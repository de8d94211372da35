"""The post NER kind's ``ls-backend`` commands (``--task ner`` of ``train / predict / evaluate / simulate``) on BIO files.

    ls-backend train --task ner --data POSTS.txt --out DIR                          (the embedded CRF)
    ls-backend train --task ner --kind neural --encoder DIR --data POSTS.txt --out DIR [--epochs N] [--device cuda]
    ls-backend predict --task ner --data POSTS.txt --out PRED.txt [--model DIR]   (the input's tags are ignored)
    ls-backend evaluate --task ner --data POSTS.txt [--model DIR] [--json OUT]
    ls-backend evaluate --task ner --data POSTS.txt --folds K [--seed S]          (K-fold cross-validation of the CRF)
"""
from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path
from typing import Any

from exports.bio import BioFormatError, BioProblem, read_bio, write_bio
from exports.io import InputError
from ls_backend.commands.errors import ConfigError

log = logging.getLogger("ls_backend")


def _posts(path: str):
    problems: list[BioProblem] = []
    try:
        posts, layout = read_bio(path, problems)
    except BioFormatError as exc:
        raise InputError(str(exc)) from None
    for p in problems:
        log.warning("%s: %s", path, p)
    if not posts:
        raise InputError(f"{path}: no post")
    return posts, layout, problems


def _model(path: str | None):
    from ls_backend.pipeline.models import load_model
    from ls_backend.pipeline.ner.model import SHIPPED

    try:
        return load_model(path or SHIPPED, allowed=("crf", "neural-ner"))
    except (ValueError, OSError) as exc:
        raise ConfigError(str(exc)) from None


def train(args: argparse.Namespace) -> int:
    from ls_backend.pipeline.ner.model import train as train_crf

    posts, _, problems = _posts(args.data)
    if args.kind == "neural":
        from ls_backend.pipeline.ner.neural import train_neural

        if not args.encoder:
            raise InputError("train --task ner --kind neural needs --encoder DIR (a model saved with save_pretrained)")
        try:
            model = train_neural(posts, args.encoder, args.out, epochs=args.epochs or 3, device=args.device)
        except (ValueError, OSError) as exc:
            raise ConfigError(str(exc)) from None
    else:
        model = train_crf(posts, args.out, source=str(args.data))
    print(model.path)
    return 1 if problems else 0


def predict(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    if not args.data:
        raise InputError("predict --task ner reads --data POSTS.txt (a BIO file)")
    posts, layout, problems = _posts(args.data)
    model = _model(args.model)
    out = [model.predict(p)[0] for p in tqdm(posts, desc="posts", unit="post", disable=len(posts) < 200)]
    write_bio(args.out, out, layout)
    log.info("wrote %d posts with %d predicted entities to %s (model %s)", len(out), sum(len(p.entities) for p in out), args.out, model.version)
    return 1 if problems else 0


def _cross_validate(posts: list, folds: int, seed: int) -> dict:
    """Train the CRF on K-1 folds and tag the held-out one, K times; the scores of all held-out posts together."""
    import random
    import tempfile

    from agreement.ner import prf
    from ls_backend.pipeline.ner.model import train as train_crf

    if not 2 <= folds <= len(posts):
        raise InputError(f"--folds {folds}: expected 2..{len(posts)} (the number of posts)")
    order = list(range(len(posts)))
    random.Random(seed).shuffle(order)
    gold, predicted = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(folds):
            held = set(order[k::folds])
            model = train_crf([p for i, p in enumerate(posts) if i not in held], f"{tmp}/fold{k}", version=f"ner-fold{k}")
            for i in sorted(held):
                gold.append(posts[i])
                predicted.append(model.predict(posts[i])[0])
            log.info("fold %d/%d done", k + 1, folds)
    return prf(gold, predicted)


def evaluate(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from agreement.ner import prf
    from agreement.significance import interval_text
    from exports.io import atomic_writer
    from exports.posts import TYPES

    posts, _, problems = _posts(args.data)
    if args.folds is not None:
        scores, name = _cross_validate(posts, args.folds, args.seed), f"{args.folds}-fold cross-validation of the CRF (seed {args.seed})"
    else:
        model = _model(args.model)
        predicted = [model.predict(p)[0] for p in tqdm(posts, desc="posts", unit="post", disable=len(posts) < 200)]
        scores, name = prf(posts, predicted), model.version
    intervals = _f1_intervals(posts, predicted) if args.folds is None else {}
    print(f"{'type':8s} {'precision':>10s} {'recall':>8s} {'F1':>8s} {'support':>8s}   ({len(posts)} posts, model {name})")
    for t in ("overall", *TYPES):
        m = scores[t]
        ci = intervals.get(t)
        print(f"{t:8s} {100 * m['precision']:10.2f} {100 * m['recall']:8.2f} {100 * m['f1']:8.2f} {m['support']:8d}"
              + (f"   F1 {interval_text(*ci)}" if ci else ""))
    if args.json_out:
        with atomic_writer(args.json_out) as fh:
            json.dump({"data": str(args.data), "model": name, "posts": len(posts), "metrics": scores, "f1_intervals_95": intervals}, fh, indent=1)
    return 1 if problems else 0


def _f1_intervals(gold: list, predicted: list) -> dict[str, list[float]]:
    """Bootstrap 95 % intervals (over posts) of the entity F1, overall and per type."""
    import numpy as np

    from agreement.ner import entity_counts
    from agreement.significance import bootstrap_interval, f1_of
    from exports.posts import TYPES

    out = {}
    for t in ("overall", *TYPES):
        counts = [entity_counts(g, p, None if t == "overall" else t) for g, p in zip(gold, predicted)]
        rows = np.asarray([[tp, n_key, tp, n_got] for tp, n_key, n_got in counts], dtype=float).reshape(-1, 4)
        out[t] = list(bootstrap_interval(rows, f1_of(0)))
    return out


def documents(args: argparse.Namespace) -> list:
    """``simulate``'s gold posts."""
    posts, _, _ = _posts(args.data)
    return posts


def fold_config(rest: list, where: Path, config: Any):
    """``simulate --folds``: a configuration whose CRF and base training posts are the other folds' posts."""
    from dataclasses import replace

    from ls_backend.pipeline.ner.model import train as train_crf

    base = where / "posts.txt"
    write_bio(base, rest)
    model = train_crf(rest, where / "model", version=f"ner-{where.name}", source=f"{len(rest)} posts of the other folds")
    return replace(config, ner_model=model.path, ner_training_data=base)


def create_project(args: argparse.Namespace, url: str, api_key: str) -> int:
    """``ls-backend project create --task ner``: a post project (template, guidelines, three annotations per post, images)."""
    from urllib.parse import quote

    from exports.io import label_studio as ls_client
    from exports.io.media import images_of
    from ls_backend.workspace.project import create_post_project

    problems: list = []
    try:
        posts, layout = read_bio(args.source, problems)
    except BioFormatError as exc:
        raise InputError(str(exc)) from None
    if problems and not args.skip_invalid:
        for p in problems:
            log.error("%s: %s", args.source, p)
        raise InputError(f"{len(problems)} tag problem(s) in {args.source}; nothing was created (fix them, or pass --skip-invalid)")
    root = args.image_root
    doc_root = args.document_root or (root.resolve().parent if root else None)

    def images(post):
        if root is None:
            return None
        files = images_of(root, post.id)
        if args.image_url_prefix:
            return [args.image_url_prefix + quote(str(f.relative_to(root))) for f in files]
        return ["/data/local-files/?d=" + quote(str(f.resolve().relative_to(doc_root.resolve()))) for f in files]

    client = ls_client.connect(url, api_key, timeout=60)
    result = create_post_project(client, title=args.title, posts=posts, layout=layout, images=images,
                                 image_root=root if root is not None and not args.image_url_prefix else None,
                                 with_annotations=args.with_annotations, with_predictions=args.with_predictions, ml_backend=args.ml_backend,
                                 base_url=url.rstrip("/"), progress=lambda done, total: log.info("imported %d/%d posts", done, total))
    for warning in result.warnings:
        log.warning("%s", warning)
    log.info("project %d: %d posts, %s", result.id, result.tasks, result.url)
    print(result.id)
    return 1 if problems or result.failed_steps else 0
