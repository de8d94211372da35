"""Decoding only what the analysis needs (decode.py): the wanted frames come out, in order, with the
pixels a full decode gives, on a phone-like stream (P-frames, a key frame a second), a platform-like
one (B-frames, key frames at cuts), an open-GOP one and one without key frames at cuts; fewer
frames go through the decoder and the analysis is the one of decoding every frame; a stream
without timestamps is refused as Unplannable and the pipeline decodes it whole."""
from __future__ import annotations

import random

import av
import numpy as np
import pytest

from ls_backend.media.synth import PLATFORM, render
from ls_backend.pipeline.video.decode import DecodedStream, PacketInfo, Unplannable
from ls_backend.pipeline.video.shots import ShotDetector
from tests.ls_backend.video.conftest import CUTS, FRAMES, SIZE, scene_placements

ENCODINGS = {
    "phone": None,
    "platform": PLATFORM,
    "open-gop": {**PLATFORM, "x264-params": "open-gop=1"},
    "no-scenecut": {**PLATFORM, "sc_threshold": "0", "g": "60"},
}


@pytest.fixture(scope="module")
def encodes(tmp_path_factory):
    folder = tmp_path_factory.mktemp("encodes")
    out = {}
    for name, options in ENCODINGS.items():
        path = folder / f"{name}.mp4"
        render(path, scene_placements(), size=SIZE, fps=30, frame_count=FRAMES, cuts=CUTS, encoder=options)
        out[name] = path
    return out


def _full(path) -> list[np.ndarray]:
    with av.open(str(path)) as c:
        return [f.to_ndarray() for f in c.decode(c.streams.video[0])]


@pytest.mark.parametrize("name", list(ENCODINGS))
def test_wanted_frames_come_out_in_order_with_the_pixels_of_a_full_decode(encodes, name):
    reference = _full(encodes[name])
    for seed in range(3):
        rng = random.Random(seed)
        wanted: set[int] = set()

        def plan(gop: list[PacketInfo], rng=rng, wanted=wanted) -> set[int]:
            assert gop[0].key or gop[0].index == 0
            picked = {p.index for p in gop if rng.random() < 0.12}
            wanted.update(picked)
            return picked

        stream = DecodedStream(encodes[name])
        got = list(stream.frames(plan))
        assert [i for i, _ in got] == sorted(wanted)
        for i, frame in got:
            assert np.array_equal(frame.to_ndarray(), reference[i]), (name, seed, i)
        assert stream.meta.frame_count == len(reference) == FRAMES
        assert stream.decoded < FRAMES  # what is not wanted is not all decoded


def test_b_frames_nothing_refers_to_are_not_decoded(encodes):
    stream = DecodedStream(encodes["platform"])
    got = [i for i, _ in stream.frames(lambda gop: {p.index for p in gop if p.index % 15 == 0})]
    assert got == list(range(0, FRAMES, 15))
    assert stream.decoded <= FRAMES * 0.6, stream.decoded


def test_a_phone_stream_stops_decoding_each_gop_after_its_last_wanted_frame(encodes):
    stream = DecodedStream(encodes["phone"])  # P-frames only, a key frame every 30: frames 16..29 of each GOP are never decoded
    got = [i for i, _ in stream.frames(lambda gop: {p.index for p in gop if p.index % 15 == 0})]
    assert got == list(range(0, FRAMES, 15))
    assert stream.decoded == 16 * (FRAMES // 30)


def test_the_first_frame_of_a_shot_is_a_candidate_even_as_a_small_b_frame(encodes):
    """In a B-frame stream the frame at a cut may be a B-frame predicted from the next anchor alone (a
    few dozen bytes); the large anchor after it makes it a candidate."""
    shots = ShotDetector()
    candidates: set[int] = set()
    stream = DecodedStream(encodes["no-scenecut"])

    def plan(gop):
        candidates.update(shots.candidates(gop))
        return set()

    assert list(stream.frames(plan)) == []
    assert set(CUTS) <= candidates, sorted(candidates)
    assert len(candidates) < FRAMES / 3  # not every frame (the zooming shot codes its frames in uneven sizes)


@pytest.fixture(scope="module")
def every_frame_pipeline():
    from ls_backend.pipeline.video.pipeline import VideoPipeline, VideoSettings

    return VideoPipeline(VideoSettings(decode="every")).load()


@pytest.mark.parametrize("name", list(ENCODINGS))
def test_the_analysis_is_the_one_of_decoding_every_frame(encodes, pipeline, every_frame_pipeline, name):
    """Shots, persons, their tracks, key frames and boxes of the test scene are those the same pipeline
    finds decoding every frame (each frame then a possible cut), whatever the encoding."""
    planned, every = pipeline.analyse(encodes[name]), every_frame_pipeline.analyse(encodes[name])
    assert planned.shots.starts == every.shots.starts == (0, *CUTS)
    assert planned.sampled_frames == every.sampled_frames
    assert planned.timings["decoded_frames"] < every.timings["decoded_frames"] == FRAMES

    def summary(a):
        return [(p.key.detection.frame, p.key.detection.head, [(t.shot, t.first, t.last) for t in p.tracks]) for p in a.persons]

    assert summary(planned) == summary(every)


def test_a_stream_without_timestamps_is_decoded_whole(tmp_path, encodes, pipeline, scene):
    raw = tmp_path / "scene.h264"  # an H.264 elementary stream: packets carry no presentation time
    with av.open(str(encodes["phone"])) as src, av.open(str(raw), "w", format="h264") as dst:
        out = dst.add_stream_from_template(src.streams.video[0])
        for packet in src.demux(src.streams.video[0]):
            if packet.size:
                packet.stream = out
                dst.mux(packet)
    with pytest.raises(Unplannable, match="without a presentation time"):
        list(DecodedStream(raw).frames(lambda gop: {p.index for p in gop}))
    analysis = pipeline.analyse(raw)  # falls back to decoding every frame
    assert analysis.shots.starts == (0, *CUTS)
    assert analysis.meta.frame_count == FRAMES
    assert len(analysis.persons) == len(scene.analysis.persons)


def test_an_unknown_decode_setting_is_refused_at_start_up():
    from ls_backend.pipeline.video.pipeline import VideoSettings

    with pytest.raises(ValueError, match="video_decode: expected planned or every, got 'sometimes'"):
        VideoSettings(decode="sometimes").check()


def test_a_cut_the_stream_does_not_show_is_found_at_the_next_decoded_frame(encodes):
    """Fed every 10th frame only (as if no packet had marked the cuts), the detector puts each cut at the
    first frame it saw after it; fed every frame, exactly at the cut."""
    stream = DecodedStream(encodes["phone"])
    thumbs = [(i, stream.thumbnail(f)) for i, f in stream.frames()]
    sparse, dense = ShotDetector(), ShotDetector()
    for i, t in thumbs:
        dense.feed(i, t)
        if i % 10 == 0:
            sparse.feed(i, t)
    assert dense.starts == [0, *CUTS]
    assert sparse.starts == [0, *(-(-c // 10) * 10 for c in CUTS)]  # 45 -> 50, 90, 135 -> 140


def test_a_stream_with_very_long_gops_is_decoded_whole(encodes, pipeline, every_frame_pipeline, monkeypatch):
    """Planning holds a whole GOP's packets: past MAX_GOP frames (40 s at 30 fps) it gives up and the
    pipeline decodes every frame, with the same analysis."""
    from ls_backend.pipeline.video import decode

    monkeypatch.setattr(decode, "MAX_GOP", 100)
    with pytest.raises(Unplannable, match="longer than 100 frames"):
        list(DecodedStream(encodes["platform"]).frames(lambda gop: {p.index for p in gop}))
    analysis = pipeline.analyse(encodes["platform"])
    assert analysis.timings["decoded_frames"] == FRAMES
    assert analysis.shots.starts == every_frame_pipeline.analyse(encodes["platform"]).shots.starts
