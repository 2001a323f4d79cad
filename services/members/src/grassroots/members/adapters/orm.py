"""Tables of the members service."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Index, Integer, String, Table, UniqueConstraint

from grassroots.kit.db import new_metadata

metadata = new_metadata()

org_units = Table(
    "org_units",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("area_code", String(12), nullable=False),
    Column("tier", String(16), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("domain", String(16), nullable=False),
    Column("parent_id", String(36), nullable=True),
    # Materialised path of ids ("/root/child/.../self/"): a subtree is one prefix scan.
    Column("path", String(1200), nullable=False),
    Column("version", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(64), nullable=False),
    UniqueConstraint("parent_id", "name", name="uq_org_units_parent_name"),
)
Index("ix_org_units_area_code", org_units.c.area_code)
Index("ix_org_units_path", org_units.c.path)
Index("ix_org_units_parent_id", org_units.c.parent_id)
