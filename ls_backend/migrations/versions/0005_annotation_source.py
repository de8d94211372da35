"""The projects the backend is connected to, and where each stored annotation came from: ``webhook`` (Label Studio sent it) or ``catch-up`` (read through Label
Studio's API because no webhook brought it: imported with the tasks, or submitted while the backend was down).

Revision ID: 0005
Revises: 0004
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("annotations") as batch:
        batch.add_column(sa.Column("source", sa.String(20), nullable=False, server_default="webhook"))
    op.create_table(  # the Label Studio projects this backend is connected to (seen in /setup, /predict, /webhook)
        "known_projects",
        sa.Column("project_id", sa.Integer, primary_key=True),
        sa.Column("seen_at", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("known_projects")
    with op.batch_alter_table("annotations") as batch:
        batch.drop_column("source")
