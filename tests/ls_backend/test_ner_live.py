"""A post NER project on a real Label Studio 1.23.2 with the backend connected: created from a BIO file with its
images, pre-annotated by the backend, three annotators per post, annotations exported back to the same BIO."""
from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pytest

from exports.bio import format_bio, read_bio
from exports.cli import main as exports_main
from exports.labelstudio import post as post_task
from exports.posts import Post
from ls_backend.cli import main as ls_main
from tests.conftest import REPO, SHARED
from tests.support.backend import running_backend
from tests.support.browser import browser_page, login

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("labelstudio")]
SHOT = REPO / "out" / "screenshots" / "ner-post.png"  # docs/annotator/ner-post.png is a looked-at copy


def _images(root: Path, posts: list[Post]) -> None:
    """Post images rendered from the pictures scikit-image ships (posts 0-2: 2, 1 and 3 images)."""
    from PIL import Image
    from skimage import data

    pictures = [data.astronaut(), data.coffee(), data.chelsea(), data.rocket(), data.hubble_deep_field(), data.immunohistochemistry()]
    root.mkdir(parents=True, exist_ok=True)
    k = 0
    for post, n in zip(posts, (2, 1, 3)):
        for i in range(n):
            Image.fromarray(pictures[k % len(pictures)]).convert("RGB").resize((320, 240)).save(root / f"{post.id}_{i + 1}.jpg")
            k += 1


def test_a_post_ner_project_end_to_end(ls_server, ls_client, tmp_path):
    gold, layout = read_bio(SHARED / "data" / "cmner" / "dev.txt")
    gold = gold[:12]
    bare = tmp_path / "posts.txt"
    bare.write_bytes(format_bio([Post(p.id, p.tokens) for p in gold], layout).encode("utf-8"))
    images = ls_server.document_root / "post-images"
    _images(images, gold)
    ls_server.wait()
    with running_backend(tmp_path / "backend", debounce=3600.0) as backend:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            rc = ls_main(["project", "create", "--task", "ner", "--url", ls_server.url, "--api-key", ls_server.token, "--title", "CMNER posts",
                          "--from", str(bare), "--image-root", str(images), "--ml-backend", backend.url])
        assert rc == 0
        project_id = int(out.getvalue().strip().splitlines()[-1])
        project = ls_client.projects.get(id=project_id)
        assert project.maximum_annotations == 3 and "PER" in project.label_config
        tasks = list(ls_client.tasks.list(project=project_id, fields="all"))
        assert len(tasks) == 12
        by_post = {t.data["post_id"]: t for t in tasks}
        assert len(by_post[gold[0].id].data["images"]) == 2 and len(by_post[gold[2].id].data["images"]) == 3
        shown = [p if isinstance(p, dict) else p.dict() for t in tasks for p in t.predictions]
        assert len(shown) == 12 and all(p["model_version"].startswith("ner-") for p in shown)  # pre-annotated by the backend
        assert sum(len(p["result"]) for p in shown) > 0

        for post in gold[:4]:  # an annotator submits the gold entities of four posts
            ls_client.annotations.create(id=by_post[post.id].id, result=post_task.to_result(post), was_cancelled=False)
        export = [t if isinstance(t, dict) else t.dict() for t in ls_client.tasks.list(project=project_id, fields="all")]
        (tmp_path / "export.json").write_text(json.dumps(export, ensure_ascii=False, default=str), encoding="utf-8")
        assert exports_main(["from-labelstudio", str(tmp_path / "export.json"), "--task", "ner", "--out", str(tmp_path / "back.txt")]) == 0
        back, _ = read_bio(tmp_path / "back.txt")
        assert [(p.id, p.entities) for p in back] == [(p.id, p.entities) for p in gold[:4]]
        assert backend.metrics()["annotations"] == 4  # the webhook stored them too

        with browser_page() as (page, errors):  # what the annotator sees: the text, its entities, the images
            login(page, ls_server.url, ls_server.username, ls_server.password)
            page.goto(f"{ls_server.url}/projects/{project_id}/data?task={by_post[gold[0].id].id}")
            page.wait_for_selector("text=PER", timeout=90_000)
            page.wait_for_timeout(2500)
            SHOT.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SHOT))
            assert page.locator("img").count() >= 2


def test_three_annotators_to_gold_bio_through_the_expert(ls_server, ls_client, tmp_path):
    """adjudicate --task ner on a real Label Studio: unanimous posts are gold at once, the others go to a review project;
    the expert's decisions come back through `agreement gold --task ner` as the same BIO bytes."""
    from agreement.cli import main as agreement_main
    from agreement.state import State

    posts, layout = read_bio(SHARED / "data" / "cmner" / "dev.txt")
    posts = posts[40:60]
    per_less = [Post(p.id, p.tokens, tuple(e for e in p.entities if e.type != "PER")) for p in posts]
    for name, version in (("zhang", posts), ("li", posts), ("wang", per_less)):
        (tmp_path / f"{name}.txt").write_bytes(format_bio(version, layout).encode("utf-8"))
    files = [str(tmp_path / f"{n}.txt") for n in ("zhang", "li", "wang")]
    state = tmp_path / "state"
    ls_server.wait()
    creds = ["--url", ls_server.url, "--api-key", ls_server.token]
    assert agreement_main(["adjudicate", "--task", "ner", *files, "--state", str(state), *creds]) == 0
    review = [i for i in State(state).items() if i.status == "review"]
    with_per = [p for p in posts if any(e.type == "PER" for e in p.entities)]
    assert [i.doc_key for i in review] == [p.id for p in with_per] and review
    project = ls_client.projects.get(id=review[0].review_project)
    assert "Conflicts to decide" in project.label_config
    by_id = {p.id: p for p in posts}
    for item in review:  # the expert keeps the PER entities wang missed
        task = ls_client.tasks.get(id=item.review_task)
        assert len(task.predictions) == 4 and "not by wang" in task.data["conflicts"]
        ls_client.annotations.create(id=item.review_task, result=post_task.to_result(by_id[item.doc_key]), was_cancelled=False)
    assert agreement_main(["gold", "--task", "ner", "--state", str(state), "--out", str(tmp_path / "gold.txt"), *creds]) == 0
    assert (tmp_path / "gold.txt").read_bytes() == (tmp_path / "zhang.txt").read_bytes()
