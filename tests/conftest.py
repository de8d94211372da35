"""Shared fixtures: the real release data beside the checkout, and the labeling interface."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# The suite runs on 2 busy cores next to Label Studio and video encoding: a generated example
# may take longer than Hypothesis' default 200 ms deadline without anything being wrong.
# "mcr" (the test command, CI): the same examples on every run, so a red CI is reproducible and a
# green one is not luck. "explore" (`make fuzz`): new random examples each run, to find what the
# fixed ones miss; a case it finds becomes an @example or a unit test.
settings.register_profile("mcr", deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True, database=None)
settings.register_profile("explore", deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=False)
settings.load_profile(os.environ.get("MCR_HYPOTHESIS_PROFILE", "mcr"))

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("MCR_SHARED", REPO.parent / "shared"))
TIKTALK = SHARED / "data" / "tiktalkcoref"
RELEASE_FILE = TIKTALK / "all_textual_and_visual_annotations.jsonl"
KNOWN_SLIP = "6956506310321949982"


@pytest.fixture(scope="session")
def release_path() -> Path:
    if not RELEASE_FILE.is_file():
        pytest.fail(f"shared release data not found at {RELEASE_FILE}; put ../shared beside the checkout or set MCR_SHARED")
    return RELEASE_FILE


@pytest.fixture(scope="session")
def release_lines(release_path: Path) -> list[str]:
    return release_path.read_text(encoding="utf-8").splitlines()


@pytest.fixture(scope="session")
def label_interface():
    from label_studio_sdk.label_interface import LabelInterface

    import templates

    return LabelInterface(templates.labeling_config())


@pytest.fixture(scope="session")
def ls_server(tmp_path_factory):
    """A real Label Studio 1.23.2 on a free loopback port, for the whole session (xdist group "labelstudio")."""
    from ls_backend.workspace.server import LabelStudioServer

    root = tmp_path_factory.mktemp("label-studio")
    server = LabelStudioServer(data_dir=root / "data", document_root=root / "media")
    server.launch()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def ls_client(ls_server):
    from label_studio_sdk import LabelStudio

    ls_server.wait()
    return LabelStudio(base_url=ls_server.url, api_key=ls_server.token)


@pytest.fixture(scope="session")
def postgres():
    """A throwaway PostgreSQL server on loopback for the session (Debian's postgresql package; `make test` installs it)."""
    from tests.support import postgres as pg

    if not pg.available():
        pytest.fail("PostgreSQL's initdb / pg_ctl not found: install Debian's postgresql package (make test does)")
    with pg.postgres_server() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request):
    """The store on SQLite (None: the file in the data directory) and on a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return None
    import uuid

    from tests.support.postgres import fresh_database

    return fresh_database(request.getfixturevalue("postgres"), f"t{uuid.uuid4().hex[:12]}")
