"""The store on SQLite and PostgreSQL: Alembic migrations (a store made before them is upgraded, its data kept),
the campaign record on PostgreSQL, and two gunicorn workers receiving concurrent webhooks losing nothing."""
from __future__ import annotations

import json
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

from exports.io.database import engine_url
from ls_backend.infra.config import Config
from ls_backend.serving.backend import Backend
from ls_backend.infra.store import Store, migrate

DATA = Path(__file__).parent / "data"


def _old_store(url: str, dialect: str) -> None:
    """Create the store as commit 47395e7 made it (create_all, no migrations) with a model version and an annotation."""
    engine = create_engine(engine_url(url))
    with engine.begin() as conn:
        for statement in (DATA / f"store_v0.{dialect}.sql").read_text().split(";\n"):
            body = "\n".join(l for l in statement.splitlines() if not l.startswith("--")).strip()
            if body:
                conn.execute(text(body))
        conn.execute(text("INSERT INTO model_versions (version, path, active, created_at, info) VALUES "
                          "('text-old', '/nowhere/text_model.json', false, '2026-11-01 10:00:00', '{}')"))
        conn.execute(text("INSERT INTO annotations (ls_annotation_id, task_id, project_id, doc_key, task_data, result, deleted, received_at, updated_at) "
                          "VALUES (7, 3, 1, 'd7', '{\"doc_key\": \"d7\"}', '[]', false, '2026-11-01 10:00:00', '2026-11-01 10:00:00')"))
    engine.dispose()


def test_a_store_made_before_migrations_is_upgraded_and_keeps_its_data(tmp_path, database_url):
    url = database_url or f"sqlite:///{tmp_path / 'old.sqlite3'}"
    _old_store(url, "postgresql" if database_url else "sqlite")
    store = Store(url)
    tables = set(inspect(store.engine).get_table_names())
    assert {"training_state", "alembic_version", "model_versions", "annotations", "gallery"} <= tables
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == migrate(store.engine) == "0005"
    assert [v.version for v in store.versions()] == ["text-old"] and store.count_annotations() == 1  # nothing lost
    backend = Backend(Config(data_dir=tmp_path / "b", database_url=url))  # and the backend runs on it
    assert backend.version != "text-old" and [v.version for v in store.versions()][0] == "text-old"
    assert Store(url).training_state() == (None, None)  # a second start: nothing to upgrade


def test_the_campaign_record_runs_on_postgresql(tmp_path, postgres):
    from agreement.state import Decision, Item, State
    from tests.support.postgres import fresh_database

    url = fresh_database(postgres, "campaign")
    state = State(tmp_path / "state", url)
    item = Item(doc_key="d1", position=0, annotator_a="wang", annotation_a="1", hash_a="a" * 40, annotator_b="li",
                annotation_b="2", hash_b="b" * 40, status="review", conflicts=[{"kind": "cluster"}])
    state.save(item, [Decision(doc_key="d1", kind="accepted", detail={"what": "C1"}, decided_by="auto", sources=["1", "2"])])
    again = State(tmp_path / "elsewhere", url)  # another process, same database
    assert again.item("d1").status == "review" and [d.detail for d in again.decisions("d1")] == [{"what": "C1"}]


def _event(i: int) -> dict:
    text_ = ["王一博今天好帅", "他真的很可爱"]
    return {"action": "ANNOTATION_CREATED", "project": {"id": 1},
            "task": {"id": 1000 + i, "data": {"doc_key": f"c{i}", "dialogue": [{"speaker": "A", "text": text_[0]}, {"speaker": "B", "text": text_[1]}]}},
            "annotation": {"id": 5000 + i, "result": [
                {"id": "m0", "from_name": "mention", "to_name": "dialogue", "type": "paragraphlabels",
                 "value": {"start": "0", "end": "0", "startOffset": 0, "endOffset": 3, "text": "王一博", "paragraphlabels": ["C1"]}},
                {"id": "m1", "from_name": "mention", "to_name": "dialogue", "type": "paragraphlabels",
                 "value": {"start": "1", "end": "1", "startOffset": 0, "endOffset": 1, "text": "他", "paragraphlabels": ["C1"]}}]}}


@pytest.mark.slow
def test_two_workers_receiving_concurrent_webhooks_lose_nothing(tmp_path, database_url):
    from ls_backend.serving import server
    from ls_backend.workspace.server import free_port

    proc, url = server.launch(tmp_path / "b", "127.0.0.1", free_port(), tmp_path / "b" / "backend.log", env={"MCR_RETRAIN_DEBOUNCE": "3600"},
                              args=["--database-url", database_url] if database_url else [])  # postgresql://mcr@127.0.0.1:PORT/DB
    try:
        def send(i: int) -> int:
            req = urllib.request.Request(url + "/webhook", data=json.dumps(_event(i), ensure_ascii=False).encode(),
                                         headers={"Content-Type": "application/json"})
            with urllib.request.urlopen(req, timeout=60) as resp:
                return resp.status

        with ThreadPoolExecutor(10) as pool:
            statuses = list(pool.map(send, range(30)))
        assert statuses == [200] * 30
        with urllib.request.urlopen(url + "/metrics", timeout=30) as resp:
            metrics = json.loads(resp.read())
        assert metrics["annotations"] == 30
        store = Store(database_url or Config(data_dir=tmp_path / "b").db_url)
        assert sorted(a.ls_annotation_id for a in store.live_annotations()) == list(range(5000, 5030))
    finally:
        server.stop(proc, timeout=30)
