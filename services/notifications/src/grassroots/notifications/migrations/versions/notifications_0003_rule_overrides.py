"""per-county rule overrides

Revision ID: notifications_0003
Revises: notifications_0002
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "notifications_0003"
down_revision: str | Sequence[str] | None = "notifications_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "notif_rule_overrides",
        sa.Column("county_area", sa.String(length=12), nullable=False),
        sa.Column("rule", sa.String(length=64), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("channels", sa.JSON(), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("county_area", "rule", name=op.f("pk_notif_rule_overrides")),
    )


def downgrade() -> None:
    op.drop_table("notif_rule_overrides")
