"""website sessions

Revision ID: portal_0003
Revises: portal_0002
Create Date: 2026-12-02 01:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "portal_0003"
down_revision: str | None = "portal_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "portal_web_sessions",
        sa.Column("id_hash", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("access_sealed", sa.Text(), nullable=False),
        sa.Column("access_expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("refresh_sealed", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id_hash", name=op.f("pk_portal_web_sessions")),
    )
    op.create_index(
        op.f("ix_portal_web_sessions_account_id"), "portal_web_sessions", ["account_id"]
    )
    op.create_index(
        op.f("ix_portal_web_sessions_expires_at"), "portal_web_sessions", ["expires_at"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_portal_web_sessions_expires_at"), table_name="portal_web_sessions")
    op.drop_index(op.f("ix_portal_web_sessions_account_id"), table_name="portal_web_sessions")
    op.drop_table("portal_web_sessions")
