"""the work queue's views: requests one person accepted, escalated requests

Revision ID: requests_0005_queue
Revises: requests_0004_media
Create Date: 2026-12-02 02:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "requests_0005_queue"
down_revision: str | None = "requests_0004_media"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_req_requests_accepted_by", "req_requests", ["accepted_by", "id"])
    op.create_index(
        "ix_req_requests_escalated",
        "req_requests",
        ["id"],
        postgresql_where=sa.text("escalations > 0"),
        sqlite_where=sa.text("escalations > 0"),
    )


def downgrade() -> None:
    op.drop_index("ix_req_requests_escalated", table_name="req_requests")
    op.drop_index("ix_req_requests_accepted_by", table_name="req_requests")
