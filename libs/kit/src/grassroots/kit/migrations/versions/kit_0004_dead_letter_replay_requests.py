"""kit table: dead letters remember that an operator asked for a replay

Revision ID: kit_0004
Revises: kit_0003_idempotency
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "kit_0004"
down_revision: str | None = "kit_0003_idempotency"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("kit_dead_letters") as batch:
        batch.add_column(
            sa.Column("replay_requested_at", sa.DateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("kit_dead_letters") as batch:
        batch.drop_column("replay_requested_at")
