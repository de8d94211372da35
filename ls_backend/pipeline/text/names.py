"""The name-likeness model: how much a 2-4 character span looks like a person's name.

Learned from NER data (CMNER's train and dev Weibo posts, PER entities: 5,127 names in the same social-media
register as the dialogues) and used as a feature of the mention model, so that names never seen
in the coreference data (李奕, 芊芊, 甄子丹) are still proposed.
"""
from __future__ import annotations

import logging
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path

from exports.io import read_text_lines
from ls_backend.pipeline.text.features import NAME_MAX_LEN, PUNCT, name_features
from ls_backend.pipeline.text.linear import LinearModel, fit

log = logging.getLogger(__name__)

NEGATIVE_KEEP = 5  # keep one negative span in 5 (deterministic): the model is used through buckets of its score


def read_ner_posts(paths: Iterable[str | Path]) -> Iterator[tuple[str, set[tuple[int, int]]]]:
    """(post text, inclusive PER spans) of CMNER-style files (read by :func:`exports.bio.read_bio`)."""
    from exports.bio import read_bio

    for path in paths:
        for post in read_bio(path)[0]:
            yield "".join(post.tokens), {(e.start, e.end - 1) for e in post.entities if e.type == "PER"}


def is_ner_file(path: str | Path) -> bool:
    lines = read_text_lines(path)[:50]
    return any(l.startswith("WID:") for l in lines) and any("\t" in l for l in lines)


def names_from(paths: Iterable[str | Path]) -> LinearModel | None:
    """The name-likeness model from those of ``paths`` that are NER files (None when none is)."""
    ner_files = [p for p in paths if is_ner_file(p)]
    return train_names(ner_files) if ner_files else None


def train_names(paths: Iterable[str | Path], c: float = 0.5) -> LinearModel | None:
    """Fit the name-likeness model on the PER entities of NER files; None when they hold none."""
    samples, labels = [], []
    for text, gold in read_ner_posts(paths):
        for s in range(len(text)):
            if text[s] in PUNCT:
                continue
            for e in range(s + 1, min(len(text), s + NAME_MAX_LEN)):
                if text[e] in PUNCT:
                    break
                positive = (s, e) in gold
                if not positive and zlib.crc32(f"{text}|{s}|{e}".encode()) % NEGATIVE_KEEP:
                    continue
                samples.append(name_features(text, s, e))
                labels.append(int(positive))
    if sum(labels) == 0:
        return None
    log.info("name model: %d spans, %d names", len(labels), sum(labels))
    return fit(samples, labels, c=c)
