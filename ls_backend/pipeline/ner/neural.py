"""The full post NER model (for users with a GPU and pretrained weights): a ``transformers`` token-classification
head over any encoder directory saved with ``save_pretrained`` (BERT, RoBERTa-wwm, MacBERT ...), loaded by path --
nothing is downloaded. A post's tokens (characters for CMNER) are the words of ``is_split_into_words``; each token
takes the label of its first sub-token; BIO over PER / LOC / ORG / MISC, read as seqeval does.

Saved as a directory: the fine-tuned model and tokenizer (``save_pretrained``) and ``info.json``.
"""
from __future__ import annotations

import json
import logging
import math
import random
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from exports.posts import TYPES, Post, entities_of

log = logging.getLogger(__name__)

LABELS = ["O", *(f"{p}-{t}" for t in TYPES for p in ("B", "I"))]
FORMAT = "mcr-studio-ner-transformers/1"
LOOP_EPOCHS = 1  # learning in the loop: one pass over the training posts


def repeat_annotated(posts: Sequence[Post], settings: Any) -> list[Post]:
    """The training posts with each annotated one repeated ``round(annotation_weight)`` times (neither the CRF nor
    the token classifier takes sample weights)."""
    copies = max(1, round(settings.annotation_weight))
    return [p for p in posts for _ in range(copies if p.id in settings.annotated else 1)]


def _device(name: str):
    import torch

    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


class NeuralNer:
    """The full post NER model (model kind ``neural-ner``), with the post model interface of
    ``ls_backend/pipeline/models.py`` (``predict``, ``score``, ``successor``)."""

    model_kind = "neural-ner"

    def __init__(self, path: Path, model: Any, tokenizer: Any, info: dict[str, Any], device: Any) -> None:
        self.path, self.model, self.tokenizer, self.info, self.device = path, model, tokenizer, info, device

    @property
    def version(self) -> str:
        return str(self.info.get("version", "ner-neural"))

    @classmethod
    def load(cls, path: str | Path, device: str = "auto") -> NeuralNer:
        """Raises:
            ValueError: no fine-tuned token-classification model there.
        """
        from transformers import AutoModelForTokenClassification, AutoTokenizer

        path = Path(path)
        info_file = path / "info.json"
        if not info_file.is_file() or json.loads(info_file.read_text(encoding="utf-8")).get("format") != FORMAT:
            raise ValueError(f"{path}: no fine-tuned NER model there (expected info.json of format {FORMAT!r}, and the model)")
        dev = _device(device)
        model = AutoModelForTokenClassification.from_pretrained(path).to(dev).eval()
        return cls(path, model, AutoTokenizer.from_pretrained(path), json.loads(info_file.read_text(encoding="utf-8")), dev)

    def score(self, probability: float, n_tokens: int) -> float:
        """The prediction's score: the mean probability of the chosen labels."""
        return round(probability, 6)

    def successor(self, docs: Sequence[Post], out: Path, version: str, settings: Any) -> tuple[NeuralNer, Path]:
        """Fine-tuned from this model's directory on ``docs`` (an annotated post repeated ``annotation_weight`` times,
        rounded) for :data:`LOOP_EPOCHS` epoch(s): the full model stays the full model as the project learns."""
        posts = repeat_annotated(docs, settings)
        model = train_neural(posts, self.path, out, epochs=LOOP_EPOCHS, device=settings.device, version=version,
                             max_length=int(self.info.get("max_length", 256)))
        return model, Path(out)

    def _encode(self, tokens: Sequence[str], max_length: int):
        enc = self.tokenizer(list(tokens), is_split_into_words=True, truncation=True, max_length=max_length, return_tensors="pt")
        return enc, enc.word_ids(0)

    def predict(self, post: Post) -> tuple[Post, float]:
        """The post with the model's entities, and the mean probability of the chosen labels."""
        import torch

        enc, word_ids = self._encode(post.tokens, int(self.info.get("max_length", 512)))
        with torch.no_grad():
            logits = self.model(**{k: v.to(self.device) for k, v in enc.items()}).logits[0]
        probs = logits.softmax(-1).cpu()
        tags, conf, seen = ["O"] * len(post.tokens), [], set()
        for i, w in enumerate(word_ids):
            if w is None or w in seen:
                continue
            seen.add(w)
            k = int(probs[i].argmax())
            tags[w] = LABELS[k]
            conf.append(float(probs[i, k]))
        entities, _ = entities_of(tags)
        return Post(post.id, post.tokens, tuple(entities), post.images, post.url), (sum(conf) / len(conf) if conf else 1.0)


def train_neural(posts: Sequence[Post], encoder: str | Path, out: str | Path, *, epochs: int = 3, lr: float = 5e-5, head_lr: float = 1e-3,
                 batch_size: int = 16, warmup: float = 0.1, max_length: int = 256, device: str = "auto", seed: int = 0,
                 version: str | None = None) -> NeuralNer:
    """Fine-tune a token-classification model from an encoder directory (AdamW, linear warm-up and decay, a larger
    learning rate for the new head than for the encoder, mixed precision on a GPU)."""
    import torch
    from transformers import AutoModelForTokenClassification, AutoTokenizer, get_linear_schedule_with_warmup

    if not posts:
        raise ValueError("no post to train on")
    encoder = Path(encoder)
    if not (encoder / "config.json").is_file():
        raise ValueError(f"--encoder {encoder}: not a directory saved with save_pretrained (no config.json)")
    torch.manual_seed(seed)
    rng = random.Random(seed)
    dev = _device(device)
    tokenizer = AutoTokenizer.from_pretrained(encoder)
    model = AutoModelForTokenClassification.from_pretrained(encoder, num_labels=len(LABELS), id2label=dict(enumerate(LABELS)),
                                                            label2id={l: i for i, l in enumerate(LABELS)}).to(dev)
    head = [p for n, p in model.named_parameters() if n.startswith("classifier")]
    body = [p for n, p in model.named_parameters() if not n.startswith("classifier")]
    optim = torch.optim.AdamW([{"params": body, "lr": lr}, {"params": head, "lr": head_lr}], weight_decay=0.01)
    steps = epochs * math.ceil(len(posts) / batch_size)
    schedule = get_linear_schedule_with_warmup(optim, int(warmup * steps), steps)
    label_id = {l: i for i, l in enumerate(LABELS)}
    use_amp = dev.type == "cuda"
    scaler = torch.amp.GradScaler("cuda") if use_amp else None
    started = time.monotonic()
    losses = []
    model.train()
    order = list(range(len(posts)))
    for _ in range(epochs):
        rng.shuffle(order)
        for b in range(0, len(order), batch_size):
            batch = [posts[i] for i in order[b : b + batch_size]]
            enc = tokenizer([list(p.tokens) for p in batch], is_split_into_words=True, truncation=True, max_length=max_length,
                            padding=True, return_tensors="pt")
            labels = torch.full(enc["input_ids"].shape, -100, dtype=torch.long)
            for r, p in enumerate(batch):
                tags, seen = p.bio(), set()
                for c, w in enumerate(enc.word_ids(r)):
                    if w is not None and w not in seen:
                        seen.add(w)
                        labels[r, c] = label_id.get(tags[w], 0)
            inputs = {k: v.to(dev) for k, v in enc.items()}
            with torch.autocast(device_type=dev.type, enabled=use_amp):
                loss = model(**inputs, labels=labels.to(dev)).loss
            optim.zero_grad()
            if scaler is not None:
                scaler.scale(loss).backward()
                scaler.step(optim)
                scaler.update()
            else:
                loss.backward()
                optim.step()
            schedule.step()
            losses.append(float(loss.detach()))
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    info = {"format": FORMAT, "version": version or time.strftime("ner-neural-%Y%m%d-%H%M%S", time.gmtime()), "encoder": str(encoder),
            "posts": len(posts), "epochs": epochs, "lr": lr, "head_lr": head_lr, "batch_size": batch_size, "max_length": max_length,
            "device": str(dev), "loss_first": round(losses[0], 4), "loss_last": round(losses[-1], 4), "seconds": round(time.monotonic() - started, 1)}
    (out / "info.json").write_text(json.dumps(info, indent=1) + "\n", encoding="utf-8")
    log.info("neural NER model %s: %d posts, loss %.3f -> %.3f, %.0f s", info["version"], len(posts), losses[0], losses[-1], info["seconds"])
    return NeuralNer.load(out, device)
