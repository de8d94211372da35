"""The backend learns a celebrity's face from one annotation and names it in another video."""
from __future__ import annotations


from exports import labelstudio
from exports.dialogue import Box, Cluster, Dialogue, Turn
from ls_backend.serving.app import create_app
from ls_backend.infra.config import Config
from ls_backend.media.fetch import MediaPolicy
from ls_backend.media.synth import Placement, render
from ls_backend.serving.backend import Backend
from ls_backend.jobs.video_jobs import VideoJobs

WANG, STRANGER = 12, 77


def _clip(path, wang_box, stranger_box):
    render(path, [Placement(WANG, wang_box, 0, 89), Placement(STRANGER, stranger_box, 0, 89)], size=(720, 1280), fps=30, frame_count=90)


def test_a_named_face_is_learned_from_an_annotation_and_proposed_with_its_name(tmp_path):
    media = tmp_path / "media"
    media.mkdir()
    _clip(media / "first.mp4", (80, 200, 280, 420), (400, 500, 660, 780))  # 王一博 small, a stranger large
    _clip(media / "second.mp4", (380, 150, 640, 440), (60, 700, 300, 960))  # the same two, elsewhere and other sizes
    config = Config(data_dir=tmp_path / "backend", media_root=media, retrain_debounce=3600)
    service = Backend(config)
    jobs = VideoJobs(service.videos.settings, MediaPolicy.from_config(config), tmp_path / "cache", store=service.store)
    outcomes = jobs.run(["first.mp4", "second.mp4"])
    assert all(len(o.analysis.persons) == 2 for o in outcomes.values())
    client = create_app(config, service).test_client()

    # an annotator links 王一博 to his face in the first video and names him
    text = "王一博今天好帅"
    annotated = Dialogue("t1", (Turn("A", tuple(text)), Turn("B", tuple("他真的很帅"))),
                         (Cluster(((0, 2), (7, 7)), "C1"),), (Box("C1", 30, (80, 200, 280, 420), "王一博"),),
                         fps=30.0, frame_size=(720, 1280), frame_count=90)
    task = labelstudio.to_task(annotated, video="first.mp4", annotation=False)
    task["id"] = 1
    # submitted with the stranger's proposed box left in, unlinked (C2: no mention has that number)
    stranger = {"id": "p2", "from_name": "box", "to_name": "video", "type": "videorectangle",
                "value": {**labelstudio.box_value(30, (400, 500, 660, 780), (720, 1280), 30.0, 90), "labels": ["C2"]}}
    event = {"action": "ANNOTATION_CREATED", "task": task, "annotation": {"id": 501, "result": labelstudio.to_result(annotated) + [stranger]}}
    assert client.post("/webhook", json=event).status_code == 200
    assert [name for name, _, _ in service.store.gallery_faces("dlib")] == ["王一博"]  # learned all the same
    (note,) = client.get("/metrics").json["left_out_of_training"]
    assert note["left_out"] == ["box C2: no mention is labelled with the box's number(s); left out"]

    # another dialogue about him, another video: the box of his cluster is on his face, with his name
    task2 = {"id": 2, "data": {"doc_key": "t2", "dialogue": [{"speaker": "A", "text": "王一博跳舞太好看了"}, {"speaker": "B", "text": "他是真的厉害"}],
                               "video": "second.mp4"}}
    (pred,) = client.post("/predict", json={"tasks": [task2]}).json["results"]
    mention_labels = {r["value"]["text"]: r["value"]["paragraphlabels"] for r in pred["result"] if r["from_name"] == "mention"}
    boxes = [r for r in pred["result"] if r["type"] == "videorectangle"]
    names = {r["id"]: r["value"]["text"][0] for r in pred["result"] if r["from_name"] == "celebrity"}
    wang_box = next(b for b in boxes if b["value"]["labels"] == mention_labels["王一博"])
    seq = wang_box["value"]["sequence"][0]
    x, w = seq["x"] / 100 * 720, seq["width"] / 100 * 720
    assert x < 640 and x + w > 380  # on his face (380..640), not the stranger's (60..300)
    assert names[wang_box["id"]] == "王一博"
    assert mention_labels["他"] == mention_labels["王一博"]
    other = [b for b in boxes if b is not wang_box]
    assert len(other) == 1 and other[0]["value"]["labels"] != mention_labels["王一博"]  # the stranger: unlinked, own number

    # retraining (what the webhook's debounce triggers) also refits the pair scorer with this annotation's pairs
    service.trainer.retrain()
    from ls_backend.pipeline.align.scorer import AlignScorer

    scorer = AlignScorer.load(config.data_dir / "align_scorer.json")
    assert scorer.info["annotated_dialogues"] == 1 and service.videos.align.scorer().info == scorer.info
