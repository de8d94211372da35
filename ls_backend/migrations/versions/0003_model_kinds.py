"""Model versions of several kinds (the coreference text model, the post NER model), one active per kind.

Revision ID: 0003
Revises: 0002
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("model_versions") as batch:
        batch.add_column(sa.Column("kind", sa.String(20), nullable=False, server_default="text"))
        batch.create_index("ix_model_versions_kind", ["kind"])


def downgrade() -> None:
    with op.batch_alter_table("model_versions") as batch:
        batch.drop_index("ix_model_versions_kind")
        batch.drop_column("kind")
