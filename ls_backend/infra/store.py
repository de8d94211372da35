"""The backend's store (SQLAlchemy): model versions, training runs and their schedule, received annotations,
per-worker counters, the prediction cache, video analyses and the celebrity gallery. SQLite by default,
PostgreSQL with ``--database-url postgresql://USER@HOST:PORT/DB`` (psycopg 3); the schema is created and
upgraded by the Alembic migrations in ``migrations/`` on start-up."""
from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from exports.io.database import engine_url
from sqlalchemy import JSON, Boolean, DateTime, Float, Integer, String, Text, create_engine, event, func, inspect, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


class Base(DeclarativeBase):
    pass


class ModelVersion(Base):
    __tablename__ = "model_versions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[str] = mapped_column(String(200), unique=True)
    path: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    kind: Mapped[str] = mapped_column(String(20), default="text", server_default="text", index=True)  # "text" or "ner": one active per kind
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now)
    info: Mapped[dict] = mapped_column(JSON, default=dict)


class TrainingRun(Base):
    __tablename__ = "training_runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    started_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="running")  # running, done, failed, interrupted
    annotations: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[str | None] = mapped_column(String(200), nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    seconds: Mapped[float | None] = mapped_column(Float, nullable=True)


class ReceivedAnnotation(Base):
    __tablename__ = "annotations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ls_annotation_id: Mapped[int] = mapped_column(Integer, unique=True, index=True)
    task_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    project_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    doc_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    task_data: Mapped[dict] = mapped_column(JSON)
    result: Mapped[list] = mapped_column(JSON)
    kind: Mapped[str] = mapped_column(String(20), default="coref", server_default="coref", index=True)  # the task kind
    document: Mapped[dict | None] = mapped_column(JSON, nullable=True)  # the kind's artifact as JSON; None: nothing usable
    source: Mapped[str] = mapped_column(String(20), default="webhook", server_default="webhook")  # "webhook" or "catch-up"
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    received_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now)


class KnownProject(Base):
    """A Label Studio project this backend is connected to (it sent /setup, /predict or a webhook): catch-up reads these."""

    __tablename__ = "known_projects"
    project_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seen_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now)


class AnnotationNote(Base):
    """What training cannot use of a received annotation: the parts left out, or why none of it is usable.
    Shown in ``/metrics`` and by ``ls-backend status`` (never only in a log)."""

    __tablename__ = "annotation_notes"
    ls_annotation_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    doc_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    usable: Mapped[bool] = mapped_column(Boolean, default=True)
    dropped: Mapped[list] = mapped_column(JSON, default=list)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now)


class WorkerStats(Base):
    """Each web worker's counters and recent latencies, so that ``/metrics`` adds up all workers."""

    __tablename__ = "worker_stats"
    worker: Mapped[str] = mapped_column(String(200), primary_key=True)
    stats: Mapped[dict] = mapped_column(JSON)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now)


class TrainingState(Base):
    """Whether a training run is due (and when) and which process is training: the web workers ask, the trainer
    process claims (one row per model kind)."""

    __tablename__ = "training_state"
    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    due_at: Mapped[float | None] = mapped_column(Float, nullable=True)  # unix time
    owner: Mapped[str | None] = mapped_column(String(200), nullable=True)  # "host:pid" of the process training
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now)


class CachedPrediction(Base):
    __tablename__ = "prediction_cache"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    model_version: Mapped[str] = mapped_column(String(200), index=True)
    prediction: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now)


class VideoResult(Base):
    """The video pipeline's analysis of one clip (by content hash and pipeline version), or why it failed."""

    __tablename__ = "video_results"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256(content hash + pipeline version)
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    pipeline_version: Mapped[str] = mapped_column(String(200), index=True)
    analysis: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now)


class VideoRef(Base):
    """Which analysed content a task's video reference (URL or path, as given) pointed to."""

    __tablename__ = "video_refs"
    video_ref: Mapped[str] = mapped_column(String(2000), primary_key=True)
    pipeline_version: Mapped[str] = mapped_column(String(200), primary_key=True)
    key: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now)


class GalleryFace(Base):
    """A face embedding of a person an annotator named (the celebrity gallery)."""

    __tablename__ = "gallery"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    embedder: Mapped[str] = mapped_column(String(50), index=True)
    embedding: Mapped[list] = mapped_column(JSON)
    ls_annotation_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    doc_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now)


def video_key(content_hash: str, pipeline_version: str) -> str:
    return hashlib.sha256(f"{content_hash}|{pipeline_version}".encode()).hexdigest()


def cache_key(content: str, models: str) -> str:
    """sha256 of what a prediction depends on: the document's ``content`` (its task kind says what: a dialogue's turns
    and title, a post's tokens) and the models (``models``: their versions and state)."""
    return hashlib.sha256(f"{models}\n{content}".encode()).hexdigest()


def _alive(owner: str) -> bool:
    """Whether the process ``host:pid`` runs (another host's process is taken to be alive)."""
    import os
    import socket

    host, _, pid = owner.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"
log = logging.getLogger(__name__)
logging.getLogger("alembic").setLevel(logging.WARNING)  # "Context impl ..." on every start: we log what changed


def migrate(engine) -> str:
    """Bring the store's schema to the newest revision (``ls_backend/migrations``); returns it.

    A store made before migrations existed (its tables, no ``alembic_version``) is stamped as the first
    revision, then upgraded. Several processes may start at once: PostgreSQL serialises them with an
    advisory lock, SQLite with a file lock beside the database.
    """
    from alembic import command
    from alembic.config import Config as AlembicConfig
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    head = ScriptDirectory.from_config(cfg).get_current_head()
    with _migration_lock(engine):
        with engine.begin() as conn:
            if engine.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(7246311)"))
            current = MigrationContext.configure(conn).get_current_revision()
            if current == head:
                return head
            cfg.attributes["connection"] = conn
            if current is None and "model_versions" in inspect(conn).get_table_names():
                command.stamp(cfg, "0001")
                current = "0001 (a store made before migrations)"
            command.upgrade(cfg, "head")
    log.info("store %s: schema upgraded from %s to %s", engine.url.render_as_string(hide_password=True), current or "nothing", head)
    return head


@contextmanager
def _migration_lock(engine) -> Iterator[None]:
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if not database or database == ":memory:":
        yield
        return
    from filelock import FileLock

    with FileLock(f"{database}.migrate.lock"):
        yield


class Store:
    def __init__(self, url: str) -> None:
        url = engine_url(url)
        self.engine = create_engine(url, future=True, **({"pool_pre_ping": True} if url.startswith("postgresql") else {}))
        if url.startswith("sqlite"):
            @event.listens_for(self.engine, "connect")
            def _sqlite_pragmas(conn, _record):  # several workers share the file
                cur = conn.cursor()
                cur.execute("PRAGMA journal_mode=WAL")
                cur.execute("PRAGMA busy_timeout=10000")
                cur.close()
        migrate(self.engine)
        self._session = sessionmaker(self.engine, expire_on_commit=False)
        try:  # the training schedule's one row (another process may create it at the same moment)
            with self.session() as s:
                if s.get(TrainingState, "text") is None:
                    s.add(TrainingState(name="text"))
        except IntegrityError:
            pass

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self._session() as s, s.begin():
            yield s

    # -- model versions ------------------------------------------------------------
    def active_version(self, kind: str = "text") -> ModelVersion | None:
        with self.session() as s:
            return s.scalars(select(ModelVersion).where(ModelVersion.active, ModelVersion.kind == kind)).first()

    def add_version(self, version: str, path: str, info: dict[str, Any], activate: bool = True, kind: str = "text") -> ModelVersion:
        """Record a model version of ``kind``; activating it deactivates the other versions of that kind only."""
        with self.session() as s:
            existing = s.scalars(select(ModelVersion).where(ModelVersion.version == version)).first()
            if existing is None:
                existing = ModelVersion(version=version, path=path, info=info, kind=kind)
                s.add(existing)
            if activate:
                s.execute(update(ModelVersion).where(ModelVersion.kind == existing.kind).values(active=False))
                existing.active = True
            return existing

    def versions(self, kind: str = "text") -> list[ModelVersion]:
        with self.session() as s:
            return list(s.scalars(select(ModelVersion).where(ModelVersion.kind == kind).order_by(ModelVersion.id)))

    # -- annotations ------------------------------------------------------------------
    def upsert_annotation(self, ls_id: int, task_id: int | None, project_id: int | None, task_data: dict, result: list, *,
                          kind: str = "coref", key: str | None = None, document: dict | None = None, source: str = "webhook") -> None:
        """Store an annotation: its task kind, the kind's artifact read from it (``document``; None when nothing of it
        is usable), under the document's ``key``; the raw task data and result are kept beside them."""
        key = key if key is not None else task_data.get("doc_key")
        with self.session() as s:
            row = s.scalars(select(ReceivedAnnotation).where(ReceivedAnnotation.ls_annotation_id == ls_id)).first()
            if row is None:
                s.add(ReceivedAnnotation(ls_annotation_id=ls_id, task_id=task_id, project_id=project_id, doc_key=key, task_data=task_data,
                                         result=result, kind=kind, document=document, source=source))
            else:
                row.task_data, row.result, row.deleted, row.updated_at = task_data, result, False, _now()
                row.kind, row.document, row.doc_key, row.source = kind, document, key, source

    def note_project(self, project_id: int) -> None:
        """Remember a project this backend is connected to (once; several workers may race: the first wins)."""
        try:
            with self.session() as s:
                if s.get(KnownProject, project_id) is None:
                    s.add(KnownProject(project_id=project_id))
        except IntegrityError:
            pass

    def known_projects(self) -> set[int]:
        """The projects this backend was connected to, and those its stored annotations came from."""
        with self.session() as s:
            known = set(s.scalars(select(KnownProject.project_id)))
            known |= {p for p in s.scalars(select(ReceivedAnnotation.project_id).distinct()) if p is not None}
        return known

    def annotation(self, ls_id: int) -> ReceivedAnnotation | None:
        """The stored annotation of a Label Studio id (deleted ones too), or None."""
        with self.session() as s:
            return s.scalars(select(ReceivedAnnotation).where(ReceivedAnnotation.ls_annotation_id == ls_id)).first()

    def count_by_source(self) -> dict[str, int]:
        """Live annotations by where they came from (``webhook``, ``catch-up``)."""
        with self.session() as s:
            rows = s.execute(select(ReceivedAnnotation.source, func.count()).where(ReceivedAnnotation.deleted.is_(False))
                             .group_by(ReceivedAnnotation.source)).all()
        return {source: n for source, n in rows}

    def delete_annotation(self, ls_id: int) -> bool:
        with self.session() as s:
            done = s.execute(update(ReceivedAnnotation).where(ReceivedAnnotation.ls_annotation_id == ls_id).values(deleted=True, updated_at=_now()))
            return bool(done.rowcount)

    def live_annotations(self, project_id: int | None = None, kind: str | None = None) -> list[ReceivedAnnotation]:
        """Every annotation not deleted (of one project, of one task kind, when given), in the order they arrived."""
        with self.session() as s:
            q = select(ReceivedAnnotation).where(ReceivedAnnotation.deleted.is_(False))
            if project_id is not None:
                q = q.where(ReceivedAnnotation.project_id == project_id)
            if kind is not None:
                q = q.where(ReceivedAnnotation.kind == kind)
            return list(s.scalars(q.order_by(ReceivedAnnotation.id)))

    def annotation_revision(self, project_id: int) -> str:
        """Changes whenever an annotation of the project is stored, updated or deleted (keys the project memory)."""
        with self.session() as s:
            n, last, top = s.execute(select(func.count(), func.max(ReceivedAnnotation.updated_at), func.max(ReceivedAnnotation.id))
                                     .where(ReceivedAnnotation.project_id == project_id)).one()
            deleted = s.scalar(select(func.count()).select_from(ReceivedAnnotation)
                               .where(ReceivedAnnotation.project_id == project_id, ReceivedAnnotation.deleted.is_(True))) or 0
        return f"p{project_id}-n{n}-d{deleted}-i{top or 0}-{last.isoformat() if last else '-'}"

    def count_annotations(self) -> int:
        with self.session() as s:
            return s.scalar(select(func.count()).select_from(ReceivedAnnotation).where(ReceivedAnnotation.deleted.is_(False))) or 0

    def set_annotation_note(self, ls_id: int, task_id: int | None, doc_key: str | None, usable: bool, dropped: list[str]) -> None:
        """Record what training cannot use of an annotation (no row when everything is usable)."""
        with self.session() as s:
            row = s.get(AnnotationNote, ls_id)
            if usable and not dropped:
                if row is not None:
                    s.delete(row)
                return
            if row is None:
                s.add(AnnotationNote(ls_annotation_id=ls_id, task_id=task_id, doc_key=doc_key, usable=usable, dropped=dropped))
            else:
                row.task_id, row.doc_key, row.usable, row.dropped, row.updated_at = task_id, doc_key, usable, dropped, _now()

    def annotation_notes(self) -> list[AnnotationNote]:
        """Notes of the live (not deleted) annotations, newest first."""
        with self.session() as s:
            live = select(ReceivedAnnotation.ls_annotation_id).where(ReceivedAnnotation.deleted.is_(False))
            return list(s.scalars(select(AnnotationNote).where(AnnotationNote.ls_annotation_id.in_(live))
                                  .order_by(AnnotationNote.updated_at.desc(), AnnotationNote.ls_annotation_id.desc())))

    # -- per-worker statistics ------------------------------------------------------------
    def save_worker_stats(self, worker: str, stats: dict[str, Any]) -> None:
        with self.session() as s:
            row = s.get(WorkerStats, worker)
            if row is None:
                s.add(WorkerStats(worker=worker, stats=stats))
            else:
                row.stats, row.updated_at = stats, _now()

    def worker_stats(self) -> list[dict[str, Any]]:
        with self.session() as s:
            return [dict(r.stats) for r in s.scalars(select(WorkerStats))]

    # -- training runs ----------------------------------------------------------------
    def start_run(self, annotations: int) -> int:
        with self.session() as s:
            run = TrainingRun(annotations=annotations)
            s.add(run)
            s.flush()
            return run.id

    def finish_run(self, run_id: int, status: str, version: str | None = None, error: str | None = None, seconds: float | None = None) -> None:
        with self.session() as s:
            s.execute(update(TrainingRun).where(TrainingRun.id == run_id).values(
                status=status, version=version, error=error, seconds=seconds, finished_at=_now()))

    def interrupt_stale_runs(self) -> int:
        """Runs left 'running' by a killed process are marked 'interrupted' (called at start-up); a run whose
        trainer process is alive is left alone."""
        with self.session() as s:
            state = s.get(TrainingState, "text")
            if state is not None and state.owner:
                if _alive(state.owner):
                    return 0
                state.owner = None
            return s.execute(update(TrainingRun).where(TrainingRun.status == "running").values(status="interrupted", finished_at=_now())).rowcount

    # -- the training schedule (web workers request, the trainer process claims) ---------
    def request_training(self, due_at: float) -> None:
        """A run is due at ``due_at`` (unix time); a later request moves it (the debounce)."""
        self._set_training(due_at=due_at)

    def claim_training(self, owner: str, now: float) -> bool:
        """Take the due run (atomically: one trainer wins); False when none is due or one is running."""
        with self.session() as s:
            return s.execute(update(TrainingState).where(
                TrainingState.name == "text", TrainingState.due_at.is_not(None), TrainingState.due_at <= now, TrainingState.owner.is_(None)
            ).values(due_at=None, owner=owner, updated_at=_now())).rowcount == 1

    def set_training_owner(self, owner: str | None) -> None:
        self._set_training(owner=owner)

    def _set_training(self, **values: Any) -> None:
        with self.session() as s:
            s.execute(update(TrainingState).where(TrainingState.name == "text").values(**values, updated_at=_now()))

    def training_state(self) -> tuple[float | None, str | None]:
        """``(due_at, owner)``: when a run is due (None: none) and who is training (None: nobody)."""
        with self.session() as s:
            state = s.get(TrainingState, "text")
            return (state.due_at, state.owner) if state is not None else (None, None)

    def runs(self) -> list[TrainingRun]:
        with self.session() as s:
            return list(s.scalars(select(TrainingRun).order_by(TrainingRun.id)))

    # -- prediction cache -------------------------------------------------------------
    def cached(self, key: str) -> dict | None:
        with self.session() as s:
            row = s.get(CachedPrediction, key)
            return dict(row.prediction) if row else None

    def cache(self, key: str, model_version: str, prediction: dict) -> None:
        with self.session() as s:
            if s.get(CachedPrediction, key) is None:
                s.add(CachedPrediction(key=key, model_version=model_version, prediction=prediction))

    # -- video results ----------------------------------------------------------------
    def video_result(self, key: str) -> VideoResult | None:
        with self.session() as s:
            row = s.get(VideoResult, key)
            if row is not None:
                s.expunge(row)
            return row

    def video_result_for(self, video_ref: str, pipeline_version: str) -> VideoResult | None:
        """The result for a task's video reference (what `/predict` looks up without reading the video)."""
        with self.session() as s:
            ref = s.get(VideoRef, (video_ref, pipeline_version))
            row = s.get(VideoResult, ref.key) if ref is not None else None
            if row is not None:
                s.expunge(row)
            return row

    def save_video_result(self, key: str, content_hash: str, pipeline_version: str, analysis: dict | None, error: str | None = None) -> None:
        with self.session() as s:
            row = s.get(VideoResult, key)
            if row is None:
                s.add(VideoResult(key=key, content_hash=content_hash, pipeline_version=pipeline_version, analysis=analysis, error=error))
            else:
                row.analysis, row.error, row.created_at = analysis, error, _now()

    def link_video_ref(self, video_ref: str, pipeline_version: str, key: str) -> None:
        with self.session() as s:
            ref = s.get(VideoRef, (video_ref, pipeline_version))
            if ref is None:
                s.add(VideoRef(video_ref=video_ref, pipeline_version=pipeline_version, key=key))
            else:
                ref.key, ref.updated_at = key, _now()

    # -- celebrity gallery --------------------------------------------------------------
    def gallery_faces(self, embedder: str) -> list[tuple[str, list[float], str | None]]:
        with self.session() as s:
            rows = s.scalars(select(GalleryFace).where(GalleryFace.embedder == embedder).order_by(GalleryFace.id))
            return [(r.name, list(r.embedding), r.doc_key) for r in rows]

    def set_gallery_faces(self, ls_annotation_id: int, embedder: str, faces: list[tuple[str, list[float], str | None]]) -> None:
        """Replace the faces an annotation taught (an updated annotation teaches again)."""
        with self.session() as s:
            for row in s.scalars(select(GalleryFace).where(GalleryFace.ls_annotation_id == ls_annotation_id)):
                s.delete(row)
            for name, vector, doc_key in faces:
                s.add(GalleryFace(name=name, embedder=embedder, embedding=[float(v) for v in vector], ls_annotation_id=ls_annotation_id, doc_key=doc_key))
