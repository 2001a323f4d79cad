"""kit table: answers kept for Idempotency-Key retries

Revision ID: kit_0003_idempotency
Revises: kit_0002
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "kit_0003_idempotency"
down_revision: str | None = "kit_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "kit_idempotency_keys",
        sa.Column("scope", sa.String(120), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("scope", "key", name=op.f("pk_kit_idempotency_keys")),
    )
    op.create_index(
        op.f("ix_kit_idempotency_keys_created_at"), "kit_idempotency_keys", ["created_at"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_kit_idempotency_keys_created_at"), table_name="kit_idempotency_keys")
    op.drop_table("kit_idempotency_keys")
