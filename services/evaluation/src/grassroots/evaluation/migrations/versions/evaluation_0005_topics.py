"""request texts for topic mining, and the month's topic

Revision ID: evaluation_0005
Revises: evaluation_0004
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "evaluation_0005"
down_revision: str | None = "evaluation_0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ev_request_texts",
        sa.Column("request_id", sa.String(length=64), nullable=False),
        sa.Column("received_unit_id", sa.String(length=64), nullable=False),
        sa.Column("area_code", sa.String(length=12), nullable=False),
        sa.Column("service_code", sa.String(length=64), nullable=False),
        sa.Column("received_month", sa.String(length=7), nullable=False),
        sa.Column("words", sa.Text(), nullable=False),
        sa.Column("example", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("request_id", name=op.f("pk_ev_request_texts")),
    )
    op.create_index(
        "ix_ev_request_texts_unit_month",
        "ev_request_texts",
        ["received_unit_id", "received_month"],
        unique=False,
    )
    op.create_table(
        "ev_topic_marks",
        sa.Column("org_unit_id", sa.String(length=64), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("topic_id", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("keywords", sa.JSON(), nullable=False),
        sa.Column("service_code", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("marked_by", sa.String(length=64), nullable=False),
        sa.Column("marked_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("org_unit_id", "period", name=op.f("pk_ev_topic_marks")),
    )


def downgrade() -> None:
    op.drop_table("ev_topic_marks")
    op.drop_index("ix_ev_request_texts_unit_month", table_name="ev_request_texts")
    op.drop_table("ev_request_texts")
