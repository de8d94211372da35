"""The learned pair scorer: logistic regression over the signals' features, stored as JSON.

Trained from annotated tasks whose video the pipeline analysed (``examples_from``): a pair is
positive when the annotator's box for the cluster lies on the person (IoU >= 0.3 with the
person's head box on the annotated frame's shot, or the key frame). Before any annotation, the
shipped scorer (``ls_backend/models/align_scorer.json``) is the one ``ls-backend train-align``
fit on the synthetic training set (train-split dialogues with faces planted at their boxes).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ls_backend.pipeline.model_files import read_model, write_model

FORMAT = "mcr-align-scorer/1"
SHIPPED = Path(__file__).resolve().parents[2] / "models" / "align_scorer.json"


@dataclass
class AlignScorer:
    weights: dict[str, float]
    bias: float
    threshold: float = 0.5  # a single cluster takes its best person only above this probability
    group_threshold: float = 0.4
    info: dict[str, Any] = field(default_factory=dict)

    def score(self, features: dict[str, float]) -> float:
        z = self.bias + sum(self.weights.get(k, 0.0) * v for k, v in features.items())
        return 1.0 / (1.0 + math.exp(-z)) if z >= 0 else math.exp(z) / (1.0 + math.exp(z))

    def save(self, path: str | Path) -> Path:
        data = {"format": FORMAT, "bias": self.bias, "weights": self.weights, "threshold": self.threshold,
                "group_threshold": self.group_threshold, "info": self.info}
        return write_model(path, "align_scorer.json", data, indent=1)

    @classmethod
    def load(cls, path: str | Path = SHIPPED) -> AlignScorer:
        data = read_model(path, "align_scorer.json", FORMAT, "alignment scorer", "ls-backend train-align")
        return cls({k: float(v) for k, v in data["weights"].items()}, float(data["bias"]), float(data["threshold"]),
                   float(data["group_threshold"]), dict(data.get("info", {})))


def fit(samples: list[dict[str, float]], labels: list[int], c: float = 1.0, info: dict | None = None) -> AlignScorer:
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    if len(set(labels)) < 2:
        raise ValueError("alignment training data needs both linked and unlinked pairs")
    vec = DictVectorizer()
    x = vec.fit_transform(samples)
    clf = LogisticRegression(C=c, max_iter=2000)
    clf.fit(x, labels)
    weights = {str(n): round(float(w), 5) for n, w in zip(vec.get_feature_names_out(), clf.coef_[0]) if abs(w) > 1e-4}
    return AlignScorer(weights, round(float(clf.intercept_[0]), 5), info=dict(info or {}, pairs=len(labels), positives=int(sum(labels))))
