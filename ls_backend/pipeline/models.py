"""The one model interface and the one loader table.

Every model the backend serves -- the embedded and the full text model (``coref``), the CRF and the full post NER
model (``ner``) -- has the same shape:

* ``model_kind`` (class attribute): its key in :data:`LOADERS`, recorded with each version (``info["model_kind"]``);
* ``version`` and ``info``; ``load(path, device)`` (class method) and ``save(path)``;
* ``predict(...)``: what its task kind proposes from (turn texts for ``coref``, a post for ``ner``);
* ``successor(docs, out, version, settings)``: a new model trained from this one on ``docs`` (the embedded models
  retrain, the full models fine-tune a copy of themselves), saved under ``out``.

A task kind may ask more of its models (``coref``: ``gazetteer``, the names it knows; ``ner``: ``score``).

Which class loads a saved model is decided here only (:func:`model_kind_at` reads the files), never by
``isinstance`` or by guessing in a caller.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol


@dataclass(frozen=True)
class TrainSettings:
    """What learning in the loop passes to ``successor``: the device, how much an annotation weighs, and the
    annotated documents' keys (the rest is the shipped base data)."""

    device: str = "auto"
    annotation_weight: float = 1.0
    annotated: frozenset[str] = frozenset()
    titles: dict[str, str] | None = None
    source: str = ""


class Model(Protocol):
    model_kind: str
    info: dict[str, Any]

    @property
    def version(self) -> str: ...

    @classmethod
    def load(cls, path: str | Path, device: str = "auto") -> Model: ...

    def save(self, path: str | Path) -> Path: ...

    def successor(self, docs: Sequence[Any], out: Path, version: str, settings: TrainSettings) -> tuple[Model, Path]: ...


def _text_embedded(path: str | Path, device: str) -> Model:
    from ls_backend.pipeline.text.model import TextModel

    return TextModel.load(path)


def _text_neural(path: str | Path, device: str) -> Model:
    from ls_backend.pipeline.text.neural import NeuralCoref

    return NeuralCoref.load(path, device)


def _ner_crf(path: str | Path, device: str) -> Model:
    from ls_backend.pipeline.ner.model import NerModel

    return NerModel.load(path)


def _ner_neural(path: str | Path, device: str) -> Model:
    from ls_backend.pipeline.ner.neural import NeuralNer

    return NeuralNer.load(path, device)


#: model kind -> loader of a model saved at a path, on a torch device (``config.device``).
LOADERS: dict[str, Callable[[str | Path, str], Model]] = {
    "embedded": _text_embedded, "neural": _text_neural, "crf": _ner_crf, "neural-ner": _ner_neural,
}
#: the ``format`` a saved model's info.json (or model file) declares -> its model kind.
FORMATS = {"mcr-text-model/1": "embedded", "mcr-text-neural/1": "neural", "mcr-studio-ner-crf/1": "crf",
           "mcr-studio-ner-transformers/1": "neural-ner"}


def model_kind_at(path: str | Path) -> str | None:
    """The model kind saved at ``path`` (a model directory, or the embedded text model's JSON file), by the
    ``format`` its files declare; None when nothing there declares one."""
    p = Path(path)
    candidates = [p / "info.json", p / "text_model.json"] if p.is_dir() else [p, p.parent / "info.json"]
    for file in candidates:
        if not file.is_file() or file.suffix != ".json":
            continue
        try:
            with file.open(encoding="utf-8") as fh:
                head = json.load(fh)
        except (OSError, ValueError):
            continue
        kind = FORMATS.get(head.get("format")) if isinstance(head, dict) else None
        if kind is not None:
            return kind
    return None


def load_model(path: str | Path, device: str = "auto", model_kind: str | None = None, allowed: Sequence[str] | None = None) -> Model:
    """The model at ``path``, loaded by its kind (``model_kind``, else what its files declare).

    Args:
        allowed: the model kinds the caller's task kind serves (a text model where a post model is expected is an error).

    Raises:
        ValueError: nothing loadable there, or a model of another task kind (the message names the path).
    """
    kind = model_kind or model_kind_at(path)
    if kind is None:
        if allowed and len(allowed) and allowed[0] in LOADERS:
            return LOADERS[allowed[0]](path, device)  # its own loader says what is missing
        raise ValueError(f"{path}: no model there")
    if kind not in LOADERS:
        raise ValueError(f"{path}: unknown model kind {kind!r}; known: {sorted(LOADERS)}")
    if allowed is not None and kind not in allowed:
        raise ValueError(f"{path}: a {kind} model; expected one of {', '.join(allowed)}")
    return LOADERS[kind](path, device)
