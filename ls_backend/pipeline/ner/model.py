"""The embedded post NER model: a linear-chain CRF (CRFsuite, through python-crfsuite) over character features.

Features of a character (CMNER's tokens are characters; a word-level post uses the same features of its words):
the token and its neighbours (window -2..+2, unigrams and bigrams), its kind (Han, Latin, digit, punctuation),
whether it sits in a ``#hashtag#`` or an ``@mention``, and jieba's segmentation of the post: the position of the
character in its word (B/M/E/S) and the word's part of speech (``nr`` person, ``ns`` place, ``nt`` organisation,
``nz`` other proper noun ...), which carries pretrained lexical knowledge that ships with jieba.

Saved as a directory: ``model.crfsuite`` (CRFsuite's binary) and ``info.json`` (version, training data, settings).
"""
from __future__ import annotations

import json
import logging
import math
import re
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from exports.posts import Post, entities_of

log = logging.getLogger(__name__)

SHIPPED = Path(__file__).resolve().parents[2] / "models" / "ner"
FORMAT = "mcr-studio-ner-crf/1"
_HASHTAG = re.compile(r"#[^#\s]{1,40}#")
_MENTION = re.compile(r"@[\w\-·]{1,30}")


def _kind(ch: str) -> str:
    if "\u4e00" <= ch <= "\u9fff":
        return "han"
    if ch.isdigit():
        return "digit"
    if ch.isascii() and ch.isalpha():
        return "latin-upper" if ch.isupper() else "latin"
    if ch.isspace():
        return "space"
    return "punct" if not ch.isalnum() else "other"


def _segmentation(text: str) -> tuple[list[str], list[str]]:
    """Per character: its position in jieba's word (B/M/E/S) and the word's POS."""
    import jieba.posseg as pseg

    pos, tags = [], []
    for word, flag in pseg.lcut(text, HMM=True):
        n = len(word)
        for i in range(n):
            pos.append("S" if n == 1 else "B" if i == 0 else "E" if i == n - 1 else "M")
            tags.append(flag)
    return pos, tags


def features(tokens: Sequence[str]) -> list[list[str]]:
    """The CRF features of each token of a post."""
    chars = len(tokens) > 0 and all(len(t) == 1 for t in tokens)
    text = "".join(tokens) if chars else " ".join(tokens)
    if chars:
        seg_pos, seg_tag = _segmentation(text)
        if len(seg_pos) != len(tokens):  # jieba dropped or merged characters: go without it
            seg_pos = seg_tag = ["?"] * len(tokens)
    else:
        seg_pos = seg_tag = ["?"] * len(tokens)
    in_tag = [False] * len(text)
    in_at = [False] * len(text)
    for rx, mask in ((_HASHTAG, in_tag), (_MENTION, in_at)):
        for m in rx.finditer(text):
            for i in range(m.start(), m.end()):
                mask[i] = True
    offsets, o = [], 0
    for t in tokens:
        offsets.append(o)
        o += len(t) + (0 if chars else 1)
    padded = ["<s2>", "<s1>", *tokens, "</s1>", "</s2>"]
    out = []
    for i, tok in enumerate(tokens):
        w = i + 2
        f = [f"c={tok}", f"c-1={padded[w - 1]}", f"c+1={padded[w + 1]}", f"c-2={padded[w - 2]}", f"c+2={padded[w + 2]}",
             f"c-1c={padded[w - 1]}{tok}", f"cc+1={tok}{padded[w + 1]}", f"c-1c+1={padded[w - 1]}{padded[w + 1]}",
             f"c-2c-1={padded[w - 2]}{padded[w - 1]}", f"c+1c+2={padded[w + 1]}{padded[w + 2]}",
             f"k={_kind(tok[0])}", f"k-1={_kind(padded[w - 1][0])}", f"k+1={_kind(padded[w + 1][0])}",
             f"seg={seg_pos[i]}", f"pos={seg_tag[i]}", f"segpos={seg_pos[i]}{seg_tag[i]}",
             f"pos-1={seg_tag[i - 1] if i else '<s>'}", f"pos+1={seg_tag[i + 1] if i + 1 < len(tokens) else '</s>'}"]
        if in_tag[offsets[i]]:
            f.append("hashtag")
        if in_at[offsets[i]]:
            f.append("at")
        if not chars:
            f += [f"lower={tok.lower()}", f"suffix3={tok[-3:].lower()}", f"title={tok[:1].isupper()}"]
        out.append(f)
    return out


@dataclass
class NerModel:
    """The embedded post NER model (model kind ``crf``), with the post model interface of
    ``ls_backend/pipeline/models.py`` (``predict``, ``score``, ``successor``)."""

    model_kind: ClassVar[str] = "crf"
    path: Path
    info: dict[str, Any] = field(default_factory=dict)
    _tagger: Any = field(default=None, repr=False)

    @property
    def version(self) -> str:
        return str(self.info.get("version", "ner-untrained"))

    @classmethod
    def load(cls, path: str | Path = SHIPPED) -> NerModel:
        """Raises:
            ValueError: no NER model there.
        """
        import pycrfsuite

        path = Path(path)
        if path.is_file():
            path = path.parent
        info_file, crf = path / "info.json", path / "model.crfsuite"
        if not info_file.is_file() or not crf.is_file():
            raise ValueError(f"{path}: no NER model there (expected info.json and model.crfsuite)")
        info = json.loads(info_file.read_text(encoding="utf-8"))
        if info.get("format") != FORMAT:
            raise ValueError(f"{path}: info.json: format {info.get('format')!r}, expected {FORMAT!r}")
        tagger = pycrfsuite.Tagger()
        tagger.open(str(crf))
        return cls(path, info, tagger)

    def score(self, probability: float, n_tokens: int) -> float:
        """The prediction's score: the sequence probability made per-token (:func:`confidence_score`)."""
        return confidence_score(probability, n_tokens)

    def successor(self, docs: Sequence[Post], out: Path, version: str, settings: Any) -> tuple[NerModel, Path]:
        """Retrained on ``docs`` with this model's settings (an annotated post repeated ``annotation_weight`` times)."""
        from ls_backend.pipeline.ner.neural import repeat_annotated

        model = train(repeat_annotated(docs, settings), out, c1=float(self.info.get("c1", 0.05)), c2=float(self.info.get("c2", 0.01)),
                      max_iterations=int(self.info.get("max_iterations", 150)), version=version, source=settings.source)
        return model, model.path

    def tag(self, tokens: Sequence[str]) -> tuple[list[str], float]:
        """BIO tags of a post's tokens, and the model's confidence in the whole sequence (its probability)."""
        tags = list(self._tagger.tag(features(tokens)))
        return tags, float(self._tagger.probability(tags))

    def predict(self, post: Post) -> tuple[Post, float]:
        """The post with the model's entities (the input's entities are ignored)."""
        tags, confidence = self.tag(post.tokens)
        entities, _ = entities_of(tags)  # a CRF can emit I- after O: read as seqeval does
        return Post(post.id, post.tokens, tuple(entities), post.images, post.url), confidence


def train(posts: Sequence[Post], out: str | Path, *, c1: float = 0.05, c2: float = 0.01, max_iterations: int = 150,
          version: str | None = None, source: str = "") -> NerModel:
    """Train the CRF on annotated posts; writes ``out/model.crfsuite`` and ``out/info.json`` (atomically: a
    temporary directory renamed into place)."""
    import os

    import pycrfsuite

    if not posts:
        raise ValueError("no post to train on")
    started = time.monotonic()
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    trainer = pycrfsuite.Trainer(verbose=False)
    for p in posts:
        trainer.append(features(p.tokens), p.bio())
    trainer.set_params({"c1": c1, "c2": c2, "max_iterations": max_iterations, "feature.possible_transitions": True})
    trainer.train(str(tmp / "model.crfsuite"))
    info = {"format": FORMAT, "version": version or time.strftime("ner-%Y%m%d-%H%M%S", time.gmtime()), "posts": len(posts),
            "entities": sum(len(p.entities) for p in posts), "c1": c1, "c2": c2, "max_iterations": max_iterations, "source": source,
            "seconds": round(time.monotonic() - started, 1)}
    (tmp / "info.json").write_text(json.dumps(info, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    if out.exists():
        import shutil

        shutil.rmtree(out)
    os.replace(tmp, out)
    log.info("NER model %s: %d posts in %.1f s -> %s", info["version"], len(posts), info["seconds"], out)
    return NerModel.load(out)


def confidence_score(probability: float, n_tokens: int) -> float:
    """A per-token confidence in [0, 1] (the sequence probability's geometric mean), for uncertainty ordering."""
    return round(math.exp(math.log(max(probability, 1e-300)) / max(1, n_tokens)), 6)
