"""Face crops of each person as Chinese-CLIP's training files, for fine-tuning text-to-person alignment.

From annotated dialogues and their videos: the head box of every visual annotation, cut out of its
key frame, becomes one image; each cluster with a box becomes one text (its mentions, joined) paired
with that image. Written in Chinese-CLIP's (``cn_clip``) dataset layout:

- ``<prefix>_imgs.tsv``: ``image_id<TAB>base64 JPEG`` per line (the upstream base64 TSV);
- ``<prefix>_texts.jsonl``: ``{"text_id": int, "text": str, "image_ids": [int, ...]}`` per line;
- ``<prefix>_index.jsonl``: ``{"image_id", "doc_key", "label", "frame", "bbox", "celebrity"}``, to go back.

A group label ("C1C2") is one box that covers several people: its crop pairs with each member's text.
"""
from __future__ import annotations

import base64
import io
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from exports.dialogue import Dialogue, label_numbers
from exports.io.media import VIDEO_EXTENSIONS, MediaError

log = logging.getLogger(__name__)


@dataclass
class FacesReport:
    images: int = 0
    texts: int = 0
    missing_videos: int = 0
    bad_boxes: int = 0


def read_frames(path: Path, wanted: Iterable[int]) -> dict[int, np.ndarray]:
    """RGB arrays of the 0-based frames ``wanted`` (decoding stops after the last one).

    Raises:
        MediaError: the file cannot be opened or has no video stream.
    """
    import av

    wanted = set(wanted)
    out: dict[int, np.ndarray] = {}
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise MediaError(f"{path}: no video stream")
            last = max(wanted, default=-1)
            for i, frame in enumerate(container.decode(container.streams.video[0])):
                if i in wanted:
                    out[i] = frame.to_ndarray(format="rgb24")
                if i >= last:
                    break
    except av.error.FFmpegError as exc:
        raise MediaError(f"{path}: cannot decode the video: {exc}") from None
    return out


def _jpeg_b64(image: np.ndarray) -> str:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(image).save(buf, format="JPEG", quality=92)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def write_faces(dialogues: Iterable[Dialogue], video_root: Path, out_prefix: Path) -> FacesReport:
    report = FacesReport()
    out_prefix.parent.mkdir(parents=True, exist_ok=True)
    paths = {k: out_prefix.with_name(f"{out_prefix.name}_{k}") for k in ("imgs.tsv", "texts.jsonl", "index.jsonl")}
    tmp = {k: p.with_name(p.name + ".part") for k, p in paths.items()}
    with open(tmp["imgs.tsv"], "w", encoding="utf-8") as imgs, open(tmp["texts.jsonl"], "w", encoding="utf-8") as texts, \
            open(tmp["index.jsonl"], "w", encoding="utf-8") as index:
        image_id = text_id = 0
        for d in dialogues:
            if not d.boxes:
                continue
            video = next((video_root / f"{d.doc_key}{ext}" for ext in VIDEO_EXTENSIONS if (video_root / f"{d.doc_key}{ext}").is_file()), None)
            if video is None:
                log.warning("%s: no video %s/%s.mp4; its %d boxes are skipped", d.doc_key, video_root, d.doc_key, len(d.boxes))
                report.missing_videos += 1
                continue
            try:
                frames = read_frames(video, {b.frame for b in d.boxes})
            except MediaError as exc:
                log.warning("%s: %s; its boxes are skipped", d.doc_key, exc)
                report.missing_videos += 1
                continue
            images_of: dict[int, list[int]] = {}
            for bi, box in enumerate(d.boxes):
                frame = frames.get(box.frame)
                where = f"{d.doc_key}: visual_annotations[{bi}]"
                if frame is None:
                    log.warning("%s: cur_frame %d is past the end of %s", where, box.frame, video)
                    report.bad_boxes += 1
                    continue
                h, w = frame.shape[:2]
                x1, y1, x2, y2 = (int(round(v)) for v in box.bbox)
                x1, y1, x2, y2 = max(0, x1), max(0, y1), min(w, x2), min(h, y2)
                if x2 - x1 < 2 or y2 - y1 < 2:
                    log.warning("%s: bbox %s is outside the %dx%d frame", where, list(box.bbox), w, h)
                    report.bad_boxes += 1
                    continue
                image_id += 1
                imgs.write(f"{image_id}\t{_jpeg_b64(np.ascontiguousarray(frame[y1:y2, x1:x2]))}\n")
                index.write(json.dumps({"image_id": image_id, "doc_key": d.doc_key, "label": box.label, "frame": box.frame,
                                        "bbox": list(box.bbox), "celebrity": box.celebrity}, ensure_ascii=False) + "\n")
                for n in label_numbers(box.label):
                    images_of.setdefault(n, []).append(image_id)
                report.images += 1
            for cluster in d.clusters:
                ids = sorted({i for n in cluster.numbers for i in images_of.get(n, [])})
                if not ids:
                    continue
                text_id += 1
                mentions = list(dict.fromkeys(d.span_text(s) for s in cluster.spans))
                texts.write(json.dumps({"text_id": text_id, "text": "，".join(mentions), "image_ids": ids}, ensure_ascii=False) + "\n")
                report.texts += 1
    for k in paths:
        tmp[k].replace(paths[k])
    return report
