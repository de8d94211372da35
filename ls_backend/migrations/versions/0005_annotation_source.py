"""Where each stored annotation came from: ``webhook`` (Label Studio sent it) or ``catch-up`` (read through Label
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


def downgrade() -> None:
    with op.batch_alter_table("annotations") as batch:
        batch.drop_column("source")
