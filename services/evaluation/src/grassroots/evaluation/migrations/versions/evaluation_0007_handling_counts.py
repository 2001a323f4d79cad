"""evaluation: dispatch, return, extension and co-handling events and their monthly counts

Revision ID: evaluation_0007
Revises: evaluation_0006
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "evaluation_0007"
down_revision: str | None = "evaluation_0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COUNTS = (
    "dispatched_in",
    "returned",
    "returns_rejected",
    "extensions",
    "helper_tasks",
    "helper_on_time",
    "helper_scored",
    "helper_score_total",
)


def upgrade() -> None:
    op.create_table(
        "ev_handling_events",
        sa.Column("event_key", sa.String(length=80), nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("unit_id", sa.String(length=64), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("event_key", name=op.f("pk_ev_handling_events")),
    )
    op.create_table(
        "ev_unit_month_handling",
        sa.Column("unit_id", sa.String(length=64), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in COUNTS),
        sa.PrimaryKeyConstraint("unit_id", "month", name=op.f("pk_ev_unit_month_handling")),
    )


def downgrade() -> None:
    op.drop_table("ev_unit_month_handling")
    op.drop_table("ev_handling_events")
