"""requests: dispatch and return, waiting, co-handling, extensions, callbacks, clock details

Revision ID: requests_0003
Revises: requests_0002
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "requests_0003"
down_revision: str | None = "requests_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD_WATCHED = (
    "NOT overdue_marked AND status IN "
    "('submitted','accepted','assigned','in_progress','escalated','explained','reopened')"
)
_WATCHED = (
    "NOT overdue_marked AND status IN "
    "('submitted','accepted','assigned','in_progress','escalated','explained','reopened',"
    "'dispatched','returned')"
)
_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("req_requests") as batch:
        batch.add_column(sa.Column("paused_from", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("paused_until", _TS, nullable=True))
        batch.add_column(sa.Column("dispatcher_unit_id", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("dispatched_at", _TS, nullable=True))
        batch.add_column(sa.Column("sign_by", _TS, nullable=True))
        batch.add_column(sa.Column("returned_at", _TS, nullable=True))
        batch.add_column(
            sa.Column("open_co_tasks", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("extensions", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("chase_at", _TS, nullable=True))
        batch.add_column(sa.Column("chased_at", _TS, nullable=True))
        batch.add_column(sa.Column("overdue_at", _TS, nullable=True))
        batch.add_column(sa.Column("supervised_at", _TS, nullable=True))
    with op.batch_alter_table("req_history") as batch:
        batch.add_column(sa.Column("details", sa.JSON(), nullable=True))
    op.drop_index("ix_req_requests_sla", table_name="req_requests")
    op.create_index(
        "ix_req_requests_sla",
        "req_requests",
        ["due_at"],
        postgresql_where=sa.text(_WATCHED),
    )
    op.create_table(
        "req_co_tasks",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("request_id", sa.String(length=36), nullable=False),
        sa.Column("org_unit_id", sa.String(length=64), nullable=False),
        sa.Column("org_area_code", sa.String(length=12), nullable=False),
        sa.Column("task", sa.Text(), nullable=False),
        sa.Column("due_at", _TS, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("done_by", sa.String(length=100), nullable=True),
        sa.Column("done_at", _TS, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_req_co_tasks")),
    )
    op.create_index(op.f("ix_req_co_tasks_request_id"), "req_co_tasks", ["request_id"])
    op.create_table(
        "req_extensions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("request_id", sa.String(length=36), nullable=False),
        sa.Column("org_unit_id", sa.String(length=64), nullable=False),
        sa.Column("previous_due_at", _TS, nullable=False),
        sa.Column("due_at", _TS, nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("requested_by", sa.String(length=100), nullable=False),
        sa.Column("requested_at", _TS, nullable=False),
        sa.Column("decided_by", sa.String(length=100), nullable=True),
        sa.Column("decided_at", _TS, nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_req_extensions")),
    )
    op.create_index(op.f("ix_req_extensions_request_id"), "req_extensions", ["request_id"])
    op.create_table(
        "req_callbacks",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("request_id", sa.String(length=36), nullable=False),
        sa.Column("reached", sa.Boolean(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("rating", sa.String(length=24), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
        sa.Column("recorded_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_req_callbacks")),
    )
    op.create_index(op.f("ix_req_callbacks_request_id"), "req_callbacks", ["request_id"])


def downgrade() -> None:
    op.drop_table("req_callbacks")
    op.drop_table("req_extensions")
    op.drop_table("req_co_tasks")
    op.drop_index("ix_req_requests_sla", table_name="req_requests")
    op.create_index(
        "ix_req_requests_sla", "req_requests", ["due_at"], postgresql_where=sa.text(_OLD_WATCHED)
    )
    with op.batch_alter_table("req_history") as batch:
        batch.drop_column("details")
    with op.batch_alter_table("req_requests") as batch:
        for column in (
            "supervised_at",
            "overdue_at",
            "chased_at",
            "chase_at",
            "extensions",
            "open_co_tasks",
            "returned_at",
            "sign_by",
            "dispatched_at",
            "dispatcher_unit_id",
            "paused_until",
            "paused_from",
        ):
            batch.drop_column(column)
