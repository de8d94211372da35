"""The annotation workspace on a real Label Studio 1.23.2 server (started by the tests on loopback)."""
from __future__ import annotations

import json

import pytest

import templates
from exports.cli import main as exports_main
from ls_backend.cli import main as ls_main
from tests.ls_backend.conftest import N_DIALOGUES

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("labelstudio")]



def _export(client, project_id: int) -> list[dict]:
    data = b"".join(client.projects.exports.download_sync(id=project_id, export_type="JSON", download_all_tasks=True))
    return json.loads(data)


def test_export_converts_back_byte_identical(ls_client, project_50):
    tasks = _export(ls_client, project_50["id"])
    assert len(tasks) == N_DIALOGUES
    export = project_50["tmp"] / "export.json"
    export.write_text(json.dumps(tasks, ensure_ascii=False), encoding="utf-8")
    back = project_50["tmp"] / "back.jsonl"
    assert exports_main(["from-labelstudio", str(export), "--out", str(back)]) == 0
    assert back.read_bytes() == project_50["source"].read_bytes()
    # the boxes were real regions on real videos (not carried in data.release)
    n_boxes = sum(len(d.boxes) for d in project_50["dialogues"])
    regions = [r for t in tasks for r in t["annotations"][0]["result"] if r["type"] == "videorectangle"]
    assert len(regions) == n_boxes > 0
    assert all(t["data"]["fps"] == 30.0 and t["data"]["frame_width"] in (720, 1280) for t in tasks)
    assert all(t["data"]["video"].startswith("/data/local-files/?d=videos/") for t in tasks)


def test_project_settings(ls_client, project_50):
    project = ls_client.projects.get(id=project_50["id"])
    assert project.label_config.strip() == templates.labeling_config().strip()
    assert project.maximum_annotations == 2
    assert project.show_instruction is True
    assert "标注规范" in project.expert_instruction and "annotation guidelines" in project.expert_instruction
    # the Data Manager's tab shows the dialogue as a line of text, not the JSON of its turns
    (view,) = [v for v in ls_client.views.list(project=project_50["id"])]
    data = view.data if isinstance(view.data, dict) else view.data.dict()
    assert data["title"] == "Dialogues" and "tasks:data.dialogue" in data["hiddenColumns"]["explore"]
    task = next(iter(ls_client.tasks.list(project=project_50["id"], page_size=1)))
    turns = task.data["dialogue"]
    assert task.data["preview"] == f"{turns[0]['speaker']}：{turns[0]['text']} ｜ {turns[1]['speaker']}：{turns[1]['text']}"


def test_video_is_served_by_label_studio(ls_server, ls_client, project_50):
    import urllib.request

    task = next(iter(ls_client.tasks.list(project=project_50["id"])))
    req = urllib.request.Request(ls_server.url + task.data["video"], headers={"Authorization": f"Token {ls_server.token}"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        assert resp.status == 200
        assert resp.read(12)[4:8] == b"ftyp"  # an MP4 file


def _count_projects(client) -> int:
    return len(list(client.projects.list()))


def test_invalid_file_creates_nothing(ls_server, ls_client, tmp_path, release_lines, caplog):
    before = _count_projects(ls_client)
    bad = tmp_path / "bad.jsonl"
    bad.write_text(release_lines[0] + "\n{oops\n", encoding="utf-8")
    rc = ls_main(["project", "create", "--url", ls_server.url, "--api-key", ls_server.token, "--title", "bad", "--from", str(bad)])
    assert rc == 2
    assert f"{bad}:2: ?: json: malformed JSON" in caplog.text
    assert "1 invalid line(s)" in caplog.text and "nothing was created" in caplog.text
    assert _count_projects(ls_client) == before


def test_bad_key_and_server_down(ls_server, tmp_path, release_lines, caplog):
    src = tmp_path / "one.jsonl"
    src.write_text(release_lines[0] + "\n", encoding="utf-8")
    rc = ls_main(["project", "create", "--url", ls_server.url, "--api-key", "0" * 40, "--title", "x", "--from", str(src)])
    assert rc == 2 and "the API key was refused (401)" in caplog.text
    from ls_backend.workspace.server import free_port

    down = f"http://127.0.0.1:{free_port()}"
    rc = ls_main(["project", "create", "--url", down, "--api-key", ls_server.token, "--title", "x", "--from", str(src)])
    assert rc == 2 and f"Label Studio at {down}: cannot connect to Label Studio" in caplog.text


def test_video_root_outside_document_root(ls_server, ls_client, tmp_path, release_lines, caplog):
    before = _count_projects(ls_client)
    src = tmp_path / "one.jsonl"
    src.write_text(release_lines[0] + "\n", encoding="utf-8")
    rc = ls_main(["project", "create", "--url", ls_server.url, "--api-key", ls_server.token, "--title", "x", "--from", str(src),
                  "--video-root", str(tmp_path), "--document-root", str(ls_server.document_root)])
    assert rc == 2 and "is not under the document root" in caplog.text
    assert _count_projects(ls_client) == before


def test_unreachable_ml_backend_keeps_the_project(ls_server, ls_client, tmp_path, release_lines, caplog, capsys):
    from ls_backend.workspace.server import free_port

    src = tmp_path / "one.jsonl"
    src.write_text(release_lines[0] + "\n", encoding="utf-8")
    backend = f"http://127.0.0.1:{free_port()}"
    rc = ls_main(["project", "create", "--url", ls_server.url, "--api-key", ls_server.token, "--title", "no backend",
                  "--from", str(src), "--ml-backend", backend])
    assert rc == 1
    assert f"the ML backend at {backend} could not be connected" in caplog.text
    project_id = int(capsys.readouterr().out.strip().splitlines()[-1])
    assert len(list(ls_client.tasks.list(project=project_id))) == 1  # the project and its task are kept
