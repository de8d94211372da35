"""Speed of the two text models, measured in one run (issue #15).

- **neural**: the Maverick-style model over a BERT-base-sized encoder (12 layers, hidden 768: ``BertConfig()``'s
  defaults), randomly initialised (no pretrained weights can be downloaded here; speed does not depend on the
  weights), with a character tokenizer over the dialogues' characters, saved and loaded by path like a user's
  encoder. Training steps per second (one dialogue per step, AdamW, backward included) and predicted dialogues per
  second, on ``--device`` (``cpu``, or ``cuda`` on a GPU machine: bf16 autocast there).
- **embedded**: the shipped linear model: training dialogues per second (``ls-backend train``'s ``train`` on the
  train split) and predicted dialogues per second.

    python bench/text_bench.py [--device cpu|cuda] [--steps 8] [--predict 24] [--threads N]

Dialogues are the train split of ``../shared/data/tiktalkcoref``.
"""
from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
DATA = REPO.parent / "shared" / "data" / "tiktalkcoref"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--steps", type=int, default=8, help="timed training steps of the neural model")
    ap.add_argument("--predict", type=int, default=24, help="dialogues predicted by the neural model")
    ap.add_argument("--threads", type=int, help="torch threads (default: torch's)")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    import torch

    from exports.io import read_titles
    from ls_backend.pipeline.text.data import read_dialogues
    from ls_backend.pipeline.text.evaluate import model_predictor
    from ls_backend.pipeline.text.model import SHIPPED, TextModel, train
    from ls_backend.pipeline.text.neural import NeuralCoref
    from tests.support.encoders import tiny_bert

    if args.threads:
        torch.set_num_threads(args.threads)
    dialogues, _ = read_dialogues(DATA / "all_textual_and_visual_annotations.jsonl", DATA / "split.jsonl", "train")
    dialogues = [d for d in dialogues if all(len(tok) == 1 for t in d.turns for tok in t.tokens)]
    titles = read_titles(DATA / "video_titles.jsonl")
    texts = ["".join(t.text for t in d.turns) for d in dialogues]
    chars = sum(len(t) for t in texts) / len(texts)

    with tempfile.TemporaryDirectory(prefix="text-bench-") as tmp:
        enc = tiny_bert(Path(tmp) / "bert-base", texts, layers=12, hidden=768, heads=12, intermediate=3072)  # BERT-base's shape
        model = NeuralCoref.from_encoder(enc, args.device)
        params = sum(p.numel() for p in model.encoder.parameters()) + sum(p.numel() for p in model.heads.parameters())
        optim = torch.optim.AdamW([{"params": list(model.encoder.parameters()), "lr": 2e-5},
                                   {"params": list(model.heads.parameters()), "lr": 3e-4}])
        dev = model.device
        model.encoder.train()
        model.heads.train()

        def step(d) -> None:
            with torch.autocast(device_type=dev.type, dtype=torch.bfloat16, enabled=dev.type == "cuda"):
                loss = model.loss(d)
            loss.backward()
            optim.step()
            optim.zero_grad()

        step(dialogues[0])  # warm-up
        if dev.type == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        for d in dialogues[1 : 1 + args.steps]:
            step(d)
        if dev.type == "cuda":
            torch.cuda.synchronize()
        train_rate = args.steps / (time.perf_counter() - start)
        model.encoder.eval()
        model.heads.eval()
        batch = dialogues[: args.predict]
        model.predict([t.text for t in batch[0].turns])
        start = time.perf_counter()
        for d in batch:
            model.predict([t.text for t in d.turns])
        neural_predict = len(batch) / (time.perf_counter() - start)

    start = time.perf_counter()
    train(dialogues, titles, version="bench")
    embedded_train = len(dialogues) / (time.perf_counter() - start)
    shipped = TextModel.load(SHIPPED)
    predict = model_predictor(shipped, titles)
    start = time.perf_counter()
    for d in dialogues[:200]:
        predict(d)
    embedded_predict = 200 / (time.perf_counter() - start)

    print(f"{len(dialogues)} train dialogues, {chars:.0f} characters on average; torch threads {torch.get_num_threads()}, device {args.device}")
    print(f"neural (BERT-base size, {params / 1e6:.0f} M parameters): {train_rate:6.2f} training steps/s (1 dialogue each), "
          f"{neural_predict:7.1f} predicted dialogues/s")
    print(f"embedded (linear, shipped):        {embedded_train:6.1f} training dialogues/s,            "
          f"{embedded_predict:7.1f} predicted dialogues/s")
    print(f"an epoch of the train split: neural {len(dialogues) / train_rate / 60:.1f} min, embedded {len(dialogues) / embedded_train / 60:.2f} min")


if __name__ == "__main__":
    main()
