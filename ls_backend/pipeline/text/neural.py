"""The full text coreference model (for users with a GPU and pretrained weights): Maverick-style heads over any
``transformers`` encoder saved with ``save_pretrained`` (BERT, RoBERTa-wwm, MacBERT, DeBERTa ...), loaded by
path -- nothing is downloaded.

The method (after Maverick, Martinelli et al. 2024, and LingMess, Otmazgin et al. 2023; our own code):

- **Input**: ``[CLS] [SPK1] turn 1 [SPK2] turn 2 ... [SEP]``, the speaker markers added to the tokenizer as
  special tokens. Each character of the dialogue is a word of ``is_split_into_words``; a character is
  represented by its first sub-token, so characters map to sub-tokens and back exactly (a character the
  tokenizer drops takes the previous character's sub-token).
- **Mentions**: a start classifier on every character, then, for each start, an end classifier over the
  characters after it in the same turn (up to ``max_span``), from the pair (start, end). Every (start, end)
  above 0.5 is a mention, so nested mentions come out as the guidelines want them.
- **Antecedents**: for mentions i < j, a score from four bilinear terms between start and end representations
  (start-start, start-end, end-start, end-end), one set per mention-pair category as in LingMess (pronoun-pronoun,
  pronoun-name, match, contain, other). BCE on every earlier mention (1 when in the same cluster).
- **Decoding**: each mention links to its best-scoring earlier mention when that score is positive (greedy,
  left to right); clusters are the connected links; a mention that links to nothing stays a singleton.

Training: AdamW (or Adafactor) with linear warm-up and decay, separate learning rates for the encoder and the
heads, gradient accumulation, mixed precision (bf16) on a GPU. Saved as a directory: the encoder and tokenizer
(``save_pretrained``), ``heads.pt`` (a state dict, loaded with ``weights_only``) and ``info.json``.
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

from exports.dialogue import Dialogue
from ls_backend.pipeline.memory import Memory
from ls_backend.pipeline.text.artifacts import Clusters, Mentions
from ls_backend.pipeline.text.decoding import best_first
from ls_backend.pipeline.text.features import PRONOUN_CLASS

log = logging.getLogger(__name__)

FORMAT = "mcr-text-neural/1"
LOOP_EPOCHS = 1  # learning in the loop: one pass over the training set
SPEAKERS = ("[SPK1]", "[SPK2]")
CATEGORIES = ("pron-pron", "pron-name", "match", "contain", "other")
MAX_SPAN = 12


def category(a: str, b: str) -> int:
    """LingMess-style category of the pair (earlier mention text ``a``, later ``b``)."""
    pa, pb = a in PRONOUN_CLASS, b in PRONOUN_CLASS
    if pa and pb:
        return 0
    if pa or pb:
        return 1
    if a == b:
        return 2
    if a in b or b in a:
        return 3
    return 4


def _device(name: str):
    import torch

    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def is_neural_dir(path: str | Path) -> bool:
    info = Path(path) / "info.json"
    try:
        return info.is_file() and json.loads(info.read_text(encoding="utf-8")).get("format") == FORMAT
    except (OSError, ValueError):
        return False


def _heads_class():
    import torch
    from torch import nn

    def ffnn(d_in: int, d_hidden: int, d_out: int) -> nn.Module:
        return nn.Sequential(nn.Linear(d_in, d_hidden), nn.GELU(), nn.Dropout(0.1), nn.Linear(d_hidden, d_out))

    class CorefHeads(nn.Module):
        def __init__(self, hidden: int, d_ant: int = 128, categories: int = len(CATEGORIES)) -> None:
            super().__init__()
            d_ff = max(hidden, 64)
            self.start = ffnn(hidden, d_ff, 1)
            self.end = ffnn(2 * hidden, d_ff, 1)
            self.ant_start = ffnn(hidden, d_ff, d_ant)
            self.ant_end = ffnn(hidden, d_ff, d_ant)
            # [category, (start|end of the later mention), (start|end of the earlier one), d, d]
            self.bilinear = nn.Parameter(torch.randn(categories, 2, 2, d_ant, d_ant) * (1.0 / d_ant))
            self.bias = nn.Parameter(torch.zeros(categories))

        def start_logits(self, chars):  # [n, h] -> [n]
            return self.start(chars).squeeze(-1)

        def end_logits(self, chars, starts, ends):  # pairs of character indices -> [k]
            return self.end(torch.cat([chars[starts], chars[ends]], -1)).squeeze(-1)

        def antecedent_logits(self, chars, spans, cats):
            """``spans`` [m, 2] character (start, end); ``cats`` [m, m] category of (earlier i, later j);
            returns [m, m] scores of i being j's antecedent (meaningful for i < j)."""
            reps = torch.stack([self.ant_start(chars[spans[:, 0]]), self.ant_end(chars[spans[:, 1]])], 1)  # [m, 2, d]
            # all[c, j, i] = sum over (x, y) of rep_j[x] W[c, x, y] rep_i[y]
            scores = torch.einsum("jxd,cxyde,iye->cji", reps, self.bilinear, reps) + self.bias[:, None, None]
            m = spans.shape[0]
            idx = torch.arange(m, device=chars.device)
            return scores[cats, idx[None, :], idx[:, None]]  # [i, j] = scores[cats[i, j], j, i]

    return CorefHeads


class NeuralCoref:
    """The full text model (model kind ``neural``): encoder + tokenizer + heads, with the coreference model interface
    (``ls_backend/pipeline/models.py``: ``predict``, ``version``, ``successor``, and ``gazetteer``, the names it
    knows by heart: none, its encoder knows them)."""

    model_kind = "neural"
    gazetteer: frozenset[str] = frozenset()

    def __init__(self, encoder: Any, tokenizer: Any, heads: Any, info: dict[str, Any], device: Any, path: Path | None = None) -> None:
        self.encoder, self.tokenizer, self.heads, self.info, self.device = encoder, tokenizer, heads, info, device
        self.path = path  # where it was loaded from (its successor fine-tunes a copy loaded from there)
        self.max_span = int(info.get("max_span", MAX_SPAN))

    @property
    def version(self) -> str:
        return str(self.info.get("version", "text-neural"))

    # -- building and loading --------------------------------------------------------
    @classmethod
    def from_encoder(cls, encoder_dir: str | Path, device: str = "auto", d_ant: int = 128) -> NeuralCoref:
        """Fresh heads over a pretrained encoder directory (the start of training).

        Raises:
            ValueError: the directory holds no encoder saved with ``save_pretrained``.
        """
        from transformers import AutoModel, AutoTokenizer

        encoder_dir = Path(encoder_dir)
        if not (encoder_dir / "config.json").is_file():
            raise ValueError(f"encoder {encoder_dir}: not a directory saved with save_pretrained (no config.json)")
        try:
            tokenizer = AutoTokenizer.from_pretrained(encoder_dir)
            encoder = AutoModel.from_pretrained(encoder_dir)
        except (OSError, ValueError) as exc:
            raise ValueError(f"encoder {encoder_dir}: cannot load it: {exc}") from None
        missing = [t for t in SPEAKERS if t not in tokenizer.get_vocab()]
        if missing:
            tokenizer.add_special_tokens({"additional_special_tokens": list(SPEAKERS)})
            encoder.resize_token_embeddings(len(tokenizer))
        dev = _device(device)
        heads = _heads_class()(encoder.config.hidden_size, d_ant)
        info = {"format": FORMAT, "kind": "neural", "encoder": str(encoder_dir), "d_ant": d_ant, "max_span": MAX_SPAN,
                "categories": list(CATEGORIES)}
        return cls(encoder.to(dev), tokenizer, heads.to(dev), info, dev)

    @classmethod
    def load(cls, path: str | Path, device: str = "auto") -> NeuralCoref:
        """Raises:
            ValueError: no trained neural text model at ``path`` (naming what is missing).
        """
        import torch
        from transformers import AutoModel, AutoTokenizer

        path = Path(path)
        if path.is_file():
            path = path.parent
        if not is_neural_dir(path):
            raise ValueError(f"{path}: no neural text model there (expected info.json of format {FORMAT!r}, the encoder and heads.pt)")
        if not (path / "heads.pt").is_file():
            raise ValueError(f"{path}: heads.pt is missing")
        info = json.loads((path / "info.json").read_text(encoding="utf-8"))
        dev = _device(device)
        try:
            tokenizer = AutoTokenizer.from_pretrained(path)
            encoder = AutoModel.from_pretrained(path)
            heads = _heads_class()(encoder.config.hidden_size, int(info.get("d_ant", 128)))
            heads.load_state_dict(torch.load(path / "heads.pt", map_location="cpu", weights_only=True))
        except (OSError, ValueError, RuntimeError) as exc:
            raise ValueError(f"{path}: cannot load the neural text model: {exc}") from None
        encoder.to(dev).eval()
        heads.to(dev).eval()
        return cls(encoder, tokenizer, heads, info, dev, path)

    def successor(self, docs: Sequence[Dialogue], out: Path, version: str, settings: Any) -> tuple[NeuralCoref, Path]:
        """Fine-tuned from this model (a copy loaded from its directory: the served one stays as is) on ``docs`` for
        :data:`LOOP_EPOCHS` epoch(s), saved in ``out``."""
        if self.path is None:
            raise ValueError("the neural text model was not loaded from a directory: save it before it can be fine-tuned")
        start = NeuralCoref.load(self.path, settings.device)
        model = train_neural(docs, start_from=start, out=out, epochs=LOOP_EPOCHS, version=version, progress=False, device=settings.device)
        return model, Path(out)

    def save(self, out: str | Path) -> Path:
        import torch

        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        self.encoder.save_pretrained(out)
        self.tokenizer.save_pretrained(out)
        torch.save(self.heads.state_dict(), out / "heads.pt")
        (out / "info.json").write_text(json.dumps(self.info, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        return out

    # -- encoding --------------------------------------------------------------------
    def _encode(self, turn_texts: Sequence[str]):
        """Character representations [n_chars, hidden] of the dialogue, and each character's turn."""
        import torch

        words: list[str] = []
        char_of_word: list[int] = []  # word index -> dialogue character (-1 for a speaker marker)
        turn_of: list[int] = []
        n = 0
        for ti, text in enumerate(turn_texts):
            words.append(SPEAKERS[ti % 2])
            char_of_word.append(-1)
            for c in text:
                words.append(c)
                char_of_word.append(n)
                turn_of.append(ti)
                n += 1
        limit = int(getattr(self.encoder.config, "max_position_embeddings", 512) or 512)
        enc = self.tokenizer(words, is_split_into_words=True, truncation=True, max_length=min(limit, 512), return_tensors="pt")
        first = [-1] * n
        for pos, w in enumerate(enc.word_ids(0)):
            if w is not None and char_of_word[w] >= 0 and first[char_of_word[w]] < 0:
                first[char_of_word[w]] = pos
        last = 0
        for i in range(n):  # a character with no sub-token (dropped, or cut by truncation) takes the previous one's
            if first[i] < 0:
                first[i] = last
            last = first[i]
        hidden = self.encoder(**{k: v.to(self.device) for k, v in enc.items()}).last_hidden_state[0]
        return hidden[torch.tensor(first, device=self.device)], turn_of

    def _candidates(self, turn_of: Sequence[int], starts: Sequence[int]) -> list[tuple[int, int]]:
        out = []
        for s in starts:
            for e in range(s, min(len(turn_of), s + self.max_span)):
                if turn_of[e] != turn_of[s]:
                    break
                out.append((s, e))
        return out

    # -- prediction ------------------------------------------------------------------
    def predict(self, turn_texts: Sequence[str], title: str | None = None, memory: Memory | None = None,
                forced: Sequence[tuple[int, int]] = ()) -> tuple[Mentions, Clusters]:
        """Mentions and clusters; a project's ``memory`` edits the mentions before they are linked (``pipeline/memory.py``);
        ``forced`` spans are mentions whatever the heads say (interactive assistance)."""
        import torch

        text = "".join(turn_texts)
        if not text:
            return Mentions((), ()), Clusters((), 1.0)
        with torch.no_grad(), torch.autocast(device_type=self.device.type, dtype=torch.bfloat16, enabled=self.device.type == "cuda"):
            chars, turn_of = self._encode(turn_texts)
            chars = chars.float()
            p_start = torch.sigmoid(self.heads.start_logits(chars)).cpu()
            starts = [i for i in range(len(text)) if p_start[i] > 0.5]
            cands = self._candidates(turn_of, starts)
            spans, probs = [], []
            if cands:
                t = torch.tensor(cands, device=self.device)
                p_end = torch.sigmoid(self.heads.end_logits(chars, t[:, 0], t[:, 1])).cpu()
                for (s, e), pe in zip(cands, p_end.tolist()):
                    if pe > 0.5:
                        spans.append((s, e))
                        probs.append(float(p_start[s]) * pe)
            if memory:
                from ls_backend.pipeline.text.model import turn_bounds

                edited = memory.mentions(text, list(zip(spans, probs)), lambda span: 0.0, turn_bounds(turn_texts))
                spans, probs = [sp for sp, _ in edited], [p for _, p in edited]
            if forced:
                from ls_backend.pipeline.text.model import with_forced

                edited = sorted(with_forced(list(zip(spans, probs)), forced))
                spans, probs = [sp for sp, _ in edited], [p for _, p in edited]
            if not spans:
                return Mentions((), ()), Clusters((), round(float((1 - p_start).clamp(0, 1).mean()), 6))
            scores = self._antecedents(chars, spans, text)

        def antecedent(j: int) -> tuple[int, float]:
            best = int(torch.argmax(scores[:j, j]))
            return best, float(torch.sigmoid(scores[best, j]))

        # a positive score links (p > 0.5); the mention probabilities are start x end
        clusters = best_first(spans, [min(1.0, p) for p in probs], antecedent, math.nextafter(0.5, 1.0))
        return Mentions(tuple(spans), tuple(round(min(1.0, p), 6) for p in probs)), clusters

    def _antecedents(self, chars, spans: Sequence[tuple[int, int]], text: str):
        import torch

        m = len(spans)
        texts = [text[s : e + 1] for s, e in spans]
        cats = torch.tensor([[category(texts[i], texts[j]) for j in range(m)] for i in range(m)], device=self.device)
        return self.heads.antecedent_logits(chars, torch.tensor(spans, device=self.device), cats).float().cpu()

    # -- training --------------------------------------------------------------------
    def loss(self, dialogue: Dialogue):
        """The summed BCE losses of one annotated dialogue (start, end given a gold start, antecedents of gold mentions)."""
        import torch
        import torch.nn.functional as F

        turn_texts = [t.text for t in dialogue.turns]
        text = "".join(turn_texts)
        chars, turn_of = self._encode(turn_texts)
        gold_spans = sorted({s for c in dialogue.clusters for s in c.spans if s[1] - s[0] < self.max_span})
        start_target = torch.zeros(len(text), device=self.device)
        for s, _ in gold_spans:
            start_target[s] = 1.0
        loss = F.binary_cross_entropy_with_logits(self.heads.start_logits(chars), start_target)
        cands = self._candidates(turn_of, sorted({s for s, _ in gold_spans}))
        if cands:
            t = torch.tensor(cands, device=self.device)
            gold = set(gold_spans)
            end_target = torch.tensor([float(c in gold) for c in cands], device=self.device)
            loss = loss + F.binary_cross_entropy_with_logits(self.heads.end_logits(chars, t[:, 0], t[:, 1]), end_target)
        if len(gold_spans) > 1:
            cluster_of = {s: ci for ci, c in enumerate(dialogue.clusters) for s in c.spans}
            m = len(gold_spans)
            texts = [text[s : e + 1] for s, e in gold_spans]
            cats = torch.tensor([[category(texts[i], texts[j]) for j in range(m)] for i in range(m)], device=self.device)
            scores = self.heads.antecedent_logits(chars, torch.tensor(gold_spans, device=self.device), cats)
            iu = torch.triu_indices(m, m, 1, device=self.device)
            target = torch.tensor([float(cluster_of[gold_spans[i]] == cluster_of[gold_spans[j]]) for i, j in iu.T.tolist()],
                                  device=self.device)
            loss = loss + F.binary_cross_entropy_with_logits(scores[iu[0], iu[1]].float(), target)
        return loss


def train_neural(dialogues: Sequence[Dialogue], *, encoder: str | Path | None = None, start_from: NeuralCoref | None = None,
                 out: str | Path, epochs: int = 10, lr: float = 2e-5, head_lr: float = 3e-4, accumulate: int = 4,
                 warmup: float = 0.1, optimizer: str = "adamw", device: str = "auto", seed: int = 0,
                 version: str | None = None, progress: bool = True) -> NeuralCoref:
    """Train the full model on annotated dialogues, from an encoder directory (``encoder``) or fine-tuning a trained
    model (``start_from``: learning in the loop), and save it to ``out``.

    Raises:
        ValueError: no dialogue with characters as tokens, a bad encoder, an unknown optimizer.
    """
    import torch
    from tqdm import tqdm
    from transformers import get_linear_schedule_with_warmup

    data = [d for d in dialogues if d.turns and all(len(tok) == 1 for t in d.turns for tok in t.tokens)]
    if not data:
        raise ValueError("no dialogue to train on (the model reads characters: one token per character)")
    torch.manual_seed(seed)
    rng = random.Random(seed)
    model = start_from if start_from is not None else NeuralCoref.from_encoder(encoder, device)
    dev = model.device
    params = [{"params": list(model.encoder.parameters()), "lr": lr}, {"params": list(model.heads.parameters()), "lr": head_lr}]
    if optimizer == "adamw":
        optim = torch.optim.AdamW(params, weight_decay=0.01)
    elif optimizer == "adafactor":
        from transformers.optimization import Adafactor

        optim = Adafactor(params, scale_parameter=False, relative_step=False, warmup_init=False)
    else:
        raise ValueError(f"optimizer: expected adamw or adafactor, got {optimizer!r}")
    steps = max(1, epochs * math.ceil(len(data) / accumulate))
    schedule = get_linear_schedule_with_warmup(optim, int(warmup * steps), steps)
    use_amp = dev.type == "cuda"
    model.encoder.train()
    model.heads.train()
    started = time.monotonic()
    losses: list[float] = []
    order = list(range(len(data)))
    bar = tqdm(total=epochs * len(data), desc="train neural", unit="dialogue", disable=not progress)
    for _ in range(epochs):
        rng.shuffle(order)
        epoch_loss = 0.0
        for k, i in enumerate(order):
            with torch.autocast(device_type=dev.type, dtype=torch.bfloat16, enabled=use_amp):
                loss = model.loss(data[i])
            (loss / accumulate).backward()
            epoch_loss += float(loss.detach())
            if (k + 1) % accumulate == 0 or k == len(order) - 1:
                torch.nn.utils.clip_grad_norm_([p for g in params for p in g["params"]], 1.0)
                optim.step()
                schedule.step()
                optim.zero_grad()
            bar.update(1)
        losses.append(epoch_loss / len(order))
        bar.set_postfix(loss=f"{losses[-1]:.4f}")
    bar.close()
    model.encoder.eval()
    model.heads.eval()
    model.info = {**model.info, "version": version or time.strftime("text-neural-%Y%m%d-%H%M%S", time.gmtime()),
                  "dialogues": len(data), "epochs": epochs, "lr": lr, "head_lr": head_lr, "accumulate": accumulate,
                  "optimizer": optimizer, "device": str(dev), "loss_first": round(losses[0], 4), "loss_last": round(losses[-1], 4),
                  "train_seconds": round(time.monotonic() - started, 1)}
    model.save(out)
    model.path = Path(out)
    log.info("neural text model %s: %d dialogues, %d epochs, loss %.3f -> %.3f, %.0f s", model.version, len(data), epochs,
             losses[0], losses[-1], model.info["train_seconds"])
    return model
