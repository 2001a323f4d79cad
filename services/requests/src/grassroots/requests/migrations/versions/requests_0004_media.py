"""requests: duplicate index and merges, attachments, Open311 media_url

Revision ID: requests_0004_media
Revises: requests_0003
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "requests_0004_media"
down_revision: str | None = "requests_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("req_requests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("description_terms", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("duplicates", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("merged_into", sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column("merged_from_status", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("media_url", sa.String(length=1000), nullable=True))
        batch_op.create_index(
            "ix_req_requests_duplicates",
            ["area_code", "service_code", "received_at"],
            unique=False,
        )
        batch_op.create_index("ix_req_requests_merged_into", ["merged_into"], unique=False)
    op.create_table(
        "req_attachments",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("request_id", sa.String(length=36), nullable=False),
        sa.Column("content_type", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("object_key", sa.String(length=200), nullable=False),
        sa.Column("thumbnail_key", sa.String(length=200), nullable=True),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("uploaded_by", sa.String(length=16), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_req_attachments")),
    )
    with op.batch_alter_table("req_attachments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_req_attachments_request_id"), ["request_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("req_attachments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_req_attachments_request_id"))
    op.drop_table("req_attachments")
    with op.batch_alter_table("req_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_req_requests_merged_into")
        batch_op.drop_index("ix_req_requests_duplicates")
        batch_op.drop_column("media_url")
        batch_op.drop_column("merged_from_status")
        batch_op.drop_column("merged_into")
        batch_op.drop_column("duplicates")
        batch_op.drop_column("description_terms")
