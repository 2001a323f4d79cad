"""exclusions, appeals and versioned publications

Revision ID: evaluation_0004
Revises: evaluation_0003
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "evaluation_0004"
down_revision: str | None = "evaluation_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DECISION_COLUMNS = (
    ("status", sa.String(length=16), False),
    ("proposed_by", sa.String(length=64), False),
    ("created_at", sa.DateTime(timezone=True), False),
    ("decided_by", sa.String(length=64), True),
    ("decided_at", sa.DateTime(timezone=True), True),
    ("decision_note", sa.Text(), True),
)


def _decision_columns() -> list[sa.Column]:  # type: ignore[type-arg]
    return [sa.Column(name, kind, nullable=nullable) for name, kind, nullable in DECISION_COLUMNS]


def upgrade() -> None:
    op.create_table(
        "ev_exclusions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=False),
        sa.Column("org_unit_id", sa.String(length=64), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        *_decision_columns(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ev_exclusions")),
    )
    op.create_table(
        "ev_appeals",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=False),
        sa.Column("org_unit_id", sa.String(length=64), nullable=False),
        sa.Column("indicator", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=True),
        *_decision_columns(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ev_appeals")),
    )
    for table in ("ev_exclusions", "ev_appeals"):
        for column in ("request_id", "org_unit_id"):
            op.create_index(op.f(f"ix_{table}_{column}"), table, [column], unique=False)
    with op.batch_alter_table("ev_publications") as batch_op:
        batch_op.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
        batch_op.add_column(sa.Column("changes", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("note", sa.Text(), nullable=True))
        batch_op.drop_constraint("uq_ev_publications_key", type_="unique")
        batch_op.create_unique_constraint(
            "uq_ev_publications_key_version",
            ["kind", "parent_org_unit_id", "period", "scheme", "version"],
        )


def downgrade() -> None:
    with op.batch_alter_table("ev_publications") as batch_op:
        batch_op.drop_constraint("uq_ev_publications_key_version", type_="unique")
        batch_op.create_unique_constraint(
            "uq_ev_publications_key", ["kind", "parent_org_unit_id", "period", "scheme"]
        )
        batch_op.drop_column("note")
        batch_op.drop_column("changes")
        batch_op.drop_column("version")
    op.drop_table("ev_appeals")
    op.drop_table("ev_exclusions")
