"""Person proposals in Label Studio's and the release's terms: offline (`ls-backend predict --tasks`),
and served by `/predict` from the store once the video jobs cached the analysis."""
from __future__ import annotations

import json
import shutil

from exports import coords
from ls_backend.serving.app import create_app
from ls_backend.cli import main as ls_main
from ls_backend.infra.config import Config
from ls_backend.media.fetch import MediaPolicy
from exports.dialogue import make_dialogue
from exports.labelstudio import to_prediction
from ls_backend.pipeline.video.artifacts import VideoAnalysis
from ls_backend.pipeline.video.proposals import proposals_only
from ls_backend.serving.backend import Backend
from ls_backend.jobs.video_jobs import VideoJobs
from tests.ls_backend.video.conftest import truth_at

TEMPLATE = open(__import__("templates").__file__.replace("__init__.py", "coref_video.xml"), encoding="utf-8").read()
DIALOGUE = [{"speaker": "A", "text": "王一博和这个小姐姐好配"}, {"speaker": "B", "text": "他俩真的好看"}]


def _boxes(result):
    return [r for r in result if r["type"] == "videorectangle"]


def test_person_boxes_on_key_frames_in_label_studio_terms(scene, label_interface):
    analysis = scene.analysis.to_json()
    text = make_dialogue("t", [("A", DIALOGUE[0]["text"]), ("B", DIALOGUE[1]["text"])], [([(0, 2)], "C2")])  # 王一博 is cluster C2
    pred = to_prediction(proposals_only(text, 0.9, VideoAnalysis.from_json(analysis), "v1"))
    assert label_interface.validate_prediction(pred, return_errors=True) == []
    boxes = _boxes(pred["result"])
    assert [b["value"]["labels"] for b in boxes] == [["C3"], ["C4"], ["C5"]]  # after the text's C2, by screen time
    assert not any(r["from_name"] == "comment" for r in pred["result"])  # the comment is the annotator's own
    for box in boxes:  # each proposed box says how it is numbered, in its own region note
        (note,) = box["meta"]["text"]
        assert "numbered by screen time" in note and box["value"]["labels"][0] in note
    w, h = analysis["meta"]["width"], analysis["meta"]["height"]
    for box, person in zip(boxes, analysis["persons"]):
        (seq,) = box["value"]["sequence"]
        assert seq["frame"] == person["frame"] + 1  # Label Studio counts frames from 1
        px = coords.box_to_pixels((seq["x"], seq["y"], seq["width"], seq["height"]), (w, h))
        assert truth_at(scene.placements, person["frame"], px)[0] >= 0.5
    assert pred["score"] <= 0.9


def _write_tasks(tmp_path, video_name: str) -> object:
    tasks = [
        {"data": {"doc_key": "t1", "dialogue": DIALOGUE, "title": "#王一博", "video": video_name}},
        {"data": {"doc_key": "t2", "dialogue": DIALOGUE, "video": "broken.mp4"}},
        {"data": {"doc_key": "t3", "dialogue": DIALOGUE, "video": "https://elsewhere.example/v.mp4"}},
    ]
    (tmp_path / "broken.mp4").write_bytes(b"not a video at all")
    path = tmp_path / "tasks.json"
    path.write_text(json.dumps(tasks, ensure_ascii=False), encoding="utf-8")
    return path


def test_predict_tasks_offline_in_both_formats(tmp_path, scene_video, label_interface, caplog):
    shutil.copy(scene_video[0], tmp_path / "scene.mp4")
    tasks = _write_tasks(tmp_path, "scene.mp4")  # a path relative to the task file
    out = tmp_path / "out.json"
    assert ls_main(["predict", "--tasks", str(tasks), "--out", str(out), "--format", "labelstudio"]) == 1  # two videos failed
    predicted = json.loads(out.read_text(encoding="utf-8"))
    assert [t["data"]["doc_key"] for t in predicted] == ["t1", "t2", "t3"]  # every task keeps its text proposals
    for task in predicted:
        assert label_interface.validate_prediction(task["predictions"][0], return_errors=True) == []
    assert len(_boxes(predicted[0]["predictions"][0]["result"])) == 3
    assert _boxes(predicted[1]["predictions"][0]["result"]) == [] and _boxes(predicted[2]["predictions"][0]["result"]) == []
    assert "broken.mp4: not a video PyAV can open" in caplog.text
    assert "https://elsewhere.example/v.mp4': not on the Label Studio host nor under an allow-listed URL prefix" in caplog.text

    rel = tmp_path / "out.jsonl"
    assert ls_main(["predict", "--tasks", str(tasks), "--out", str(rel), "--format", "release"]) == 1
    first = json.loads(rel.read_text(encoding="utf-8").splitlines()[0])
    assert first["doc_key"] == "t1" and len(first["visual_annotations"]) == 3
    box = first["visual_annotations"][0]
    assert isinstance(box["cur_frame"], int) and all(isinstance(v, int) for v in box["bbox"])  # 0-based frame, pixels
    assert truth_at(scene_video[1], box["cur_frame"], box["bbox"])[0] >= 0.5


def _backend_and_jobs(tmp_path, scene_video, pipeline):
    """A backend whose media root holds the scene video, and video jobs on its store (the session's loaded models)."""
    media = tmp_path / "media"
    media.mkdir()
    shutil.copy(scene_video[0], media / "scene.mp4")
    config = Config(data_dir=tmp_path / "backend", media_root=media)
    service = Backend(config)
    jobs = VideoJobs(service.videos.settings, MediaPolicy.from_config(config), tmp_path / "cache", store=service.store)
    jobs._pipeline = pipeline
    return config, service, jobs


def test_predict_answers_from_the_cached_video_analysis(tmp_path, scene_video, pipeline, label_interface):
    config, service, jobs = _backend_and_jobs(tmp_path, scene_video, pipeline)
    (first,) = jobs.run(["scene.mp4"]).values()
    assert first.analysis and not first.cached
    (again,) = jobs.run(["scene.mp4"]).values()
    assert again.cached and again.analysis == first.analysis  # by content + pipeline version: no second analysis

    client = create_app(config, service).test_client()
    task = {"id": 7, "data": {"doc_key": "t7", "dialogue": DIALOGUE, "video": "scene.mp4"}}
    resp = client.post("/predict", json={"tasks": [task], "label_config": TEMPLATE})
    (pred,) = resp.json["results"]
    assert label_interface.validate_prediction(pred, return_errors=True) == []
    assert len(_boxes(pred["result"])) == 3
    other = {"id": 8, "data": {"doc_key": "t8", "dialogue": DIALOGUE, "video": "unknown.mp4"}}
    (pred2,) = client.post("/predict", json={"tasks": [other]}).json["results"]
    assert _boxes(pred2["result"]) == []  # not pre-annotated yet: text proposals only, at once


def test_a_cached_prediction_runs_no_model(tmp_path, scene_video, pipeline, monkeypatch):
    """The cache holds the whole Prediction (text, alignment, boxes): asked again, /predict runs no model."""
    from exports.prediction import Prediction
    from ls_backend.infra.store import CachedPrediction

    config, service, jobs = _backend_and_jobs(tmp_path, scene_video, pipeline)
    jobs.run(["scene.mp4"])
    client = create_app(config, service).test_client()
    task = {"id": 7, "data": {"doc_key": "t7", "dialogue": DIALOGUE, "video": "scene.mp4"}}
    first = client.post("/predict", json={"tasks": [task]}).json["results"][0]

    def no_model(*args, **kwargs):
        raise AssertionError("a model ran on a cached task")

    monkeypatch.setattr("ls_backend.pipeline.propose.propose", no_model)
    monkeypatch.setattr("ls_backend.pipeline.propose.predict_dialogue", no_model)
    again = client.post("/predict", json={"tasks": [task]}).json["results"][0]
    assert again == first and service.stats.counts["cache_hits"] == 1 and len(_boxes(again["result"])) == 3
    with service.store.session() as s:
        (row,) = s.query(CachedPrediction).all()
        assert Prediction.from_json(row.prediction).has_video  # the artifact, not Label Studio JSON


def test_exports_faces_writes_chinese_clip_training_files(tmp_path, release_lines):
    import base64
    import io

    from PIL import Image

    from exports import release
    from exports.cli import main as exports_main
    from ls_backend.media.synth import video_for_dialogue

    picked = [line for line in release_lines if '"C1C2"' in line][:1] + [line for line in release_lines if '"visual_annotations": []' not in line][:2]
    dialogues = [release.loads(line) for line in picked]
    root = tmp_path / "videos"
    for d in dialogues[:2]:
        video_for_dialogue(d, root / f"{d.doc_key}.mp4")  # the third has no video: reported, skipped
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join(picked) + "\n", encoding="utf-8")
    assert exports_main(["faces", str(src), "--video-root", str(root), "--out", str(tmp_path / "faces" / "train")]) == 1
    imgs = (tmp_path / "faces" / "train_imgs.tsv").read_text().splitlines()
    index = [json.loads(l) for l in (tmp_path / "faces" / "train_index.jsonl").read_text(encoding="utf-8").splitlines()]
    texts = [json.loads(l) for l in (tmp_path / "faces" / "train_texts.jsonl").read_text(encoding="utf-8").splitlines()]
    boxes = [b for d in dialogues[:2] for b in d.boxes]
    assert len(imgs) == len(index) == len(boxes)
    for line, entry, box in zip(imgs, index, boxes):
        image_id, b64 = line.split("\t")
        crop = Image.open(io.BytesIO(base64.b64decode(b64)))
        x1, y1, x2, y2 = (int(round(v)) for v in box.bbox)
        assert int(image_id) == entry["image_id"] and crop.size == (x2 - x1, y2 - y1) and entry["label"] == box.label
    group = next(e for e in index if e["label"] == "C1C2")
    members = [c for c in dialogues[0].clusters if set(c.numbers) & {1, 2}]  # the group and each member's own cluster
    assert sum(group["image_id"] in t["image_ids"] for t in texts) == len(members)
    assert all(t["text"] and t["image_ids"] for t in texts)


def test_video_jobs_with_worker_processes(tmp_path, scene_video):
    from ls_backend.media.synth import Placement, render
    from ls_backend.pipeline.video.pipeline import VideoSettings
    from ls_backend.infra.store import Store

    shutil.copy(scene_video[0], tmp_path / "a.mp4")
    render(tmp_path / "b.mp4", [Placement(12, (100, 100, 300, 300), 0, 59)], size=(640, 360), fps=30, frame_count=60)
    store = Store(f"sqlite:///{tmp_path / 's.sqlite3'}")
    jobs = VideoJobs(VideoSettings(), MediaPolicy(root=tmp_path), tmp_path / "cache", store=store, workers=2)
    seen = []
    out = jobs.run(["a.mp4", "b.mp4", "missing.mp4"], progress=seen.append)
    assert len(seen) == 3 and out["missing.mp4"].error and "no such file" in out["missing.mp4"].error
    assert len(out["a.mp4"].analysis.persons) == 3 and len(out["b.mp4"].analysis.persons) == 1
    assert store.video_result_for("b.mp4", VideoSettings().version).analysis == out["b.mp4"].analysis.to_json()
