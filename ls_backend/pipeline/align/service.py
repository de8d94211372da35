"""Alignment inside the ML backend: the aligner per request, teaching the gallery from annotations,
and retraining the pair scorer from annotated tasks (the shipped pairs plus the project's)."""
from __future__ import annotations

import gzip
import json
import logging
from collections.abc import Sequence
from pathlib import Path

from agreement.visual import iou
from exports.dialogue import Dialogue
from ls_backend.pipeline.align.aligner import Aligner
from ls_backend.pipeline.align.gallery import Gallery
from ls_backend.pipeline.video.faces import DlibFaces, FacenetFaces
from ls_backend.pipeline.align.scorer import SHIPPED, AlignScorer, fit
from ls_backend.pipeline.video.artifacts import Person, VideoAnalysis

log = logging.getLogger(__name__)

SHIPPED_PAIRS = SHIPPED.parent / "align_pairs.jsonl.gz"


def embedder_name(face_embedder: str) -> str:
    return "facenet" if face_embedder.startswith("facenet:") else "dlib"


def person_for_box(persons: Sequence[Person], frame: int, bbox: Sequence[float]) -> Person | None:
    """The person an annotated box lies on: seen on that frame's shot and overlapping its key box best (IoU >= 0.3)."""
    best, best_iou = None, 0.3
    for p in persons:
        seen = any(t.first - 60 <= frame <= t.last + 60 for t in p.tracks) or p.frame == frame
        score = iou(p.bbox, bbox)
        if seen and score >= best_iou:
            best, best_iou = p, score
    return best


class AlignService:
    def __init__(self, store, data_dir: Path, face_embedder: str = "dlib", scorer_path: Path | None = None, clip=None) -> None:
        self.store = store
        self.embedder = embedder_name(face_embedder)
        # the gallery's thresholds: facenet's own (cosine), dlib stricter than its clustering 0.6 (see gallery.py)
        self.threshold, self.distance = (FacenetFaces.threshold, FacenetFaces.distance) if self.embedder == "facenet" else (0.5, DlibFaces.distance)
        self.trained_path = data_dir / "align_scorer.json"
        self.scorer_path = scorer_path
        self.clip = clip
        self._scorer: tuple[float, AlignScorer] | None = None
        if scorer_path is not None:
            AlignScorer.load(scorer_path)  # a bad path fails at start-up

    def scorer(self) -> AlignScorer:
        path = self.trained_path if self.trained_path.exists() else (self.scorer_path or SHIPPED)
        mtime = path.stat().st_mtime
        if self._scorer is None or self._scorer[0] != mtime:
            self._scorer = (mtime, AlignScorer.load(path))
        return self._scorer[1]

    def gallery(self) -> Gallery:
        return Gallery.from_store(self.store, self.embedder, self.threshold, self.distance)

    def aligner(self) -> tuple[Aligner, str]:
        """The aligner of this moment (scorer, gallery, CLIP) and a fingerprint of its state: a prediction
        cached under another fingerprint was made with another scorer or gallery."""
        scorer, gallery = self.scorer(), self.gallery()
        path = self.trained_path if self.trained_path.exists() else (self.scorer_path or SHIPPED)
        return Aligner(scorer, gallery, self.clip), f"{path}@{self._scorer[0] if self._scorer else 0}/{gallery.fingerprint()}"

    @classmethod
    def from_config(cls, config, store) -> AlignService:
        return cls(store, config.data_dir, config.face_embedder, config.align_scorer, clip_from(config))

    # -- learning from annotations ----------------------------------------------------------
    def links(self, dialogue: Dialogue, analysis: VideoAnalysis) -> tuple[list[Person], dict[int, tuple[int, ...]], dict[int, str]]:
        """Persons, the annotated cluster -> persons links, and person -> celebrity name."""
        persons = list(analysis.persons)
        person_of_label: dict[str, Person] = {}
        names: dict[int, str] = {}
        for box in dialogue.boxes:
            p = person_for_box(persons, box.frame, box.bbox)
            if p is None:
                continue
            person_of_label[box.label] = p
            if box.celebrity and len(box.numbers) == 1:
                names[p.number] = box.celebrity
        gold = {}
        for ci, c in enumerate(dialogue.clusters):
            if c.label in person_of_label:
                gold[ci] = (person_of_label[c.label].number,)
            elif c.label != "none":  # a group without a box of its own: its members' persons
                members = tuple(sorted(person_of_label[f"C{n}"].number for n in c.numbers if f"C{n}" in person_of_label))
                gold[ci] = members
            else:
                gold[ci] = ()
        return persons, gold, names

    def teach(self, ls_annotation_id: int, dialogue: Dialogue, analysis: VideoAnalysis) -> int:
        """Store the faces of the persons this annotation named; returns how many."""
        persons, _, names = self.links(dialogue, analysis)
        faces = [(name, list(p.embedding), dialogue.doc_key) for p in persons if p.number in names and p.embedding is not None for name in [names[p.number]]]
        self.store.set_gallery_faces(ls_annotation_id, self.embedder, faces)
        return len(faces)

    def retrain(self, annotated: Sequence[tuple[Dialogue, VideoAnalysis]], gazetteer: frozenset[str]) -> AlignScorer | None:
        """The shipped pairs plus the pairs of annotated tasks with a video analysis; None when there are none."""
        from ls_backend.pipeline.align.synthetic import AlignExample
        from ls_backend.pipeline.align.train import pair_samples

        examples = []
        for dialogue, analysis in annotated:
            persons, gold, names = self.links(dialogue, analysis)
            if persons and any(gold.values()):
                examples.append(AlignExample(dialogue, persons, gold, names))
        if not examples:
            return None
        samples, labels = pair_samples(examples, self.gallery(), self.clip, gazetteer)
        if SHIPPED_PAIRS.exists():
            with gzip.open(SHIPPED_PAIRS, "rt", encoding="utf-8") as fh:
                for line in fh:
                    rec = json.loads(line)
                    samples.append(rec["f"])
                    labels.append(int(rec["y"]))
        scorer = fit(samples, labels, info={"annotated_dialogues": len(examples)})
        scorer.save(self.trained_path)
        log.info("alignment scorer retrained on %d pairs (%d annotated dialogues with video)", len(labels), len(examples))
        return scorer


def clip_from(config):
    """The CN-CLIP encoder the configuration names (``clip_checkpoint``, ``clip_model``), or None.

    Raises:
        ValueError: the checkpoint cannot be loaded.
    """
    if config.clip_checkpoint is None:
        return None
    from ls_backend.pipeline.align.clip import ClipEncoder

    return ClipEncoder(config.clip_checkpoint, config.clip_model)


def check_config(config) -> None:
    """Start-up checks of the alignment settings: the scorer and the CN-CLIP checkpoint load.

    Raises:
        ValueError: naming the setting and what is wrong.
    """
    if config.align_scorer is not None:
        try:
            AlignScorer.load(config.align_scorer)
        except ValueError as exc:
            raise ValueError(f"align_scorer: {exc}") from None
    clip_from(config)
