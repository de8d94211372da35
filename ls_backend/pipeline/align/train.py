"""Training alignment: the pair scorer (always) and CN-CLIP's projections (when a checkpoint is given)."""
from __future__ import annotations

import logging
import time
from collections.abc import Sequence

import numpy as np

from ls_backend.pipeline.align.aligner import Aligner
from ls_backend.pipeline.align.clusters import text_clusters
from ls_backend.pipeline.align.gallery import Gallery
from ls_backend.pipeline.align.scorer import AlignScorer, fit
from ls_backend.pipeline.align.synthetic import AlignExample
from ls_backend.pipeline.text.features import HASHTAG

log = logging.getLogger(__name__)


def pair_samples(examples: Sequence[AlignExample], gallery: Gallery | None, clip=None, gazetteer: frozenset[str] = frozenset(),
                 signals: Sequence[str] | None = None) -> tuple[list[dict[str, float]], list[int]]:
    """Features and labels of every (cluster, person) pair; the gallery is queried leave-one-out."""
    from ls_backend.pipeline.align import signals as S

    probe = Aligner(AlignScorer({}, 0.0), gallery, clip, signals or S.SIGNALS)
    known_names = gallery.known() if gallery is not None else set()
    samples, labels = [], []
    for ex in examples:
        clusters = text_clusters(ex.dialogue, gazetteer, known_names)
        known = {}
        if gallery is not None and "names" in probe.signals:
            for p in ex.persons:
                m = gallery.match(p.embedding, exclude=ex.dialogue.doc_key)
                if m is not None:
                    known[p.number] = m
        feats = probe.features(clusters, ex.persons, HASHTAG.findall(ex.dialogue.title or ""), known)
        for (ci, pn), f in feats.items():
            samples.append(f)
            labels.append(int(pn in ex.gold.get(ci, ())))
    return samples, labels


def train_scorer(examples: Sequence[AlignExample], gallery: Gallery | None, clip=None, gazetteer: frozenset[str] = frozenset(),
                 signals: Sequence[str] | None = None, c: float = 1.0) -> AlignScorer:
    started = time.monotonic()
    samples, labels = pair_samples(examples, gallery, clip, gazetteer, signals)
    scorer = fit(samples, labels, c=c, info={"dialogues": len(examples), "signals": list(signals or ())})
    scorer.info["train_seconds"] = round(time.monotonic() - started, 2)
    return scorer


def finetune_clip(encoder, pairs: Sequence[tuple[str, np.ndarray, str]], epochs: int = 3, lr: float = 1e-3, temperature: float = 0.07,
                  seed: int = 0) -> list[float]:
    """Fine-tune the text and image projections with NT-Xent over each video's (cluster text, head crop)
    pairs (``pairs``: text, RGB crop, video key); the encoders stay frozen. Returns the mean loss per epoch."""
    import torch
    from PIL import Image

    torch.manual_seed(seed)
    model = encoder.model
    for p in model.parameters():
        p.requires_grad_(False)
    params = [model.text_projection]
    if getattr(model.visual, "proj", None) is not None:
        params.append(model.visual.proj)
    for p in params:
        p.requires_grad_(True)
    opt = torch.optim.AdamW(params, lr=lr)
    by_video: dict[str, list[tuple[str, np.ndarray]]] = {}
    for text, crop, key in pairs:
        by_video.setdefault(key, []).append((text, crop))
    groups = [g for g in by_video.values() if len(g) >= 2]
    if not groups:
        raise ValueError("train-align: CLIP fine-tuning needs videos with at least two linked clusters")
    tokenize = encoder._tokenize
    losses = []
    model.train()
    for _ in range(epochs):
        total = 0.0
        for g in groups:
            texts = tokenize([t for t, _ in g]).to(encoder.device)
            images = torch.stack([encoder.transform(Image.fromarray(np.ascontiguousarray(c))) for _, c in g]).to(encoder.device)
            t = model.encode_text(texts).float()
            i = model.encode_image(images).float()
            t = t / t.norm(dim=-1, keepdim=True).clamp_min(1e-9)
            i = i / i.norm(dim=-1, keepdim=True).clamp_min(1e-9)
            logits = t @ i.T / temperature
            target = torch.arange(len(g), device=logits.device)
            loss = (torch.nn.functional.cross_entropy(logits, target) + torch.nn.functional.cross_entropy(logits.T, target)) / 2
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss.detach())
        losses.append(total / len(groups))
        log.info("train-align: CLIP epoch %d, NT-Xent loss %.4f", len(losses), losses[-1])
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    return losses
