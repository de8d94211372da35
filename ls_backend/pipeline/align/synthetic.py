"""An alignment evaluation set from real dialogues and the real faces scikit-image ships.

For every annotated dialogue with boxes, each person its labels name gets a face placed at the
annotated head box (a person only seen in a group box gets one half of it), plus two distractor
persons nobody mentions. Celebrities keep one face across dialogues: the most frequent names
(all of val's among them) get faces of their own from a reserved part of the pool; other persons
and distractors take faces from the rest (the pool has 101 faces for 154 names, so some faces
recur, as strangers do). Face descriptors are computed by the real embedder on the planted crop.

Screen time is the one thing a still face cannot give: referenced persons get 3-12 s, distractors
0.5-8 s (uniform, seeded). This is an assumption of the set, and the salience prior learns it; the
figures are reported with and without that prior.

The gallery is taught from the train split the same way (same faces at their own boxes, i.e. other
sizes and positions) and queried on val.
"""
from __future__ import annotations

import hashlib
import logging
import random
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from exports.dialogue import Dialogue
from exports.names import normalise_name
from ls_backend.pipeline.align.gallery import Gallery
from ls_backend.pipeline.video.artifacts import Person

log = logging.getLogger(__name__)

CELEBRITY_FACES = 60  # of the pool's 101 faces; the rest are for everyone else


@dataclass
class AlignExample:
    dialogue: Dialogue  # gold clusters and labels
    persons: list[Person]
    gold: dict[int, tuple[int, ...]]  # cluster index -> person numbers (empty: none)
    celebrities: dict[int, str]  # person number -> name (for teaching the gallery)


def _seed(*parts: object) -> int:
    return int(hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:12], 16)


class FaceBook:
    """Which face each celebrity has (stable), and faces for everyone else."""

    def __init__(self, dialogues: Iterable[Dialogue], pool_size: int) -> None:
        counts = Counter(normalise_name(b.celebrity) for d in dialogues for b in d.boxes if b.celebrity)
        famous = [n for n, _ in counts.most_common(min(CELEBRITY_FACES, pool_size - 10))]
        self.face_of = {n: i for i, n in enumerate(famous)}
        self.others = list(range(len(famous), pool_size))

    def face(self, name: str, key: str) -> tuple[int, bool]:
        """(face index, is a distinct celebrity face)."""
        n = normalise_name(name) if name else ""
        if n in self.face_of:
            return self.face_of[n], True
        return self.others[_seed(key) % len(self.others)], False


def _crop(face: np.ndarray, w: int, h: int) -> tuple[np.ndarray, tuple[float, float, float, float]]:
    """The face resized to the box with a 25 % margin of background around it, and the face box in the crop."""
    from PIL import Image

    w, h = max(8, int(w)), max(8, int(h))
    mx, my = w // 4, h // 4
    canvas = np.empty((h + 2 * my, w + 2 * mx, 3), np.uint8)
    canvas[:] = (80, 95, 115)
    canvas[my : my + h, mx : mx + w] = np.asarray(Image.fromarray(face).resize((w, h), Image.BILINEAR))
    return canvas, (mx, my, mx + w, my + h)


def _video_crop(frame: np.ndarray, bbox) -> tuple[np.ndarray, tuple[float, float, float, float]]:
    """The head box with a 25 % margin cut from a real frame, and the box within the crop."""
    H, W = frame.shape[:2]
    x1, y1, x2, y2 = bbox
    mx, my = (x2 - x1) / 4, (y2 - y1) / 4
    cx1, cy1, cx2, cy2 = int(max(0, x1 - mx)), int(max(0, y1 - my)), int(min(W, x2 + mx)), int(min(H, y2 + my))
    return np.ascontiguousarray(frame[cy1:cy2, cx1:cx2]), (x1 - cx1, y1 - cy1, x2 - cx1, y2 - cy1)


def from_videos(dialogues: Sequence[Dialogue], video_root, embedder) -> list[AlignExample]:
    """Examples from annotated dialogues and their real videos (``<root>/<doc_key>.mp4``): the persons are
    the annotated boxes (crops from their key frames); no distractors, real screen time unknown (1 s each)."""
    from pathlib import Path

    from exports.commands.faces import read_frames
    from exports.io.media import VIDEO_EXTENSIONS, MediaError

    out = []
    for d in dialogues:
        if not d.boxes:
            continue
        video = next((Path(video_root) / f"{d.doc_key}{e}" for e in VIDEO_EXTENSIONS if (Path(video_root) / f"{d.doc_key}{e}").is_file()), None)
        if video is None:
            log.warning("%s: no video under %s; skipped", d.doc_key, video_root)
            continue
        try:
            frames = read_frames(video, {b.frame for b in d.boxes})
        except MediaError as exc:
            log.warning("%s: %s; skipped", d.doc_key, exc)
            continue
        persons, gold_person, celebrities = [], {}, {}
        for number, box in enumerate(d.boxes, start=1):
            frame = frames.get(box.frame)
            if frame is None:
                continue
            crop, facebox = _video_crop(frame, box.bbox)
            emb = embedder.embed(crop, [facebox])[0] if embedder is not None else None
            persons.append(Person.candidate(number, box.frame, tuple(box.bbox), (frame.shape[1], frame.shape[0]), 1.0, 1.0, emb, crop))
            gold_person[box.label] = number
            if box.celebrity and len(box.numbers) == 1:
                celebrities[number] = normalise_name(box.celebrity)
        gold = {ci: ((gold_person[c.label],) if c.label in gold_person else ()) for ci, c in enumerate(d.clusters)}
        out.append(AlignExample(d, persons, gold, celebrities))
    return out


def build(dialogues: Sequence[Dialogue], facebook: FaceBook, embedder, distractors: int = 2, seed: int = 0, progress=None) -> list[AlignExample]:
    """Examples for the dialogues that have boxes."""
    from ls_backend.media.synth import faces, size_for

    pool = faces()
    out = []
    for d in dialogues:
        if progress is not None:
            progress(1)
        if not d.boxes:
            continue
        rng = random.Random(_seed(seed, d.doc_key))
        size = size_for(d)
        numbers = sorted({n for b in d.boxes for n in b.numbers})
        single = {b.numbers[0]: b for b in d.boxes if len(b.numbers) == 1}
        placed: dict[int, tuple[tuple[float, float, float, float], int, str]] = {}
        for n in numbers:
            if n in single:
                box = single[n]
                placed[n] = (tuple(box.bbox), box.frame, box.celebrity)
            else:  # only in a group box: its share of the group box
                g = next(b for b in d.boxes if n in b.numbers)
                k, m = g.numbers.index(n), len(g.numbers)
                x1, y1, x2, y2 = g.bbox
                w = (x2 - x1) / m
                placed[n] = ((x1 + k * w, y1, x1 + (k + 1) * w, y2), g.frame, "")
        persons_raw = []
        celebrities = {}
        for n in numbers:
            bbox, frame, celeb = placed[n]
            face, distinct = facebook.face(celeb, f"{d.doc_key}|C{n}")
            persons_raw.append(("gold", n, bbox, frame, face, rng.uniform(3, 12)))
            if celeb and distinct:
                celebrities[n] = normalise_name(celeb)
        W, H = size
        for k in range(distractors):
            side = rng.randint(70, 260)
            x, y = rng.randint(0, max(0, W - side)), rng.randint(0, max(0, H - side))
            face = facebook.others[_seed(d.doc_key, "distractor", k) % len(facebook.others)]
            persons_raw.append(("distractor", -1 - k, (x, y, x + side, y + side), rng.randint(0, 200), face, rng.uniform(0.5, 8)))
        persons_raw.sort(key=lambda p: -p[5])  # numbered by screen time, as the video pipeline does
        persons, gold_person = [], {}
        for number, (kind, n, bbox, frame, face, screen) in enumerate(persons_raw, start=1):
            crop, facebox = _crop(pool[face], bbox[2] - bbox[0], bbox[3] - bbox[1])
            emb = embedder.embed(crop, [facebox])[0] if embedder is not None else None
            persons.append(Person.candidate(number, int(frame), tuple(float(v) for v in bbox), size, round(screen, 3), 1.0, emb, crop))
            if kind == "gold":
                gold_person[n] = number
        gold = {ci: tuple(sorted(gold_person[n] for n in c.numbers)) if c.label != "none" else () for ci, c in enumerate(d.clusters)}
        out.append(AlignExample(d, persons, gold, {gold_person[n]: name for n, name in celebrities.items()}))
    return out


def teach(gallery: Gallery, examples: Iterable[AlignExample]) -> Gallery:
    """Add every named person of the examples to the gallery."""
    for ex in examples:
        for number, name in ex.celebrities.items():
            p = next(p for p in ex.persons if p.number == number)
            if p.embedding is not None:
                gallery.add(name, p.embedding, ex.dialogue.doc_key)
    return gallery
