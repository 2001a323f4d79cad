"""Tables of the members service."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from grassroots.kit.db import new_metadata

metadata = new_metadata()

# SQLite only autoincrements an INTEGER primary key; PostgreSQL gets a BIGINT identity.
_Id = BigInteger().with_variant(Integer(), "sqlite")

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

org_unit_history = Table(
    "org_unit_history",
    metadata,
    Column("id", _Id, primary_key=True, autoincrement=True),
    Column("org_unit_id", String(36), nullable=False, index=True),
    Column("version", Integer, nullable=False),
    Column("change", String(16), nullable=False),
    Column("name", String(200), nullable=False),
    Column("parent_id", String(36), nullable=True),
    Column("previous_name", String(200), nullable=True),
    Column("previous_parent_id", String(36), nullable=True),
    Column("changed_at", DateTime(timezone=True), nullable=False),
    Column("changed_by", String(64), nullable=False),
)

stations = Table(
    "stations",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("org_unit_id", String(36), nullable=False, index=True),
    Column("area_code", String(12), nullable=False, index=True),
    Column("kind", String(24), nullable=False),
    Column("name", String(200), nullable=False),
    Column("address", String(300), nullable=True),
    Column("opening_hours", String(200), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(64), nullable=False),
    UniqueConstraint("org_unit_id", "name", name="uq_stations_org_unit_name"),
)

members = Table(
    "members",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("org_unit_id", String(36), nullable=False),
    Column("name", String(100), nullable=False),
    Column("gender", String(8), nullable=False),
    Column("birth_date", Date, nullable=False),
    Column("ethnicity", String(32), nullable=True),
    Column("education", String(24), nullable=True),
    Column("degree", String(24), nullable=True),
    # Personal data: AES-GCM ciphertext with its key id; a keyed hash finds duplicates;
    # the masked form is kept so answers and exports never need to decrypt.
    Column("id_number_enc", Text, nullable=True),
    Column("id_number_hash", String(64), nullable=True, unique=True),
    Column("id_number_masked", String(18), nullable=True),
    Column("phone_enc", Text, nullable=True),
    Column("phone_masked", String(11), nullable=True),
    Column("stage", String(16), nullable=False),
    Column("stage_since", Date, nullable=False),
    Column("probation_months", Integer, nullable=False),
    Column("status", String(16), nullable=False),
    Column("exit_reason", String(16), nullable=True),
    Column("exited_on", Date, nullable=True),
    Column("joined_at", Date, nullable=True),
    Column("confirmed_at", Date, nullable=True),
    Column("category", String(32), nullable=True),
    Column("work_unit", String(200), nullable=True),
    Column("residence_area", String(12), nullable=True),
    Column("skills", JSON, nullable=False),
    Column("in_service", Boolean, nullable=False),
    Column("duties", JSON, nullable=False),
    Column("public_name_consent", Boolean, nullable=False),
    Column("floating", Boolean, nullable=False),
    Column("lost_contact", Boolean, nullable=False),
    Column("community_org_unit_id", String(36), nullable=True),
    Column("checked_in_at", DateTime(timezone=True), nullable=True),
    Column("version", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(64), nullable=False),
)
# Covering index: structure statistics of a subtree read only this index (index-only scan).
Index(
    "ix_members_org_unit_id",
    members.c.org_unit_id,
    postgresql_include=[
        "status",
        "stage",
        "education",
        "gender",
        "birth_date",
        "floating",
        "lost_contact",
    ],
)

member_skills = Table(
    "member_skills",
    metadata,
    Column("member_id", String(36), nullable=False),
    Column("skill", String(32), nullable=False),
    PrimaryKeyConstraint("member_id", "skill"),
)
Index("ix_member_skills_skill", member_skills.c.skill)

skill_aliases = Table(
    "skill_aliases",
    metadata,
    Column("county_area", String(12), nullable=False),
    Column("alias", String(32), nullable=False),
    Column("skill", String(32), nullable=False),
    PrimaryKeyConstraint("county_area", "alias"),
)

transfers = Table(
    "transfers",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("member_id", String(36), nullable=False, index=True),
    Column("from_org_unit_id", String(36), nullable=False, index=True),
    Column("to_org_unit_id", String(36), nullable=False, index=True),
    Column("reason", String(500), nullable=False),
    Column("status", String(16), nullable=False),
    Column("issued_on", Date, nullable=False),
    Column("valid_until", Date, nullable=False),
    Column("decided_at", DateTime(timezone=True), nullable=True),
    Column("decided_by", String(64), nullable=True),
    Column("note", String(500), nullable=True),
    Column("created_by", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

floating_spells = Table(
    "floating_spells",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("member_id", String(36), nullable=False, index=True),
    # Whereabouts are personal: the free-text destination is encrypted; only a coarse
    # area code (a city or province) stays readable for the list by destination.
    Column("destination_enc", Text, nullable=False),
    Column("destination_area", String(12), nullable=True),
    Column("reason", String(500), nullable=False),
    Column("expected_return", Date, nullable=True),
    Column("left_on", Date, nullable=False),
    Column("returned_on", Date, nullable=True),
)

posts = Table(
    "posts",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("member_id", String(36), nullable=False, index=True),
    Column("org_unit_id", String(36), nullable=False, index=True),
    Column("title", String(200), nullable=False),
    Column("description", Text, nullable=True),
    Column("claimed_at", DateTime(timezone=True), nullable=False),
)

commitments = Table(
    "commitments",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("member_id", String(36), nullable=False, index=True),
    Column("text", Text, nullable=False),
    Column("due", Date, nullable=True),
    Column("published_at", DateTime(timezone=True), nullable=False),
)

pii_reads = Table(
    "pii_reads",
    metadata,
    Column("id", _Id, primary_key=True, autoincrement=True),
    Column("member_id", String(36), nullable=False, index=True),
    Column("reader", String(64), nullable=False),
    Column("reader_role", String(16), nullable=False),
    Column("reader_org", String(12), nullable=False),
    Column("fields", String(200), nullable=False),
    Column("reason", String(500), nullable=False),
    Column("read_at", DateTime(timezone=True), nullable=False),
)

import_jobs = Table(
    "import_jobs",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("status", String(16), nullable=False),
    Column("dry_run", Boolean, nullable=False),
    Column("filename", String(255), nullable=False),
    Column("created_by", String(64), nullable=False),
    Column("org", String(12), nullable=False),
    Column("rows_read", Integer, nullable=False),
    Column("accepted", Integer, nullable=False),
    Column("rejected", Integer, nullable=False),
    Column("result", JSON, nullable=True),
    Column("error", Text, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True), nullable=True),
)
