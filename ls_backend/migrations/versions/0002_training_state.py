"""The training schedule: when a run is due and which process trains (the trainer runs in a process of its own).

Revision ID: 0002
Revises: 0001
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "training_state",
        sa.Column("name", sa.String(50), primary_key=True),
        sa.Column("due_at", sa.Float, nullable=True),
        sa.Column("owner", sa.String(200), nullable=True),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("training_state")
