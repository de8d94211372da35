"""Tiny random-initialised encoders of real ``transformers`` classes, saved with ``save_pretrained`` into a
temporary directory: what a user's pretrained encoder directory looks like (nothing is downloaded)."""
from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path


def tiny_bert(directory: Path, texts: Iterable[str], *, layers: int = 2, hidden: int = 32, heads: int = 2,
              intermediate: int | None = None, seed: int = 0) -> Path:
    """A BERT of ``layers`` layers, ``hidden`` units and ``heads`` attention heads (feed-forward ``intermediate``,
    default ``2 x hidden``; ``layers=12, hidden=768, heads=12, intermediate=3072`` is BERT-base), and a character
    tokenizer (``BertTokenizerFast``, one sub-token per Chinese character) over the characters of ``texts``."""
    import torch
    from transformers import BertConfig, BertModel, BertTokenizerFast

    torch.manual_seed(seed)
    directory.mkdir(parents=True, exist_ok=True)
    chars = sorted({c for t in texts for c in t if not c.isspace()})
    (directory / "vocab.txt").write_text("\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *chars]) + "\n", encoding="utf-8")
    tokenizer = BertTokenizerFast(vocab_file=str(directory / "vocab.txt"), do_lower_case=False, tokenize_chinese_chars=True)
    config = BertConfig(vocab_size=len(chars) + 5, hidden_size=hidden, num_hidden_layers=layers, num_attention_heads=heads,
                        intermediate_size=intermediate or hidden * 2, max_position_embeddings=512)
    BertModel(config).save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory
