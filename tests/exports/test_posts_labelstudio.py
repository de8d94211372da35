"""Post NER tasks: BIO -> Label Studio tasks -> the same BIO (the `exports` command contract), regions that fit
the NER template, word-level posts, images, and `exports validate --task ner`."""
from __future__ import annotations

import json

import pytest

import templates
from exports.bio import parse_bio
from exports.cli import main as exports_main
from exports.labelstudio import LabelStudioFormatError
from exports.labelstudio import post as post_task
from exports.posts import Entity, Post
from tests.conftest import SHARED

DEV = SHARED / "data" / "cmner" / "dev.txt"


@pytest.fixture(scope="module")
def ner_interface():
    from label_studio_sdk.label_interface import LabelInterface

    return LabelInterface(templates.ner_config())


def test_bio_to_tasks_and_back_is_byte_identical(tmp_path, ner_interface):
    assert exports_main(["to-labelstudio", str(DEV), "--task", "ner", "--out", str(tmp_path / "t.json")]) == 0
    tasks = json.loads((tmp_path / "t.json").read_text(encoding="utf-8"))
    assert len(tasks) == 1000 and tasks[0]["data"]["post_id"] and "release" in tasks[0]["data"]
    for t in tasks[:100]:
        assert ner_interface.validate_prediction({"result": t["annotations"][0]["result"]}, return_errors=True) == []
    assert exports_main(["from-labelstudio", str(tmp_path / "t.json"), "--task", "ner", "--out", str(tmp_path / "back.txt")]) == 0
    assert (tmp_path / "back.txt").read_bytes() == DEV.read_bytes()


def test_word_level_posts_and_their_images(tmp_path):
    text = "IMGID:77\nNew\tB-LOC\nYork\tI-LOC\nrocks\tO\n\nIMGID:78\nhi\tO\n"
    (tmp_path / "t.txt").write_text(text)
    images = tmp_path / "img"
    (images / "78").mkdir(parents=True)
    for name in ("77.jpg", "77_2.jpg", "77_10.jpg", "770.jpg", "78/a.png"):
        (images / name).write_bytes(b"\xff\xd8")
    assert exports_main(["to-labelstudio", str(tmp_path / "t.txt"), "--task", "ner", "--out", str(tmp_path / "t.json"),
                         "--image-root", str(images), "--image-url-prefix", "https://img.example/"]) == 0
    tasks = json.loads((tmp_path / "t.json").read_text())
    assert tasks[0]["data"]["text"] == "New York rocks" and tasks[0]["data"]["images"] == [
        "https://img.example/77.jpg", "https://img.example/77_2.jpg", "https://img.example/77_10.jpg"]  # in order; 770.jpg is another post's
    assert tasks[1]["data"]["images"] == ["https://img.example/78/a.png"]
    (region,) = tasks[0]["annotations"][0]["result"]
    assert region["value"] == {"start": 0, "end": 8, "text": "New York", "labels": ["LOC"]}
    assert exports_main(["from-labelstudio", str(tmp_path / "t.json"), "--task", "ner", "--out", str(tmp_path / "back.txt")]) == 0
    assert (tmp_path / "back.txt").read_text() == text


def test_a_region_off_the_tokens_names_task_and_field():
    posts, layout = parse_bio("IMGID:77\nNew\tB-LOC\nYork\tI-LOC\n")
    task = post_task.to_task(posts[0], layout)
    task["id"] = 5
    task["annotations"][0]["result"][0]["value"]["end"] = 6  # inside "York"
    with pytest.raises(LabelStudioFormatError, match=r"^task 5 \(77\): result\[0\].value: offsets 0..6 do not fall on token boundaries"):
        post_task.from_task(task)


def test_validate_names_post_field_and_line(tmp_path, capsys):
    (tmp_path / "p.txt").write_text("WID:a\n王\tB-PER\n一\tI-PER\n\nWID:b\n在\tO\n京\tI-LOC\n\nWID:c\n \tO\n", encoding="utf-8")
    (tmp_path / "img").mkdir()
    (tmp_path / "img" / "a.jpg").write_bytes(b"\xff\xd8")
    assert exports_main(["validate", str(tmp_path / "p.txt"), "--task", "ner", "--image-root", str(tmp_path / "img")]) == 1
    assert capsys.readouterr().out.splitlines() == [
        "b: tags[1]: I-LOC after O: an entity must start with B- (line 7)",
        "b: images: no image under " + str(tmp_path / "img") + " (line 5)",
        "c: tokens: the post has no text (line 9)",
        "c: images: no image under " + str(tmp_path / "img") + " (line 9)",
    ]


def test_the_posts_jsonl_carries_image_paths_and_comes_back(tmp_path):
    (tmp_path / "t.txt").write_text("WID:a\n王\tB-PER\n一\tI-PER\n博\tI-PER\n\nWID:b\n在\tO\n", encoding="utf-8")
    (tmp_path / "img").mkdir()
    (tmp_path / "img" / "a_1.jpg").write_bytes(b"\xff\xd8")
    assert exports_main(["posts", str(tmp_path / "t.txt"), "--out", str(tmp_path / "p.jsonl"), "--image-root", str(tmp_path / "img")]) == 0
    a, b = [json.loads(l) for l in (tmp_path / "p.jsonl").read_text(encoding="utf-8").splitlines()]
    assert a == {"id": "a", "tokens": ["王", "一", "博"], "entities": [[0, 3, "PER"]], "images": [str(tmp_path / "img" / "a_1.jpg")]}
    assert b["images"] == [] and b["entities"] == []
    (tmp_path / "bad.jsonl").write_text((tmp_path / "p.jsonl").read_text(encoding="utf-8") + '{"id": "c", "tokens": ["x"], "entities": [[0, 5, "PER"]]}\n')
    assert exports_main(["posts", str(tmp_path / "bad.jsonl"), "--out", str(tmp_path / "back.txt")]) == 1  # the bad line is reported
    assert (tmp_path / "back.txt").read_text(encoding="utf-8") == "WID:a\n王\tB-PER\n一\tI-PER\n博\tI-PER\n\nWID:b\n在\tO\n\n"



def test_the_post_template_without_images_is_valid_and_recognised():
    """Label Studio's editor does not load a task whose image list is empty: posts without images get a config without
    the images column (the live interactive post test opens such a post)."""
    from label_studio_sdk.label_interface import LabelInterface

    from exports import kinds

    xml = templates.ner_config(images=False)
    assert "Image" not in xml and 'name="entity"' in xml and 'name="text"' in xml
    assert kinds.of_config(xml).name == "ner"
    post = Post("x1", tuple("北京欢迎你"), (Entity(0, 2, "LOC"),))
    task = post_task.to_task(post)
    assert LabelInterface(xml).validate_prediction({"result": task["annotations"][0]["result"]}, return_errors=True) == []
