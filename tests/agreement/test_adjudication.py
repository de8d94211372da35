"""Double annotation and adjudication on a real Label Studio: from two annotators to gold."""
from __future__ import annotations

import json
import random
import urllib.request
from dataclasses import replace

import pytest

from agreement.adjudicate import adjudicate
from agreement.cli import main as agreement_main
from agreement.state import State
from exports import labelstudio, release
from exports.io.media import VideoSource
from ls_backend.workspace.project import create_project
from tests.support.labelstudio import videos_for
from tests.support.perturb import perturb

N = 30


def _post_annotation(server, task_id: int, result: list, user_id: int) -> int:
    req = urllib.request.Request(f"{server.url}/api/tasks/{task_id}/annotations/",
                                 data=json.dumps({"result": result, "completed_by": user_id}).encode(),
                                 headers={"Authorization": f"Token {server.token}", "Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read())["id"]


def test_adjudication_unit_cases(release_lines):
    a = release.loads(release_lines[1])  # 这个男生(C1, boxed 吴永恩) / 她(C2, boxed 王子文) / 儿子(none)
    assert not adjudicate(a, a).needs_expert
    moved = replace(a, boxes=(replace(a.boxes[0], frame=a.boxes[0].frame + 5), a.boxes[1]))
    renamed = replace(a, boxes=(a.boxes[0], replace(a.boxes[1], celebrity="王子")))
    merged = replace(a, clusters=(replace(a.clusters[0], spans=a.clusters[0].spans + a.clusters[2].spans), a.clusters[1]))
    assert [c.kind for c in adjudicate(a, moved).conflicts] == ["key_frame"]
    assert [c.kind for c in adjudicate(a, renamed).conflicts] == ["name"]
    assert [c.kind for c in adjudicate(a, merged).conflicts] == ["split_merge", "split_merge"]
    with pytest.raises(ValueError, match="different dialogue texts"):
        adjudicate(a, release.loads(release_lines[2]))


@pytest.mark.slow
@pytest.mark.xdist_group("labelstudio")
def test_campaign_on_label_studio(ls_server, ls_client, release_lines, tmp_path, capsys):
    dialogues = [release.loads(l) for l in release_lines[:N]]
    videos_for(dialogues, ls_server.document_root / "videos")
    zhang = ls_client.users.create(username="zhang.wei", email="zhang.wei@example.org")
    li = ls_client.users.create(username="li.na2", email="li.na2@example.org")
    expert = ls_client.users.create(username="expert", email="expert@example.org")
    source = VideoSource(root=ls_server.document_root / "videos", document_root=ls_server.document_root)
    project = create_project(ls_client, title="double annotation e2e", dialogues=dialogues, videos=source)
    tasks = sorted(ls_client.tasks.list(project=project.id, fields="all"), key=lambda t: t.id)
    rng = random.Random(11)
    li_annotations = []
    for task, d in zip(tasks, dialogues):
        shown, _ = source.attach(d)  # what the annotators see: boxes on the real videos
        _post_annotation(ls_server, task.id, labelstudio.to_result(shown), zhang.id)
        li_annotations.append(_post_annotation(ls_server, task.id, labelstudio.to_result(perturb(shown, rng)), li.id))
    state = tmp_path / "state"
    args = ["adjudicate", "--project", str(project.id), "--url", ls_server.url, "--api-key", ls_server.token,
            "--state", str(state), "--annotators", f"user{zhang.id},user{li.id}", "--review-title", "e2e review"]
    agreement_main(args)
    items = State(state).items()
    assert len(items) == N
    in_review = [i for i in items if i.status == "review"]
    assert 0 < len(in_review) < N and all(i.review_task for i in in_review)
    kinds = {c["kind"] for i in in_review for c in i.conflicts}
    assert {"missing_mention", "key_frame"} <= kinds

    # re-running is idempotent: no new review task, nothing re-decided
    review_id = in_review[0].review_project
    before = len(list(ls_client.tasks.list(project=review_id)))
    capsys.readouterr()
    assert agreement_main(args) == 0
    assert f"0 dialogue(s) gold directly, 0 sent to review, {N} already adjudicated" in capsys.readouterr().out
    assert len(list(ls_client.tasks.list(project=review_id))) == before

    # the expert resolves every conflict through the API in favour of the real annotation
    by_key = {d.doc_key: d for d in dialogues}
    for item in in_review:
        review_task = ls_client.tasks.get(id=item.review_task)
        assert review_task.data["conflicts"]  # the expert sees the conflicts
        real = labelstudio.from_task({"data": review_task.data}, [])  # the task's media facts
        truth = replace(by_key[item.doc_key], fps=real.fps, frame_size=real.frame_size, frame_count=real.frame_count)
        _post_annotation(ls_server, review_task.id, labelstudio.to_result(truth), expert.id)
    gold = tmp_path / "gold.jsonl"
    rc = agreement_main(["gold", "--state", str(state), "--out", str(gold), "--url", ls_server.url, "--api-key", ls_server.token,
                         "--report", str(tmp_path / "report.json")])
    assert rc == 0
    assert gold.read_text(encoding="utf-8").splitlines() == release_lines[:N]  # byte for byte
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["counts"] == {"auto": N - len(in_review), "expert": len(in_review), "pending": 0, "changed": 0}
    experts = [d for d in report["decisions"] if d["kind"] == "expert"]
    assert len(experts) == len(in_review) and {d["by"] for d in experts} == {"expert@example.org"}

    # an annotation changed after adjudication is flagged, not overwritten; every input stays retrievable
    req = urllib.request.Request(f"{ls_server.url}/api/annotations/{li_annotations[0]}/", data=json.dumps({"result": []}).encode(),
                                 headers={"Authorization": f"Token {ls_server.token}", "Content-Type": "application/json"}, method="PATCH")
    urllib.request.urlopen(req, timeout=30).read()
    capsys.readouterr()
    assert agreement_main(args) == 1
    out = capsys.readouterr().out
    assert f"{dialogues[0].doc_key}: an annotation changed after adjudication" in out and "1 changed since" in out
    assert State(state).item(dialogues[0].doc_key).status == "changed"
    assert agreement_main(["gold", "--state", str(state), "--out", str(gold), "--url", ls_server.url, "--api-key", ls_server.token]) == 1
    assert gold.read_text(encoding="utf-8").splitlines() == release_lines[1:N]  # the changed dialogue waits
    assert [d.kind for d in State(state).decisions(dialogues[0].doc_key)][-1] == "changed"
    assert len(list(ls_client.tasks.list(project=project.id))) == N


def test_wrong_annotator_counts_and_unknown_users(tmp_path, release_lines, capsys):
    tasks = []
    for i, line in enumerate(release_lines[:3]):
        t = labelstudio.to_task(release.loads(line))
        ann = t["annotations"][0]
        t["id"] = i + 1
        t["annotations"] = [dict(ann, id=10 * i + 1, completed_by=1), dict(ann, id=10 * i + 2, completed_by=2)][: 2 if i != 1 else 1]
        if i == 2:
            t["annotations"].append(dict(ann, id=99, completed_by=7))
        tasks.append(t)
    export = tmp_path / "export.json"
    export.write_text(json.dumps(tasks, ensure_ascii=False), encoding="utf-8")
    rc = agreement_main(["adjudicate", "--labelstudio", str(export), "--state", str(tmp_path / "s"), "--annotators", "user1,user2"])
    out = capsys.readouterr().out
    keys = [json.loads(l)["doc_key"] for l in release_lines[:3]]
    assert rc == 1
    assert "2 dialogue(s) gold directly, 0 sent to review" in out
    assert f"{keys[1]}: 1 annotation(s) [user1 (annotation 11)]; adjudication needs two by different annotators; skipped" in out
    assert f"{keys[2]}: annotation by user7 (annotation 99), who is not one of user1, user2; left out of adjudication" in out
