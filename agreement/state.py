"""The adjudication campaign's record (SQLAlchemy; SQLite in the state directory by default).

One ``Item`` per dialogue (which two annotations, their content hashes, the status, where
its review task is, the gold line once decided) and one ``Decision`` per accepted part or
resolved conflict (what, who, when, from which annotations). Nothing is deleted.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from exports.io.database import engine_url
from sqlalchemy import JSON, DateTime, Integer, String, Text, create_engine, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


class Base(DeclarativeBase):
    pass


class Item(Base):
    __tablename__ = "items"
    doc_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    annotator_a: Mapped[str] = mapped_column(String(200))
    annotation_a: Mapped[str] = mapped_column(String(200))
    hash_a: Mapped[str] = mapped_column(String(40))
    annotator_b: Mapped[str] = mapped_column(String(200))
    annotation_b: Mapped[str] = mapped_column(String(200))
    hash_b: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20))  # gold, review, resolved, changed
    conflicts: Mapped[list] = mapped_column(JSON, default=list)
    gold_line: Mapped[str | None] = mapped_column(Text, nullable=True)
    review_project: Mapped[int | None] = mapped_column(Integer, nullable=True)
    review_task: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now)


class Decision(Base):
    __tablename__ = "decisions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    doc_key: Mapped[str] = mapped_column(String(200), index=True)
    kind: Mapped[str] = mapped_column(String(40))  # accepted, auto_gold, expert, changed
    detail: Mapped[Any] = mapped_column(JSON, default=dict)
    decided_by: Mapped[str] = mapped_column(String(200))
    decided_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now)
    sources: Mapped[list] = mapped_column(JSON, default=list)


class State:
    def __init__(self, directory: str | Path, url: str | None = None) -> None:
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        self.engine = create_engine(engine_url(url or f"sqlite:///{(directory / 'adjudication.sqlite3').resolve()}"), future=True)
        Base.metadata.create_all(self.engine)
        self._session = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self._session() as s, s.begin():
            yield s

    def item(self, doc_key: str) -> Item | None:
        with self.session() as s:
            return s.get(Item, doc_key)

    def items(self) -> list[Item]:
        with self.session() as s:
            return list(s.scalars(select(Item).order_by(Item.position)))

    def save(self, item: Item, decisions: list[Decision] = ()) -> None:  # type: ignore[assignment]
        item.updated_at = _now()
        with self.session() as s:
            s.merge(item)
            for d in decisions:
                s.add(d)

    def decisions(self, doc_key: str | None = None) -> list[Decision]:
        with self.session() as s:
            q = select(Decision).order_by(Decision.id)
            if doc_key:
                q = q.where(Decision.doc_key == doc_key)
            return list(s.scalars(q))
