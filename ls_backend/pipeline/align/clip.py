"""CN-CLIP (``cn_clip``) text and image encoders from a local checkpoint.

Two layouts are read, both through the library's own model class and loading code:

- a Chinese-CLIP release checkpoint file (``clip_cn_vit-b-16.pt`` ...) with ``clip_model``
  ``"<vision>@<text>"`` naming its configs (``ViT-B-16@RoBERTa-wwm-ext-base-chinese``):
  ``cn_clip.clip.load_from_name``;
- a directory written by ``ClipEncoder.save`` / ``ls-backend train-align``: ``config.json`` (the
  keyword arguments of ``cn_clip.clip.model.CLIP``) and ``model.pt`` (``{"state_dict": ...}``),
  built like ``cn_clip.clip.utils.create_model`` does (``CLIP(**config)``, ``convert_weights``,
  ``load_state_dict``). Tests save a tiny random-initialised CLIP this way.

A wrong or missing path raises ValueError when the encoder is built (at start-up).
"""
from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)


class ClipEncoder:
    def __init__(self, path: str | Path, clip_model: str | None = None, device: str = "cpu") -> None:
        import torch
        import cn_clip.clip as cc
        from cn_clip.clip.model import CLIP, convert_weights
        from cn_clip.clip.utils import image_transform

        path = Path(path)
        self.path, self.device, self._torch, self._tokenize = path, device, torch, cc.tokenize
        if path.is_dir():
            config_file, weights = path / "config.json", path / "model.pt"
            if not config_file.is_file() or not weights.is_file():
                raise ValueError(f"clip_checkpoint: {path}: expected config.json and model.pt (written by `ls-backend train-align`)")
            try:
                self.config = json.loads(config_file.read_text(encoding="utf-8"))
                model = CLIP(**self.config)
                convert_weights(model)
                state = torch.load(str(weights), map_location="cpu", weights_only=True)
                model.load_state_dict(state["state_dict"])
            except Exception as exc:
                raise ValueError(f"clip_checkpoint: {path}: not a CN-CLIP checkpoint ({type(exc).__name__}: {exc})") from None
            resolution = int(self.config["image_resolution"])
        elif path.is_file():
            if not clip_model or "@" not in clip_model:
                raise ValueError(f"clip_checkpoint: {path}: a release checkpoint needs clip_model '<vision>@<text>', e.g. ViT-B-16@RoBERTa-wwm-ext-base-chinese")
            vision, text = clip_model.split("@", 1)
            resolution = {"ViT-L-14-336": 336}.get(vision, 224)
            try:
                model, _ = cc.load_from_name(str(path), device="cpu", vision_model_name=vision, text_model_name=text, input_resolution=resolution)
            except Exception as exc:
                raise ValueError(f"clip_checkpoint: {path}: cannot load as {clip_model} ({type(exc).__name__}: {exc})") from None
            self.config = None
        else:
            raise ValueError(f"clip_checkpoint: {path}: no such file or directory")
        self.model = model.float().to(device).eval()
        self.transform = image_transform(resolution)

    def encode_texts(self, texts: Sequence[str]) -> np.ndarray:
        torch = self._torch
        with torch.no_grad():
            tokens = self._tokenize(list(texts)).to(self.device)
            feats = self.model.encode_text(tokens).float()
            return (feats / feats.norm(dim=-1, keepdim=True).clamp_min(1e-9)).cpu().numpy()

    def encode_images(self, images: Sequence[np.ndarray]) -> np.ndarray:
        from PIL import Image

        torch = self._torch
        with torch.no_grad():
            batch = torch.stack([self.transform(Image.fromarray(np.ascontiguousarray(im))) for im in images]).to(self.device)
            feats = self.model.encode_image(batch).float()
            return (feats / feats.norm(dim=-1, keepdim=True).clamp_min(1e-9)).cpu().numpy()

    def save(self, out: str | Path) -> Path:
        """Write the directory layout (config.json + model.pt); needs the config (directory-loaded or built)."""
        if self.config is None:
            raise ValueError("this encoder was loaded from a release checkpoint; its config is the package's: save the state_dict instead")
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        (out / "config.json").write_text(json.dumps(self.config, indent=1), encoding="utf-8")
        tmp = out / "model.pt.part"
        self._torch.save({"state_dict": self.model.state_dict()}, tmp)
        tmp.replace(out / "model.pt")
        return out


def tiny_config(resolution: int = 32) -> dict:
    """A tiny CN-CLIP configuration (for tests and for trying the pipeline without real weights)."""
    return {
        "embed_dim": 16, "image_resolution": resolution, "vision_layers": 1, "vision_width": 32, "vision_patch_size": 16,
        "vision_head_width": 16, "vocab_size": 21128, "text_attention_probs_dropout_prob": 0.0, "text_hidden_act": "gelu",
        "text_hidden_dropout_prob": 0.0, "text_hidden_size": 32, "text_initializer_range": 0.02, "text_intermediate_size": 64,
        "text_max_position_embeddings": 64, "text_num_attention_heads": 2, "text_num_hidden_layers": 1, "text_type_vocab_size": 2,
    }


def save_random(out: str | Path, config: dict | None = None, seed: int = 0) -> Path:
    """A random-initialised CN-CLIP of the library's own class, saved in the directory layout."""
    import torch
    from cn_clip.clip.model import CLIP, convert_weights

    torch.manual_seed(seed)
    config = dict(config or tiny_config())
    model = CLIP(**config)
    convert_weights(model)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "config.json").write_text(json.dumps(config, indent=1), encoding="utf-8")
    torch.save({"state_dict": model.state_dict()}, out / "model.pt")
    return out
