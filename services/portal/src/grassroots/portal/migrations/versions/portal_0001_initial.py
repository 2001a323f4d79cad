"""portal: initial revision (the service's own branch; kit tables come from the kit branch)

Revision ID: portal_0001
Revises:
Create Date: 2026-12-01
"""

from collections.abc import Sequence

revision: str = "portal_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ("portal",)
depends_on: str | Sequence[str] | None = ("kit_0002",)


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
