from __future__ import annotations

import json
import random

import pytest

from agreement.cli import main as agreement_main
from agreement.visual import cohen_kappa, iou
from exports.names import name_key
from exports import labelstudio, release
from tests.support.browser import browser_page
from tests.support.perturb import perturb


@pytest.fixture(scope="module")
def two_annotators(tmp_path_factory, release_lines):
    d = tmp_path_factory.mktemp("annotators")
    rng = random.Random(7)
    (d / "zhang.jsonl").write_text("\n".join(release_lines) + "\n", encoding="utf-8")
    (d / "li.jsonl").write_text("\n".join(release.to_line(perturb(release.loads(l), rng)) for l in release_lines) + "\n", encoding="utf-8")
    return d


def test_report_json_html_and_table(two_annotators, tmp_path, capsys):
    rc = agreement_main(["report", str(two_annotators / "zhang.jsonl"), str(two_annotators / "li.jsonl"),
                         "--json", str(tmp_path / "r.json"), "--html", str(tmp_path / "r.html")])
    out = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert out["annotators"] == ["zhang", "li"] and out["documents"] == 911
    (pair,) = out["pairs"]
    assert (pair["a"], pair["b"], pair["documents"]) == ("zhang", "li", 911)
    assert set(pair["metrics"]) == {"muc", "bcub", "ceafe", "ceafm", "lea", "blanc", "mentions", "conll"}
    assert set(pair["metrics"]["muc"]) >= {"recall", "precision", "f1", "r_num", "r_den", "p_num", "p_den"}
    assert 0.5 < pair["metrics"]["conll"]["f1"] < 1.0  # perturbed, not destroyed
    assert pair["metrics"]["mentions"]["recall"] > pair["metrics"]["mentions"]["precision"]  # li adds mentions
    assert len(pair["worst"]) == 10 and len(pair["muc_f1_per_dialogue"]) == 911
    v = pair["visual"]
    assert v["both_boxed"] > 700 and 0 < v["same_key_frame_rate"] < 1 and 0.8 < v["iou_mean"] < 1
    # the perturbation creates crossing spans in one dialogue: reported with the dialogue, not a traceback
    assert rc == 1 and any("crossing spans in one li cluster" in p for p in out["problems"])
    table = capsys.readouterr().out
    assert "zhang ~ li: 911 dialogues scored (zhang as key)" in table and "CoNLL F1" in table
    with browser_page(1300, 1800) as (page, errors):
        page.goto((tmp_path / "r.html").as_uri())
        assert page.get_by_text("zhang ~ li (911 dialogues)").count() == 1
        assert page.locator("svg[aria-label='per-dialogue MUC F1'] rect").count() == 10
        assert page.locator(".pair").count() == 10  # the least-agreeing dialogues side by side
        page.screenshot(path=str(tmp_path / "report.png"))
        assert errors == []


def test_identical_annotations_agree_fully(two_annotators, tmp_path):
    same = tmp_path / "copy.jsonl"
    same.write_text((two_annotators / "zhang.jsonl").read_text(encoding="utf-8"), encoding="utf-8")
    assert agreement_main(["report", str(two_annotators / "zhang.jsonl"), str(same), "--json", str(tmp_path / "r.json")]) == 0
    m = json.loads((tmp_path / "r.json").read_text())["pairs"][0]["metrics"]
    assert all(m[k]["f1"] == pytest.approx(1.0) for k in ("muc", "bcub", "ceafe", "ceafm", "lea", "blanc", "mentions"))


def test_bad_input_is_reported_never_a_traceback(tmp_path, release_lines, capsys):
    a = [json.loads(l) for l in release_lines[:4]]
    b = [json.loads(l) for l in release_lines[1:5]]  # doc 0 only in a, doc 4 only in b
    b[1]["sentences"][0][0] = "X"  # the text of doc 2 differs
    (tmp_path / "wang.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in a + [a[1]]) + "\n{oops\n", encoding="utf-8")
    (tmp_path / "zhao.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in b) + "\n", encoding="utf-8")
    rc = agreement_main(["report", str(tmp_path / "wang.jsonl"), str(tmp_path / "zhao.jsonl"), "--json", str(tmp_path / "r.json")])
    assert rc == 1
    problems = json.loads((tmp_path / "r.json").read_text())["problems"]
    k = [r["doc_key"] for r in a]
    assert problems == [
        f"{tmp_path / 'wang.jsonl'}:5: {k[1]}: doc_key: wang annotated it twice; the first is used",
        f"{tmp_path / 'wang.jsonl'}:6: ?: json: malformed JSON: Expecting property name enclosed in double quotes at column 2",
        "wang ~ zhao: 1 doc_key(s) only in wang, 1 only in zhao; scored on the 3 in both",
        f"wang ~ zhao: {k[2]}: sentences: the dialogue text differs between the annotators; skipped",
    ]
    assert json.loads((tmp_path / "r.json").read_text())["pairs"][0]["documents"] == 2


def test_a_box_pointing_at_no_cluster_costs_the_box_not_the_dialogue(tmp_path, release_lines):
    lines = [json.loads(l) for l in release_lines if '"visual_annotations": []' not in l][:3]
    broken = json.loads(json.dumps(lines))
    broken[1]["visual_annotations"][0]["box_labels"] = "C19"  # no cluster has that label
    (tmp_path / "a.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in lines) + "\n", encoding="utf-8")
    (tmp_path / "b.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in broken) + "\n", encoding="utf-8")
    rc = agreement_main(["report", str(tmp_path / "a.jsonl"), str(tmp_path / "b.jsonl"), "--json", str(tmp_path / "r.json")])
    out = json.loads((tmp_path / "r.json").read_text())
    assert rc == 1 and out["pairs"][0]["documents"] == 3  # its text is scored
    assert out["pairs"][0]["metrics"]["bcub"]["f1"] == pytest.approx(1.0) and out["pairs"][0]["metrics"]["mentions"]["f1"] == pytest.approx(1.0)
    (problem,) = out["problems"]
    assert problem.startswith(f"{tmp_path / 'b.jsonl'}:2: {lines[1]['doc_key']}: visual_annotations[0].box_labels: 'C19' is not the label of any cluster")
    assert problem.endswith("the box is left out, the rest of the dialogue is read")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["report"], "give either release files, or --labelstudio EXPORT.json, or --url/--api-key/--project"),
        (["report", "/nonexistent/a.jsonl", "/nonexistent/b.jsonl"], "/nonexistent/a.jsonl: no such file"),
        (["report", "--project", "3"], "--project needs --url and --api-key"),
    ],
)
def test_unusable_input_exits_2(argv, message, caplog, monkeypatch):
    monkeypatch.delenv("LABEL_STUDIO_URL", raising=False)
    monkeypatch.delenv("LABEL_STUDIO_API_KEY", raising=False)
    assert agreement_main(argv) == 2
    assert message in caplog.text


def test_one_annotator_only(tmp_path, release_lines):
    (tmp_path / "solo.jsonl").write_text(release_lines[0] + "\n", encoding="utf-8")
    assert agreement_main(["report", str(tmp_path / "solo.jsonl"), "--json", str(tmp_path / "r.json")]) == 2
    assert json.loads((tmp_path / "r.json").read_text())["problems"] == ["agreement needs two or more annotators, found 1: ['solo']"]


def _two_annotation_tasks(release_lines, n, user_b):
    rng = random.Random(3)
    tasks = []
    for i, line in enumerate(release_lines[:n]):
        d = release.loads(line)
        task = labelstudio.to_task(d)
        ann = task["annotations"][0]
        other = labelstudio.to_task(perturb(d, rng))["annotations"][0]
        task["annotations"] = [dict(ann, completed_by=1), dict(other, completed_by=user_b)]
        tasks.append(task)
    return tasks


def test_labelstudio_export(tmp_path, release_lines):
    tasks = _two_annotation_tasks(release_lines, 20, {"id": 2, "email": "li.na@example.org"})
    for i, t in enumerate(tasks):
        t["id"] = i + 1
    (tmp_path / "export.json").write_text(json.dumps(tasks, ensure_ascii=False), encoding="utf-8")
    agreement_main(["report", "--labelstudio", str(tmp_path / "export.json"), "--json", str(tmp_path / "r.json")])
    out = json.loads((tmp_path / "r.json").read_text())
    assert out["annotators"] == ["user1", "li.na@example.org"] and out["pairs"][0]["documents"] == 20


@pytest.mark.slow
@pytest.mark.xdist_group("labelstudio")
def test_live_project(ls_server, ls_client, release_lines, tmp_path):
    import templates

    user = ls_client.users.create(username="wang.fang", email="wang.fang@example.org")
    project = ls_client.projects.create(title="double annotation", label_config=templates.labeling_config())
    ls_client.projects.import_tasks(id=project.id, request=_two_annotation_tasks(release_lines, 15, user.id))
    rc = agreement_main(["report", "--url", ls_server.url, "--api-key", ls_server.token, "--project", str(project.id),
                         "--json", str(tmp_path / "r.json")])
    out = json.loads((tmp_path / "r.json").read_text())
    assert rc in (0, 1)  # 1 when the perturbation left a reported problem
    assert out["annotators"] == ["user1", f"user{user.id}"]  # Label Studio's export names annotators by user id
    assert out["pairs"][0]["documents"] == 15 and 0 < out["pairs"][0]["metrics"]["conll"]["f1"] < 1


def test_visual_helpers():
    assert iou((0, 0, 10, 10), (5, 0, 15, 10)) == pytest.approx(50 / 150)
    assert iou((0, 0, 10, 10), (20, 20, 30, 30)) == 0.0
    assert name_key(" 王 一博！") == name_key("王一博") and name_key("Jay Chou") == "jaychou"
    assert cohen_kappa([(True, True), (False, False), (True, False), (False, False)]) == pytest.approx(0.5)
    assert cohen_kappa([(False, False)] * 3) is None  # chance agreement 1: undefined
