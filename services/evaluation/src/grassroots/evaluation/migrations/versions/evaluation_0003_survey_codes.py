"""single-use survey response codes

Revision ID: evaluation_0003
Revises: evaluation_0002
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "evaluation_0003"
down_revision: str | None = "evaluation_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ev_survey_codes",
        sa.Column("survey_id", sa.String(length=64), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("issued_by", sa.String(length=64), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("survey_id", "code_hash", name=op.f("pk_ev_survey_codes")),
    )


def downgrade() -> None:
    op.drop_table("ev_survey_codes")
