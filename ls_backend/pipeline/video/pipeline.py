"""The video pipeline: one object, one verb (``analyse``), models loaded once and lazily."""
from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path

import numpy as np

from ls_backend.pipeline.video.artifacts import Detection, Person, SampledFrame, Track, VideoAnalysis
from ls_backend.pipeline.video.decode import DecodedStream, Unplannable
from ls_backend.pipeline.video.heads import HeadShape, MtcnnHeads, YoloHeads, torch_device
from ls_backend.pipeline.video.persons import best_detections, cluster_tracks, key_quality
from ls_backend.pipeline.video.shots import ShotDetector
from ls_backend.pipeline.video.tracking import ShotTracker, load_appearance

log = logging.getLogger(__name__)

VERSION = "video-2"  # 2: frames sampled on a fixed grid, decoding only what the analysis needs


@dataclass(frozen=True)
class VideoSettings:
    sample_fps: float = 2.0
    max_side: int = 640  # the detector sees frames scaled so that the longer side is at most this
    batch: int = 8
    head_detector: Path | None = None
    face_embedder: str = "dlib"
    person_threshold: float | None = None
    device: str = "auto"
    min_track: int = 2  # sampled detections a track needs to count
    per_track: int = 1  # best detections per track that are embedded (dlib: ~70 ms each on a CPU core)
    tracker_appearance: str = "auto"  # see tracking.py
    # a sampled frame whose thumbnail has fewer than this fraction of samples changed by more than 16 levels
    # since the last detected frame (sensor noise stays below; a person moving changes 2-3 %) ...
    static_changed: float = 0.002
    static_max: float = 2.0  # ... within this many seconds, takes that frame's detections instead of running the detector
    min_face: int = 32  # pixels at analysis size (MTCNN's smallest face: fewer pyramid levels when larger)
    decode: str = "planned"  # "planned": only the frames the analysis needs (decode.py); "every": every frame

    @classmethod
    def from_config(cls, config) -> VideoSettings:
        return cls(sample_fps=config.video_sample_fps, head_detector=config.head_detector, face_embedder=config.face_embedder,
                   person_threshold=config.person_threshold, device=config.device, tracker_appearance=config.tracker_appearance,
                   decode=config.video_decode)

    def check(self) -> None:
        """Cheap start-up checks of the settings (paths exist, names known), without loading torch.

        Raises:
            ValueError: naming the setting and what is wrong.
        """
        if self.head_detector is not None and not Path(self.head_detector).is_file():
            raise ValueError(f"head_detector: {self.head_detector}: no such checkpoint file")
        if self.face_embedder.startswith("facenet:"):
            weights = Path(self.face_embedder.split(":", 1)[1])
            if not weights.is_file():
                raise ValueError(f"face_embedder: {weights}: no such weights file")
        elif self.face_embedder not in ("", "dlib"):
            raise ValueError(f"face_embedder: expected 'dlib' or 'facenet:<weights path>', got {self.face_embedder!r}")
        if self.tracker_appearance not in ("auto", "mobilenet", "histogram"):
            raise ValueError(f"tracker_appearance: expected auto, mobilenet or histogram, got {self.tracker_appearance!r}")
        if self.decode not in ("planned", "every"):
            raise ValueError(f"video_decode: expected planned or every, got {self.decode!r}")
        if self.sample_fps <= 0:
            raise ValueError(f"video_sample_fps: must be positive, got {self.sample_fps}")

    @property
    def version(self) -> str:
        """Names the pipeline and every setting that changes its output (the store caches analyses under it):
        a readable head, then a digest of all settings but the device (and of the checkpoints' paths)."""
        import hashlib
        from dataclasses import asdict

        heads = f"yolo:{self.head_detector.name}" if self.head_detector else "mtcnn"
        settings = {k: str(v) for k, v in asdict(self).items() if k != "device"}
        digest = hashlib.sha256(repr(sorted(settings.items())).encode()).hexdigest()[:8]
        return f"{VERSION}/{heads}/{self.face_embedder.split(':')[0]}/{self.tracker_appearance}/{self.sample_fps:g}fps/{digest}"


class VideoPipeline:
    def __init__(self, settings: VideoSettings = VideoSettings()) -> None:
        self.settings = settings
        self.device = torch_device(settings.device)

    def load(self) -> VideoPipeline:
        """Load every model now (a bad checkpoint path fails here, at start-up)."""
        _ = self.heads, self.faces, self.appearance
        return self

    @cached_property
    def heads(self):
        if self.settings.head_detector:
            return YoloHeads(self.settings.head_detector, self.device, shape=HeadShape())
        return MtcnnHeads(self.device, min_face=self.settings.min_face)

    @cached_property
    def faces(self):
        from ls_backend.pipeline.video.faces import load_faces

        return load_faces(self.settings.face_embedder, self.device)

    @cached_property
    def appearance(self):
        return load_appearance(self.settings.tracker_appearance, self.device)

    @property
    def version(self) -> str:
        return self.settings.version

    def _track_embedding(self, track: Track, size: tuple[int, int], crops: dict) -> np.ndarray | None:
        descs = []
        for d in best_detections(track, size, self.settings.per_track):
            image, face = crops[d]
            descs.extend(self.faces.embed(image, [face]))
        return np.mean(descs, axis=0) if descs else None

    def _sampled_frames(self, stream: DecodedStream, shots: ShotDetector, counts: dict, planned: bool = True) -> Iterator[SampledFrame]:
        """The frames the detector should see, at analysis size: one every ``1 / sample_fps`` seconds (the
        first frame at or after each multiple of it) and the first frame of every shot (a grid frame less
        than half a step after it is left out). ``planned``: decode only those frames, the possible cuts
        and the frames before them (``DecodedStream.frames``); else every frame.
        A sampled frame on which nothing moved since the last detected frame of its shot is marked
        ``reuse_of`` that frame."""
        s = self.settings

        def step() -> float:  # frames between samples (the frame rate is known once the stream is open)
            return max(1.0, stream.meta.fps / s.sample_fps)

        def on_grid(i: int) -> bool:
            return i == 0 or int(i / step()) != int((i - 1) / step())

        def plan(gop) -> set[int]:
            cuts = shots.candidates(gop)
            first = gop[0].index
            return {p.index for p in gop if on_grid(p.index)} | cuts | {c - 1 for c in cuts if c - 1 >= first}

        reference: tuple[int, np.ndarray, int] | None = None  # (frame, thumbnail, shot) of the last detected frame
        for index, frame in stream.frames(plan if planned else None):
            thumb = stream.thumbnail(frame)
            cut = shots.feed(index, thumb)
            start = shots.starts[-1]
            if not (cut or (on_grid(index) and (index == start or index - start >= step() / 2))):
                continue
            shot = len(shots.starts) - 1
            reuse = None
            if (reference is not None and reference[2] == shot and index - reference[0] <= s.static_max * stream.meta.fps
                    and float((np.abs(thumb.astype(np.int16) - reference[1]) > 16).mean()) < s.static_changed):
                reuse = reference[0]  # nothing moved: the detector's answer cannot change
                counts["reused"] += 1
            else:
                reference = (index, thumb.astype(np.int16), shot)
            counts["sampled"] += 1
            sf = stream.analysis_image(frame, index)
            yield SampledFrame(sf.index, sf.image, sf.scale, shot, reuse)

    def analyse_stored(self, path: str | Path) -> tuple[dict | None, str | None]:
        """The analysis as stored (JSON: what crosses process boundaries), or why the clip could not be analysed."""
        from exports.io.media import MediaError

        try:
            return self.analyse(path).to_json(), None
        except MediaError as exc:
            return None, str(exc)

    def analyse(self, path: str | Path) -> VideoAnalysis:
        """Persons of a clip, each with a key frame and head box.

        Raises:
            exports.io.media.MediaError: the file is missing, empty, corrupt, or has no video frame.
        """
        if self.settings.decode == "every":
            return self._analyse(Path(path), planned=False)
        try:
            return self._analyse(Path(path), planned=True)
        except Unplannable as exc:
            log.info("%s; decoding every frame", exc)
            return self._analyse(Path(path), planned=False)

    def _analyse(self, path: Path, planned: bool) -> VideoAnalysis:
        s = self.settings
        timings = {"decode+detect": 0.0}
        started = time.perf_counter()
        # on the CPU the detector's threads take the cores: the decoder, in a thread of its own, gets one
        stream = DecodedStream(path, s.max_side, threads=1 if self.device == "cpu" else 0)
        shots = ShotDetector()
        trackers: list[ShotTracker] = []
        crops: dict[Detection, tuple[np.ndarray, tuple[float, float, float, float]]] = {}
        detected: dict[int, list[Detection]] = {}
        pending: list[SampledFrame] = []
        counts = {"sampled": 0, "reused": 0}

        # face embeddings of a shot's tracks are computed in another thread as soon as the shot ends (dlib holds
        # the GIL while it computes: it overlaps with torch's and FFmpeg's own threads, not with Python code)
        embedder = ThreadPoolExecutor(1, thread_name_prefix="video-embed")
        embedded: list[tuple[Track, Future]] = []

        def close(tracker: ShotTracker) -> None:
            size = (stream.meta.width, stream.meta.height)
            for t in tracker.tracks(s.min_track):
                embedded.append((t, embedder.submit(self._track_embedding, t, size, crops)))

        def flush() -> None:
            if not pending:
                return
            size = (stream.meta.width, stream.meta.height)
            fresh = [f for f in pending if f.reuse_of is None]
            found = dict(zip((f.index for f in fresh), self.heads.detect(fresh, size)))
            for frame in pending:
                if not trackers or trackers[-1].shot != frame.shot:
                    if trackers:
                        close(trackers[-1])
                    trackers.append(ShotTracker(self.appearance, frame.shot))
                if frame.reuse_of is not None:
                    src = detected.get(frame.reuse_of, [])
                    dets = [replace(d, frame=frame.index) for d in src]
                    for d, o in zip(dets, src):
                        crops[d] = crops[o]
                else:
                    dets = found[frame.index]
                    for d in dets:
                        crops[d] = _face_crop(frame, d)
                    detected[frame.index] = dets
                trackers[-1].update(frame, dets)
            pending.clear()

        # decoding and sampling run in a thread (PyAV and torch release the GIL), detection here
        try:
            for frame in _in_thread(self._sampled_frames(stream, shots, counts, planned)):
                if len(pending) >= s.batch:  # one detector batch may span shots: fewer, fuller batches
                    flush()
                pending.append(frame)
            flush()
        except BaseException:
            embedder.shutdown(cancel_futures=True)
            raise
        if trackers:
            close(trackers[-1])
        sampled = counts["sampled"]
        reused = counts["reused"]
        meta = stream.meta
        size = (meta.width, meta.height)
        timings["decode+detect"] = time.perf_counter() - started

        t0 = time.perf_counter()
        tracks = [Track(i + 1, t.shot, t.detections) for i, (t, _) in enumerate(embedded)]
        embeddings = [f.result() for _, f in embedded]
        embedder.shutdown()
        threshold = s.person_threshold if s.person_threshold is not None else self.faces.threshold
        groups = cluster_tracks(tracks, embeddings, self.faces.distance, threshold)
        timings["embed+cluster"] = time.perf_counter() - t0

        step_s = max(1.0, meta.fps / s.sample_fps) / meta.fps
        persons = []
        for g in groups:
            member = [tracks[i] for i in g]
            key = max((key_quality(d, size) for t in member for d in t.detections), key=lambda kf: kf.quality)
            screen = sum((t.last - t.first) / meta.fps + step_s for t in member)
            embs = [embeddings[i] for i in g if embeddings[i] is not None]
            persons.append((screen, member, key, np.mean(embs, axis=0) if embs else None))
        persons.sort(key=lambda p: (-p[0], p[1][0].first))
        out = tuple(Person(n + 1, tuple(sorted(m, key=lambda t: t.first)), k, round(st, 3), e, _jpeg(crops[k.detection][0]), size)
                    for n, (st, m, k, e) in enumerate(persons))
        timings["total"] = time.perf_counter() - started
        timings["detected_frames"] = float(sampled - reused)
        timings["decoded_frames"] = float(stream.decoded)
        log.info("%s: %d frames (%d decoded), %d sampled (%d detected), %d shots, %d tracks, %d persons in %.1f s", path, meta.frame_count,
                 stream.decoded, sampled, sampled - reused, len(shots.starts), len(tracks), len(out), timings["total"])
        return VideoAnalysis(meta, shots.shots(meta.frame_count), out, sampled, self.version, timings)


def _jpeg(image: np.ndarray, side: int = 112) -> str:
    """A small base64 JPEG of a face crop (what alignment's image encoder and people see)."""
    import base64
    import io

    from PIL import Image

    img = Image.fromarray(np.ascontiguousarray(image))
    img.thumbnail((side, side))
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=85)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _in_thread(items: Iterator[SampledFrame], depth: int = 16) -> Iterator[SampledFrame]:
    """Run a generator in a thread, up to ``depth`` items ahead; its exceptions are raised here."""
    import queue
    import threading

    q: queue.Queue = queue.Queue(maxsize=depth)
    done = object()
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        q.put(item, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            q.put(done)
        except BaseException as exc:  # handed to the consumer
            q.put(exc)

    thread = threading.Thread(target=produce, name="video-decode", daemon=True)
    thread.start()
    try:
        while True:
            item = q.get()
            if item is done:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        thread.join(timeout=5)


def _face_crop(frame: SampledFrame, d: Detection) -> tuple[np.ndarray, tuple[float, float, float, float]]:
    """The face with a margin, from the analysis image, and the face box within the crop (for the embedder)."""
    s = frame.scale
    fx1, fy1, fx2, fy2 = (v * s for v in (d.face or d.head))
    mw, mh = 0.4 * (fx2 - fx1), 0.4 * (fy2 - fy1)
    H, W = frame.image.shape[:2]
    x1, y1 = int(max(0, fx1 - mw)), int(max(0, fy1 - mh))
    x2, y2 = int(min(W, fx2 + mw)), int(min(H, fy2 + mh))
    image = frame.image[y1:y2, x1:x2].copy()
    return image, (fx1 - x1, fy1 - y1, fx2 - x1, fy2 - y1)

