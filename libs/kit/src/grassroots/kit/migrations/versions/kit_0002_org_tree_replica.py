"""kit table: the organisation tree replica

Revision ID: kit_0002
Revises: kit_0001
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "kit_0002"
down_revision: str | None = "kit_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "kit_org_units",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("area_code", sa.String(12), nullable=False),
        sa.Column("tier", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("domain", sa.String(16), nullable=False),
        sa.Column("parent_id", sa.String(64), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_kit_org_units"),
    )
    op.create_index("ix_kit_org_units_area_code", "kit_org_units", ["area_code"])
    op.create_index("ix_kit_org_units_parent_id", "kit_org_units", ["parent_id"])


def downgrade() -> None:
    op.drop_index("ix_kit_org_units_parent_id", table_name="kit_org_units")
    op.drop_index("ix_kit_org_units_area_code", table_name="kit_org_units")
    op.drop_table("kit_org_units")
