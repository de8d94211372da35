from __future__ import annotations

import av
import numpy as np
import pytest

from exports.io.media import MediaError
from tests.ls_backend.video.conftest import CUTS, FRAMES, SIZE, truth_at


def _label_of(scene, track) -> str:
    labels = {truth_at(scene.placements, d.frame, d.head)[1] for d in track.detections}
    assert len(labels) == 1, f"track {track.id} mixes planted faces {labels}"
    return labels.pop()


def test_shots_are_found_at_the_cuts(scene):
    assert scene.analysis.shots.starts == (0, *CUTS)
    assert scene.analysis.meta.frame_count == FRAMES
    assert (scene.analysis.meta.width, scene.analysis.meta.height) == SIZE


def test_the_same_person_across_cuts_is_one_cluster_and_different_persons_are_not(scene):
    persons = {p.number: sorted({_label_of(scene, t) for t in p.tracks}) for p in scene.analysis.persons}
    assert sorted(persons.values()) == [["A"], ["B"], ["C"]], persons
    by_label = {labels[0]: p for p in scene.analysis.persons for labels in [sorted({_label_of(scene, t) for t in p.tracks})]}
    assert {t.shot for t in by_label["A"].tracks} == {0, 3}  # left, came back after two cuts
    assert {t.shot for t in by_label["B"].tracks} == {0, 3}
    assert {t.shot for t in by_label["C"].tracks} == {2}


def test_nobody_is_found_in_the_empty_shot(scene):
    assert all(t.shot != 1 for p in scene.analysis.persons for t in p.tracks)


def test_each_head_box_overlaps_the_planted_face(scene):
    for p in scene.analysis.persons:
        for t in p.tracks:
            for d in t.detections:
                assert truth_at(scene.placements, d.frame, d.head)[0] >= 0.5, (p.number, d.frame, d.head)
        assert truth_at(scene.placements, p.key.detection.frame, p.key.detection.head)[0] >= 0.5


def test_the_key_frame_shows_the_face_large(scene):
    for p in scene.analysis.persons:
        key = p.key.detection
        areas = [d.area for t in p.tracks for d in t.detections]
        assert key.area >= 0.8 * max(areas), (p.number, key.frame)
        assert p.key.terms["frontal"] > 0.8
    c = next(p for p in scene.analysis.persons if _label_of(scene, p.tracks[0]) == "C")
    assert c.key.detection.frame >= 118  # C comes closer: the key frame is near the end of the shot


def test_persons_are_numbered_by_screen_time(scene):
    times = [p.screen_time for p in scene.analysis.persons]
    assert [p.number for p in scene.analysis.persons] == [1, 2, 3]
    assert times == sorted(times, reverse=True)
    summary = scene.analysis.to_json()
    assert [p["number"] for p in summary["persons"]] == [1, 2, 3]
    assert all(len(p["embedding"]) == 128 for p in summary["persons"])


def _audio_only(path):
    with av.open(str(path), "w", format="mp4") as c:
        s = c.add_stream("aac", rate=16000)
        frame = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp", layout="mono")
        frame.sample_rate = 16000
        for k in range(10):
            frame.pts = k * 1024
            for packet in s.encode(frame):
                c.mux(packet)
        for packet in s.encode():
            c.mux(packet)


def _zero_frames(path):
    with av.open(str(path), "w", format="mp4") as c:
        s = c.add_stream("libx264", rate=30)
        s.width, s.height, s.pix_fmt = 64, 64, "yuv420p"
        c.start_encoding()
        for packet in s.encode():  # flush without a frame: the muxer writes a header and no track
            c.mux(packet)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda p: p.write_bytes(b""), "the file is empty (0 bytes)"),
        (lambda p: p.write_bytes(np.random.default_rng(0).bytes(50_000)), "not a video PyAV can open"),
        (_audio_only, "no video stream (audio)"),
        (_zero_frames, "no video stream (no stream)"),
        (None, "no such video file"),
    ],
    ids=["empty", "corrupt", "audio-only", "zero-length", "missing"],
)
def test_bad_media_gives_a_clear_error(tmp_path, pipeline, make, message):
    path = tmp_path / "clip.mp4"
    if make is not None:
        make(path)
    with pytest.raises(MediaError) as err:
        pipeline.analyse(path)
    assert message in str(err.value) and str(path) in str(err.value)


def test_a_truncated_video_is_analysed_up_to_where_it_breaks(tmp_path, scene_video, pipeline):
    path, _ = scene_video
    cut = tmp_path / "truncated.mp4"
    data = path.read_bytes()
    cut.write_bytes(data[: len(data) * 2 // 3])
    try:
        analysis = pipeline.analyse(cut)
    except MediaError as exc:  # an MP4 whose index is at the end cannot be opened at all: also a clear error
        assert str(cut) in str(exc)
    else:
        assert 0 < analysis.meta.frame_count <= FRAMES


def test_a_stored_analysis_reads_back_as_the_artifact(scene):
    import json

    from ls_backend.pipeline.video.artifacts import VideoAnalysis

    stored = json.loads(json.dumps(scene.analysis.to_json()))  # what the store's JSON column gives back
    back = VideoAnalysis.from_json(stored)
    assert back.to_json() == stored
    for p, q in zip(scene.analysis.persons, back.persons):
        assert (q.number, q.frame, q.frame_size) == (p.number, p.frame, SIZE)
        assert [(t.shot, t.first, t.last) for t in q.tracks] == [(t.shot, t.first, t.last) for t in p.tracks]
        assert q.tracks[0].detections == ()  # the store keeps spans, not detections
        assert q.crop_image is not None and q.crop_image.shape[2] == 3
    with pytest.raises(ValueError, match="video analysis: meta: missing"):
        VideoAnalysis.from_json({k: v for k, v in stored.items() if k != "meta"})
