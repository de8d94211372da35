"""What a model proposes for one document: :class:`Prediction` (a dialogue) and :class:`PostPrediction` (a post).

A prediction is the predicted dialogue (clusters, and a head box for every cluster linked to a
person of the video), the persons of the video that no cluster took (:class:`ProposedPerson`,
numbered after every cluster's number, so that no box falsely claims a cluster), a score for
uncertainty ordering, and the model version. It is built by the backend's ``propose()`` and turned
into a Label Studio prediction by :func:`exports.labelstudio.to_prediction` or into a release line by
:func:`prediction_line`; the backend's cache stores it as :meth:`Prediction.to_json`. A post's prediction
(the predicted post, score, model version) is cached the same way.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from exports import release
from exports.dialogue import Dialogue
from exports.posts import Post
from exports.posts import from_json as post_from_json
from exports.posts import to_json as post_to_json


@dataclass(frozen=True)
class ProposedPerson:
    """A person of the video linked to no cluster: its head box on its key frame, under a free cluster number."""

    person: int  # the person's number in the video analysis (1 = most seen)
    number: int  # the cluster number it is proposed under
    frame: int  # 0-based key frame
    bbox: tuple[float, float, float, float]  # pixels of the original frame
    confidence: float  # the head detector's confidence on the key frame

    def __post_init__(self) -> None:
        object.__setattr__(self, "bbox", tuple(float(v) for v in self.bbox))
        if self.person < 1 or self.number < 1:
            raise ValueError(f"unlinked person {self.person}: person and cluster numbers start at 1, got {self.person}, C{self.number}")
        if not isinstance(self.frame, int) or self.frame < 0:
            raise ValueError(f"unlinked person {self.person}: frame: expected a 0-based frame index, got {self.frame!r}")
        x1, y1, x2, y2 = self.bbox
        if not (x1 < x2 and y1 < y2):
            raise ValueError(f"unlinked person {self.person}: bbox: expected x1 < x2 and y1 < y2, got {self.bbox}")
        if not 0.0 <= self.confidence <= 1.0:
            raise ValueError(f"unlinked person {self.person}: confidence: expected a value in [0, 1], got {self.confidence}")

    @property
    def label(self) -> str:
        return f"C{self.number}"


@dataclass(frozen=True)
class Prediction:
    """The predicted dialogue, the unlinked persons, the score and the model version; validated when built."""

    dialogue: Dialogue
    unlinked: tuple[ProposedPerson, ...] = ()
    score: float = 1.0
    model_version: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "unlinked", tuple(self.unlinked))
        where = f"{self.dialogue.doc_key}: prediction"
        _check_score(where, self.score, self.model_version)
        if self.unlinked:
            if self.dialogue.frame_size is None or self.dialogue.fps is None:
                raise ValueError(f"{where}: unlinked persons need the video's frame size and rate on the dialogue")
            first = self.dialogue.first_free_number()
            numbers = [p.number for p in self.unlinked]
            if len(set(numbers)) != len(numbers) or min(numbers) < first:
                raise ValueError(f"{where}: unlinked persons must have distinct numbers from C{first} on (after every cluster), got {numbers}")

    @property
    def has_video(self) -> bool:
        """Whether any person box is proposed (linked or not)."""
        return bool(self.dialogue.boxes or self.unlinked)

    # -- the cache's form -------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        """A JSON-able form (what the backend's cache stores); :meth:`from_json` reads it back equal."""
        return {
            **release.to_document(self.dialogue),
            "unlinked": [{"person": p.person, "number": p.number, "frame": p.frame, "bbox": list(p.bbox), "confidence": p.confidence}
                         for p in self.unlinked],
            "score": self.score,
            "model_version": self.model_version,
        }

    @classmethod
    def from_json(cls, data: Any) -> Prediction:
        """Raises:
            ValueError: not a prediction's JSON (a field is missing or wrong; the message names it).
        """
        if not isinstance(data, dict):
            raise ValueError(f"prediction: expected an object, got {type(data).__name__}")
        try:
            dialogue = release.from_document(data)
            unlinked = tuple(ProposedPerson(p["person"], p["number"], p["frame"], tuple(p["bbox"]), p["confidence"]) for p in data.get("unlinked", []))
            return cls(dialogue, unlinked, data["score"], data["model_version"])
        except KeyError as exc:
            raise ValueError(f"prediction: {exc.args[0]}: missing") from None
        except (TypeError, ValueError) as exc:
            raise ValueError(f"prediction: {exc}") from None


def prediction_line(prediction: Prediction) -> str:
    """The release line of a prediction: the predicted dialogue's line, with the persons no cluster took
    appended to ``visual_annotations`` (numbered after every cluster, no paths, no name)."""
    record = release.to_record(prediction.dialogue)
    record["visual_annotations"] = list(record.get("visual_annotations") or []) + [
        {"cur_frame": p.frame, "cur_frame_path": "", "bbox": [int(round(v)) for v in p.bbox], "box_labels": p.label,
         "if_celebrity": "", "region_image_path": ""}
        for p in prediction.unlinked
    ]
    return release.dumps(record)


def _check_score(where: str, score: Any, model_version: Any) -> None:
    if not isinstance(score, (int, float)) or math.isnan(score) or not 0.0 <= score <= 1.0:
        raise ValueError(f"{where}: score: expected a value in [0, 1], got {score!r}")
    if not isinstance(model_version, str) or not model_version:
        raise ValueError(f"{where}: model_version: expected a non-empty string")


@dataclass(frozen=True)
class PostPrediction:
    """What a model proposes for one post: the post with the predicted entities, a score in [0, 1] for uncertainty
    ordering, and the model version; validated when built, cached as :meth:`to_json`."""

    post: Post
    score: float = 1.0
    model_version: str = ""

    def __post_init__(self) -> None:
        _check_score(f"{self.post.id}: prediction", self.score, self.model_version)

    def to_json(self) -> dict[str, Any]:
        return {"post": post_to_json(self.post), "score": self.score, "model_version": self.model_version}

    @classmethod
    def from_json(cls, data: Any) -> PostPrediction:
        """Raises:
            ValueError: not a post prediction's JSON (the message names the field).
        """
        if not isinstance(data, dict):
            raise ValueError(f"post prediction: expected an object, got {type(data).__name__}")
        try:
            return cls(post_from_json(data["post"]), data["score"], data["model_version"])
        except KeyError as exc:
            raise ValueError(f"post prediction: {exc.args[0]}: missing") from None
        except (TypeError, ValueError) as exc:
            raise ValueError(f"post prediction: {exc}") from None
