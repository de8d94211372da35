"""The annotator's day, by hand: gestures in headless Chromium on a real Label Studio with the ML backend
connected and the demo videos pre-annotated; then the release line and what the backend learned.

No API call changes an annotation: the API only sets the project up (as `make demo` does), reads what a
person would see on the screen (which proposed box sits on which face), and reads the results back.
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import time
from dataclasses import replace
from pathlib import Path

import pytest

from exports import coords, labelstudio, release
from ls_backend.demo.dialogues import FRAME, demo_dialogues
from exports.dialogue import Box, Dialogue
from exports.io.media import VideoSource
from ls_backend import demo
from ls_backend.cli import main as ls_main
from ls_backend.infra.config import Config
from ls_backend.jobs.preannotate import preannotate
from ls_backend.workspace.project import create_project
from tests.support.annotator import Annotator
from tests.support.backend import running_backend
from tests.support.browser import browser_page, login

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("labelstudio")]

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs" / "annotator"
NOT_IDENTIFIABLE = "face not identifiable"


@pytest.fixture(scope="module")
def day(ls_server, ls_client, tmp_path_factory):
    """The demo dialogues in a project of their own, the backend connected, the videos pre-annotated."""
    with running_backend(tmp_path_factory.mktemp("day-backend")) as backend:
        media = ls_server.document_root / "day"
        demo.make_videos(media)
        ls_server.wait()
        project = create_project(
            ls_client, title="Annotator's day", dialogues=demo_dialogues(), videos=VideoSource(root=media, document_root=ls_server.document_root),
            ml_backend=backend.url, base_url=ls_server.url,
        )
        assert preannotate(Config.load(data_dir=backend.data_dir), ls_server.url, ls_server.token, project.id) == 0
        tasks = {t.data["doc_key"]: t for t in ls_client.tasks.list(project=project.id, fields="all")}
        yield {"project": project.id, "tasks": tasks, "backend": backend}


def _gold(doc_key: str) -> Dialogue:
    return next(d for d in demo_dialogues() if d.doc_key == doc_key)


def _proposal_on(ls_client, task_id: int, bbox: tuple[float, ...]) -> tuple[tuple[int, ...], int, tuple[float, ...]] | None:
    """The proposed box that sits on a person's face (what the annotator sees on the video): its numbers,
    0-based key frame and pixel box."""
    (pred,) = [p if isinstance(p, dict) else p.dict() for p in ls_client.tasks.get(id=task_id).predictions]
    for r in pred["result"]:
        if r["type"] == "videorectangle":
            key = r["value"]["sequence"][0]
            px = coords.box_to_pixels((key["x"], key["y"], key["width"], key["height"]), FRAME)
            cx, cy = (px[0] + px[2]) / 2, (px[1] + px[3]) / 2
            if bbox[0] <= cx <= bbox[2] and bbox[1] <= cy <= bbox[3]:
                return tuple(int(x[1:]) for x in r["value"]["labels"]), coords.release_frame(key["frame"]), px
    return None


def _open(page, ls_server, day: dict, doc_key: str, text: str) -> tuple[object, Dialogue]:
    """Open a demo task in the editor (as a click in the Data Manager does) and wait until its dialogue
    (``text`` shown) and video are there; returns the task and the demo's intended annotation of it."""
    task = day["tasks"][doc_key]
    page.goto(f"{ls_server.url}/projects/{day['project']}/data?task={task.id}")
    page.wait_for_selector(f".lsf-paragraphs >> text={text}", timeout=90_000)
    page.wait_for_function("() => { const v = document.querySelector('video'); return v && v.readyState >= 2 && !v.error; }", timeout=90_000)
    page.wait_for_timeout(500)
    return task, _gold(doc_key)


def _fix_mentions(a: Annotator, gold: Dialogue) -> list[str]:
    """Make the mentions equal to the intended clusters: relabel what is there, add what is missing,
    delete what is not a mention. Returns the gestures made."""
    want = {}
    for c in gold.clusters:
        numbers = c.numbers if c.label != "none" else ()
        for s in c.spans:
            want[gold.span_text(s)] = (s, numbers)
    done = []
    for text, numbers in a.mentions():
        if text not in want:
            a.delete(text)
            done.append(f"delete {text}")
    for text, (span, numbers) in want.items():
        have = dict(a.mentions())
        if text in have and have[text] != numbers:
            a.renumber(text, numbers)
            done.append(f"renumber {text} {have[text]} -> {numbers}")
        elif text not in have:
            turn, start, end = _turn_offsets(gold, span)
            a.add_mention(turn, start, end, numbers)
            done.append(f"add {text} {numbers}")
    return done


def _redraw_boxes(a: Annotator, gold: Dialogue) -> list[str]:
    """Delete every proposed box, then draw the intended ones on their key frames. Returns the gestures made."""
    done = []
    for numbers in a.boxes():
        a.delete(box_of=numbers)
        done.append(f"delete box {numbers}")
    assert a.boxes() == []
    for box in gold.boxes:
        a.draw_box(box.numbers, coords.ls_frame(box.frame), box.bbox, FRAME)
        done.append(f"draw box {box.numbers} at {box.frame}")
    return done


def _turn_offsets(d: Dialogue, span: tuple[int, int]) -> tuple[int, int, int]:
    offset = 0
    for ti, turn in enumerate(d.turns):
        if span[0] < offset + len(turn.tokens):
            return ti, span[0] - offset, span[1] - offset
        offset += len(turn.tokens)
    raise ValueError(span)


def test_an_annotators_day(day, ls_server, ls_client, tmp_path):
    """Four demo tasks corrected the way the guidelines teach, every gesture by mouse and keyboard."""
    shots = REPO / "out" / "screenshots" / "annotator"
    shutil.rmtree(shots, ignore_errors=True)
    intended: dict[str, Dialogue] = {}
    gestures: list[str] = []
    with browser_page() as (page, errors):
        login(page, ls_server.url, ls_server.username, ls_server.password)
        a = Annotator(page, shots)

        # 1. 唐九洲: the nickname the model missed joins the existing cluster; the box came linked and named
        task, gold = _open(page, ls_server, day, "900000000000000006", "九洲哥哥笑起来好甜")
        a.screenshot("open-a-pre-annotated-task")
        assert ("唐九洲", (1,)) in a.mentions() and "九洲哥哥" not in dict(a.mentions())
        assert a.boxes() == [(1,)], a.regions()
        gestures += _fix_mentions(a, gold)
        assert "add 九洲哥哥 (1,)" in gestures
        a.screenshot("add-a-missed-mention-to-its-cluster")
        assert a.shown_name((1,)) == "唐九洲"  # the box came with the name the #hashtag and the mention give
        a.submit()
        proposal = _proposal_on(ls_client, task.id, gold.boxes[0].bbox)
        assert proposal is not None and proposal[0] == (1,), proposal
        intended[gold.doc_key] = replace(gold, boxes=(Box("C1", proposal[1], proposal[2], "唐九洲"),))

        # 2. 林一舟: three clusters merged into one, the nested 他妈妈, proposals deleted, two boxes drawn, a name typed
        task, gold = _open(page, ls_server, day, "900000000000000001", "他妈妈在台下也一直在擦眼泪")
        before = a.mentions()
        gestures += _fix_mentions(a, gold)
        assert dict(a.mentions()) == {"林一舟": (1,), "自己": (1,), "他": (1,), "他妈妈": (2,)}, before
        a.screenshot("merge-clusters-and-add-a-nested-mention")
        gestures += _redraw_boxes(a, gold)
        a.screenshot("draw-a-head-box-on-a-key-frame")
        a.type_name((1,), "林一舟")
        a.select(None, (1,))  # the name shows under the dialogue while the box is selected
        a.screenshot("type-a-celebrity-name")
        a.deselect()
        a.submit()
        intended[gold.doc_key] = gold

        # 3. 他俩: the group mention takes both numbers; the proposal (one box over both overlapping faces)
        #    is deleted, the man's box and the group's box drawn (the group box with two numbers)
        task, gold = _open(page, ls_server, day, "900000000000000002", "他俩以后肯定会很幸福")
        gestures += _fix_mentions(a, gold)
        assert dict(a.mentions())["他俩"] == (1, 2)
        gestures += _redraw_boxes(a, gold)
        assert sorted(a.boxes()) == [(1,), (1, 2)], a.regions()
        a.screenshot("a-group-mention-and-its-box")
        a.submit()
        intended[gold.doc_key] = gold

        # 4. 周小雨 … 她: the split cluster merged; 陈默's face is not identifiable (no box); the proposal on
        #    周小雨's face renumbered and named, the other one deleted
        task, gold = _open(page, ls_server, day, "900000000000000004", "她一笑谁顶得住啊")
        gestures += _fix_mentions(a, gold)
        a.tick("陈默", NOT_IDENTIFIABLE)
        gestures.append("flag 陈默")
        zhou = next(b for b in gold.boxes if b.label == "C1")
        proposal = _proposal_on(ls_client, task.id, zhou.bbox)
        assert proposal is not None, "no proposed box on 周小雨's face"
        on_zhou = proposal[0]
        others = [n for n in a.boxes() if n != on_zhou]
        for numbers in others:
            a.delete(box_of=numbers)
            gestures.append(f"delete box {numbers}")
        if on_zhou != (1,):
            a.renumber(None, (1,), box_of=on_zhou)
            gestures.append(f"renumber box {on_zhou} -> (1,)")
        if a.shown_name((1,)) != "周小雨":
            a.type_name((1,), "周小雨")
        a.select("陈默")
        a.screenshot("flag-a-face-not-identifiable")
        a.deselect()
        a.submit()
        chen = gold.clusters[1]
        intended[gold.doc_key] = replace(gold, clusters=(gold.clusters[0], replace(chen, label="none", face_unidentifiable=True)),
                                         boxes=(Box("C1", proposal[1], proposal[2], "周小雨"),))
        assert errors == [], f"page errors: {errors}"

    assert any(g.startswith("renumber 她") for g in gestures) and any(g.startswith("renumber 自己") for g in gestures)
    # mentions the model missed were added (九洲哥哥), proposed boxes nobody needs deleted
    assert any(g.startswith("add ") for g in gestures) and any(g.startswith("delete box") for g in gestures)

    # what was submitted, through the API and the README's command
    export = tmp_path / "export.json"
    export.write_text(json.dumps(json.loads(b"".join(ls_client.projects.exports.download_sync(
        id=day["project"], export_type="JSON", download_all_tasks=True))), ensure_ascii=False), encoding="utf-8")
    from exports.cli import main as exports_main

    with contextlib.redirect_stderr(io.StringIO()):
        assert exports_main(["from-labelstudio", str(export), "--out", str(tmp_path / "day.jsonl")]) == 0
    lines = (tmp_path / "day.jsonl").read_text(encoding="utf-8").splitlines()
    got = {d.doc_key: d for d in map(release.loads, lines)}
    assert set(got) == set(intended)
    by_key = {t["data"]["doc_key"]: t for t in json.loads(export.read_text(encoding="utf-8"))}
    for line in lines:
        have = release.loads(line)
        want = intended[have.doc_key]
        # drawn boxes: the key frame exactly, the corners within 2 % of the frame of where the head is
        assert [(b.label, b.frame, b.celebrity) for b in have.boxes] == [(b.label, b.frame, b.celebrity) for b in want.boxes], have.doc_key
        for hb, wb in zip(have.boxes, want.boxes):
            assert max(abs(h - w) for h, w in zip(hb.bbox, wb.bbox)) <= 0.02 * FRAME[1], (have.doc_key, hb.bbox, wb.bbox)
        # then the release line is exactly the intended annotation (with the boxes where they were drawn)
        drawn = tuple(replace(wb, bbox=hb.bbox, frame_path=hb.frame_path, region_path=hb.region_path) for hb, wb in zip(have.boxes, want.boxes))
        # mentions within a cluster come in the order the annotator gave them their number (the release keeps
        # the order it was given, 24 of its 1,296 clusters are not sorted); the intended clusters take that order
        order = {span: i for c in have.clusters for i, span in enumerate(c.spans)}
        want = replace(want, clusters=tuple(replace(c, spans=tuple(sorted(c.spans, key=lambda sp: order.get(sp, -1)))) for c in want.clusters))
        assert line == release.to_line(replace(want, boxes=drawn)), have.doc_key
        # the flags live in the Label Studio annotation (the release format has no field for them)
        flagged = labelstudio.from_task(by_key[have.doc_key])
        assert [(c.spans, c.face_unidentifiable, c.not_in_video) for c in flagged.clusters] == \
               [(c.spans, c.face_unidentifiable, c.not_in_video) for c in want.clusters], have.doc_key
    for doc_key in intended:
        # every drawn box lives on its key frame only (interpolation off)
        (ann,) = ls_client.tasks.get(id=day["tasks"][doc_key].id).annotations
        for r in ann["result"]:
            if r["type"] == "videorectangle":
                assert [k["enabled"] for k in r["value"]["sequence"]] == [False], (doc_key, r["value"]["sequence"])
            assert r["from_name"] != "comment", "a proposal's note became the annotator's comment"

    # the backend learned from all four: the next training run counts them, nothing was left out
    backend = day["backend"]
    deadline = time.monotonic() + 240

    def learned(m: dict) -> bool:
        last = m["training_runs"][-1] if m["training_runs"] else {}
        return m["annotations"] == 4 and not m["training"] and last.get("status") == "done" and last.get("annotations") == 4 \
            and m["model_version"] == last.get("version")

    while not learned(m := backend.metrics()) and time.monotonic() < deadline:
        time.sleep(2)
    assert learned(m), m
    assert m["model_version"].endswith("-a4") and m["left_out_of_training"] == [], m["left_out_of_training"]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):  # what the project lead reads
        assert ls_main(["status", "--backend", backend.url]) == 0
    assert f"model version   {m['model_version']}" in out.getvalue() and "4 received; 0 not fully used for training" in out.getvalue()

    if os.environ.get("MCR_UPDATE_DOCS"):
        DOCS.mkdir(parents=True, exist_ok=True)
        for old in DOCS.glob("*.png"):
            old.unlink()
        for shot in sorted(shots.glob("*.png")):
            shutil.copyfile(shot, DOCS / shot.name)
