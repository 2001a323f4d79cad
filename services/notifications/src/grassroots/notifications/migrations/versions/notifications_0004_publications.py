"""publications: documents, experience stories and notices of a unit

Revision ID: notifications_0004
Revises: notifications_0003
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "notifications_0004"
down_revision: str | Sequence[str] | None = "notifications_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "notif_publications",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("org_unit_id", sa.String(length=64), nullable=False),
        sa.Column("area_code", sa.String(length=12), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notif_publications")),
    )
    with op.batch_alter_table("notif_publications", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_notif_publications_area_code"), ["area_code"], unique=False
        )
        batch_op.create_index("ix_notif_publications_kind_id", ["kind", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("notif_publications", schema=None) as batch_op:
        batch_op.drop_index("ix_notif_publications_kind_id")
        batch_op.drop_index(batch_op.f("ix_notif_publications_area_code"))
    op.drop_table("notif_publications")
