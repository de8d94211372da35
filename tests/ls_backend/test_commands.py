"""``ls-backend``: one module per command, exit statuses from exception types."""
from __future__ import annotations

import pkgutil

import pytest

import ls_backend.commands as commands
from exports import kinds
from exports.io import InputError
from ls_backend.cli import COMMANDS, build_parser, main as ls_main
from ls_backend.commands.errors import ConfigError, exit_code
from ls_backend.workspace.project import ProjectError, ProjectPartlyCreated


def test_every_command_module_is_wired():
    # helpers of several commands, and each task kind's own commands (``commands/<kind>.py``)
    modules = {m.name for m in pkgutil.iter_modules(commands.__path__)} - {"common", "errors", *kinds.names()}
    assert modules == {m.__name__.rsplit(".", 1)[1] for m in COMMANDS.values()}
    assert set(build_parser()._subparsers._group_actions[0].choices) == set(COMMANDS)


def test_exit_codes_come_from_exception_types():
    assert exit_code(ProjectPartlyCreated("project 3 created, but connecting the video directory failed")) == 1
    assert exit_code(ProjectError("creating the project failed: HTTP 400")) == 2
    assert exit_code(InputError("x.jsonl: no dialogue")) == 2 and exit_code(ConfigError("config: bad")) == 2
    assert exit_code(RuntimeError("a bug")) is None  # not turned into an exit status: it surfaces


def test_a_command_without_label_studio_settings_does_nothing(tmp_path, monkeypatch, caplog, release_lines):
    monkeypatch.delenv("LABEL_STUDIO_URL", raising=False)
    monkeypatch.delenv("LABEL_STUDIO_API_KEY", raising=False)
    src = tmp_path / "d.jsonl"
    src.write_text(release_lines[0] + "\n", encoding="utf-8")
    assert ls_main(["project", "create", "--title", "t", "--from", str(src)]) == 2
    assert "needs --url and --api-key" in caplog.text
    assert ls_main(["predict", "--data", str(src), "--out", str(tmp_path / "o.jsonl"), "--model", str(tmp_path / "none")]) == 2


@pytest.mark.parametrize("argv", [["train", "--data", "missing.jsonl", "--out", "x"], ["evaluate", "--data", "missing.jsonl"]])
def test_a_missing_input_file_is_exit_status_2(tmp_path, argv, caplog):
    assert ls_main(argv) == 2 and "missing.jsonl" in caplog.text
