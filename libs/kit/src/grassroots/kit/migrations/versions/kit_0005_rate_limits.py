"""kit table: rate-limit buckets shared by the replicas of a deployment

Revision ID: kit_0005
Revises: kit_0004
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "kit_0005"
down_revision: str | None = "kit_0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "kit_rate_limits",
        sa.Column("bucket", sa.String(40), nullable=False),
        sa.Column("client", sa.String(64), nullable=False),
        sa.Column("tokens", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.Column("granted", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("bucket", "client", name="pk_kit_rate_limits"),
    )


def downgrade() -> None:
    op.drop_table("kit_rate_limits")
