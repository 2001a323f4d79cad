"""evaluation: request facts remember a merge, so a merged group counts once

Revision ID: evaluation_0006
Revises: evaluation_0005
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "evaluation_0006"
down_revision: str | None = "evaluation_0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("ev_request_facts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("merged_into", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column("merge_version", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("ev_request_facts", schema=None) as batch_op:
        batch_op.drop_column("merge_version")
        batch_op.drop_column("merged_into")
