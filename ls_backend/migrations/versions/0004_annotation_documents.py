"""Annotations stored as their task kind's artifact: the webhook reads an event at the edge, and training and the
project memory read the stored document, never Label Studio's JSON again.

``kind`` is the task kind (``coref``, ``ner``); ``document`` the artifact's JSON (``None`` when no part of the
annotation is usable). The raw task data and result stay beside them. Rows stored before this revision are read
once here, with the same readers the webhook uses.

Revision ID: 0004
Revises: 0003
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("annotations") as batch:
        batch.add_column(sa.Column("kind", sa.String(20), nullable=False, server_default="coref"))
        batch.add_column(sa.Column("document", sa.JSON, nullable=True))
        batch.create_index("ix_annotations_kind", ["kind"])
    from exports import kinds

    conn = op.get_bind()
    table = sa.table("annotations", sa.column("id", sa.Integer), sa.column("task_id", sa.Integer), sa.column("task_data", sa.JSON),
                     sa.column("result", sa.JSON), sa.column("kind", sa.String), sa.column("document", sa.JSON))
    for row in conn.execute(sa.select(table.c.id, table.c.task_id, table.c.task_data, table.c.result)).all():
        task = {"id": row.task_id, "data": row.task_data}
        kind = kinds.of_task(task)
        document, _ = kind.read_annotation(task, row.result)
        stored = kind.document_to_json(document) if document is not None else None
        conn.execute(table.update().where(table.c.id == row.id).values(kind=kind.name, document=stored))


def downgrade() -> None:
    with op.batch_alter_table("annotations") as batch:
        batch.drop_index("ix_annotations_kind")
        batch.drop_column("document")
        batch.drop_column("kind")
