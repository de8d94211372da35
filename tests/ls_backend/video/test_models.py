"""The full models load through their real loading code, from tiny random-initialised checkpoints
of the same classes saved to a temporary directory (no weights can be downloaded here)."""
from __future__ import annotations

import numpy as np
import pytest

from ls_backend.pipeline.video.artifacts import SampledFrame
from ls_backend.pipeline.video.pipeline import VideoPipeline, VideoSettings


@pytest.fixture(scope="module")
def yolo_checkpoint(tmp_path_factory):
    from ultralytics import YOLO

    path = tmp_path_factory.mktemp("yolo") / "heads.pt"
    YOLO("yolov8n.yaml").save(str(path))  # built from the package's yaml, random weights
    return path


@pytest.fixture(scope="module")
def facenet_weights(tmp_path_factory):
    import torch
    from facenet_pytorch import InceptionResnetV1

    path = tmp_path_factory.mktemp("facenet") / "inception_resnet_v1.pt"
    torch.manual_seed(0)
    torch.save(InceptionResnetV1(pretrained=None).state_dict(), path)
    return path


def test_a_yolo_head_checkpoint_is_loaded_and_run(yolo_checkpoint, scene_video):
    pipeline = VideoPipeline(VideoSettings(head_detector=yolo_checkpoint)).load()
    assert pipeline.heads.name == "yolo"
    frame = SampledFrame(0, np.zeros((360, 640, 3), np.uint8), 0.5)
    out = pipeline.heads.detect([frame, frame], (1280, 720))
    assert len(out) == 2 and all(isinstance(d, list) for d in out)
    analysis = pipeline.analyse(scene_video[0])  # runs end to end (random weights find what they find)
    assert analysis.pipeline_version.startswith("video-2/yolo:heads.pt/")


def test_facenet_weights_are_loaded_from_a_local_path(facenet_weights):
    from ls_backend.pipeline.video.faces import load_faces

    faces = load_faces(f"facenet:{facenet_weights}")
    image = (np.random.default_rng(1).random((200, 200, 3)) * 255).astype(np.uint8)
    a, b = faces.embed(image, [(20, 20, 120, 140), (60, 50, 180, 190)])
    assert a.shape == (512,) and abs(float(np.linalg.norm(a)) - 1) < 1e-4
    assert faces.distance(a, a) < 1e-5 and faces.distance(a, b) > 0


@pytest.mark.parametrize(
    "settings, message",
    [
        (lambda tmp: VideoSettings(head_detector=tmp / "missing.pt"), "head_detector: {tmp}/missing.pt: no such checkpoint file"),
        (lambda tmp: VideoSettings(head_detector=tmp / "bad.pt"), "head_detector: {tmp}/bad.pt: not an ultralytics YOLO checkpoint"),
        (lambda tmp: VideoSettings(face_embedder=f"facenet:{tmp}/missing.pt"), "face_embedder: {tmp}/missing.pt: no such weights file"),
        (lambda tmp: VideoSettings(face_embedder=f"facenet:{tmp}/bad.pt"), "face_embedder: {tmp}/bad.pt: cannot load the weights"),
        (lambda tmp: VideoSettings(face_embedder="arcface"), "face_embedder: expected 'dlib' or 'facenet:<weights path>', got 'arcface'"),
    ],
    ids=["yolo-missing", "yolo-bad", "facenet-missing", "facenet-bad", "unknown-embedder"],
)
def test_a_wrong_checkpoint_is_a_clear_error_at_load_time(tmp_path, settings, message):
    (tmp_path / "bad.pt").write_text("not a checkpoint")
    with pytest.raises(ValueError) as err:
        VideoPipeline(settings(tmp_path)).load()
    assert message.format(tmp=tmp_path) in str(err.value)


def test_ls_backend_start_refuses_a_missing_checkpoint_at_start_up(tmp_path, caplog):
    import json

    from ls_backend.cli import main as ls_main

    cfg = tmp_path / "config.json"
    cfg.write_text(json.dumps({"head_detector": str(tmp_path / "nowhere.pt")}))
    assert ls_main(["start", "--config", str(cfg), "--data-dir", str(tmp_path / "d"), "--port", "1"]) == 2
    assert f"cannot start: head_detector: {tmp_path}/nowhere.pt: no such checkpoint file" in caplog.text


def test_every_setting_that_changes_the_output_changes_the_cache_version():
    base = VideoSettings()
    assert VideoSettings(device="cuda").version == base.version  # where it runs does not change the result
    for changed in (VideoSettings(person_threshold=0.5), VideoSettings(max_side=512), VideoSettings(min_face=24),
                    VideoSettings(sample_fps=1.5), VideoSettings(tracker_appearance="mobilenet")):
        assert changed.version != base.version
