"""The store as the backend created it before migrations (model versions, training runs, annotations and
their notes, worker counters, the prediction cache, video analyses and references, the gallery).

Revision ID: 0001
Revises:
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "model_versions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("version", sa.String(200), nullable=False, unique=True),
        sa.Column("path", sa.Text, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("info", sa.JSON, nullable=False),
    )
    op.create_index("ix_model_versions_active", "model_versions", ["active"])
    op.create_table(
        "training_runs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("started_at", sa.DateTime, nullable=False),
        sa.Column("finished_at", sa.DateTime, nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("annotations", sa.Integer, nullable=False),
        sa.Column("version", sa.String(200), nullable=True),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("seconds", sa.Float, nullable=True),
    )
    op.create_table(
        "annotations",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("ls_annotation_id", sa.Integer, nullable=False),
        sa.Column("task_id", sa.Integer, nullable=True),
        sa.Column("project_id", sa.Integer, nullable=True),
        sa.Column("doc_key", sa.String(200), nullable=True),
        sa.Column("task_data", sa.JSON, nullable=False),
        sa.Column("result", sa.JSON, nullable=False),
        sa.Column("deleted", sa.Boolean, nullable=False),
        sa.Column("received_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_annotations_ls_annotation_id", "annotations", ["ls_annotation_id"], unique=True)
    op.create_table(
        "annotation_notes",
        sa.Column("ls_annotation_id", sa.Integer, primary_key=True),
        sa.Column("task_id", sa.Integer, nullable=True),
        sa.Column("doc_key", sa.String(200), nullable=True),
        sa.Column("usable", sa.Boolean, nullable=False),
        sa.Column("dropped", sa.JSON, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "worker_stats",
        sa.Column("worker", sa.String(200), primary_key=True),
        sa.Column("stats", sa.JSON, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "prediction_cache",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("model_version", sa.String(200), nullable=False),
        sa.Column("prediction", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_prediction_cache_model_version", "prediction_cache", ["model_version"])
    op.create_table(
        "video_results",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("pipeline_version", sa.String(200), nullable=False),
        sa.Column("analysis", sa.JSON, nullable=True),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_video_results_content_hash", "video_results", ["content_hash"])
    op.create_index("ix_video_results_pipeline_version", "video_results", ["pipeline_version"])
    op.create_table(
        "video_refs",
        sa.Column("video_ref", sa.String(2000), primary_key=True),
        sa.Column("pipeline_version", sa.String(200), primary_key=True),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "gallery",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("embedder", sa.String(50), nullable=False),
        sa.Column("embedding", sa.JSON, nullable=False),
        sa.Column("ls_annotation_id", sa.Integer, nullable=True),
        sa.Column("doc_key", sa.String(200), nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_gallery_name", "gallery", ["name"])
    op.create_index("ix_gallery_embedder", "gallery", ["embedder"])
    op.create_index("ix_gallery_ls_annotation_id", "gallery", ["ls_annotation_id"])


def downgrade() -> None:
    for table in ("gallery", "video_refs", "video_results", "prediction_cache", "worker_stats", "annotation_notes", "annotations",
                  "training_runs", "model_versions"):
        op.drop_table(table)
