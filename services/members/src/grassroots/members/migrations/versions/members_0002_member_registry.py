"""members: member registry, transfers, floating spells, posts, commitments, audit, stations

Revision ID: members_0002
Revises: members_0001
Create Date: 2026-11-22 21:51:21.542748
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "members_0002"
down_revision: str | None = "members_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "commitments",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("member_id", sa.String(length=36), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("due", sa.Date(), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commitments")),
    )
    with op.batch_alter_table("commitments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_commitments_member_id"), ["member_id"], unique=False)

    op.create_table(
        "floating_spells",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("member_id", sa.String(length=36), nullable=False),
        sa.Column("destination_enc", sa.Text(), nullable=False),
        sa.Column("destination_area", sa.String(length=12), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("expected_return", sa.Date(), nullable=True),
        sa.Column("left_on", sa.Date(), nullable=False),
        sa.Column("returned_on", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_floating_spells")),
    )
    with op.batch_alter_table("floating_spells", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_floating_spells_member_id"), ["member_id"], unique=False
        )

    op.create_table(
        "member_skills",
        sa.Column("member_id", sa.String(length=36), nullable=False),
        sa.Column("skill", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("member_id", "skill", name=op.f("pk_member_skills")),
    )
    with op.batch_alter_table("member_skills", schema=None) as batch_op:
        batch_op.create_index("ix_member_skills_skill", ["skill"], unique=False)

    op.create_table(
        "members",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("org_unit_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("gender", sa.String(length=8), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("ethnicity", sa.String(length=32), nullable=True),
        sa.Column("education", sa.String(length=24), nullable=True),
        sa.Column("degree", sa.String(length=24), nullable=True),
        sa.Column("id_number_enc", sa.Text(), nullable=True),
        sa.Column("id_number_hash", sa.String(length=64), nullable=True),
        sa.Column("id_number_masked", sa.String(length=18), nullable=True),
        sa.Column("phone_enc", sa.Text(), nullable=True),
        sa.Column("phone_masked", sa.String(length=11), nullable=True),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("stage_since", sa.Date(), nullable=False),
        sa.Column("probation_months", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("exit_reason", sa.String(length=16), nullable=True),
        sa.Column("exited_on", sa.Date(), nullable=True),
        sa.Column("joined_at", sa.Date(), nullable=True),
        sa.Column("confirmed_at", sa.Date(), nullable=True),
        sa.Column("category", sa.String(length=32), nullable=True),
        sa.Column("work_unit", sa.String(length=200), nullable=True),
        sa.Column("residence_area", sa.String(length=12), nullable=True),
        sa.Column("skills", sa.JSON(), nullable=False),
        sa.Column("in_service", sa.Boolean(), nullable=False),
        sa.Column("duties", sa.JSON(), nullable=False),
        sa.Column("public_name_consent", sa.Boolean(), nullable=False),
        sa.Column("floating", sa.Boolean(), nullable=False),
        sa.Column("lost_contact", sa.Boolean(), nullable=False),
        sa.Column("community_org_unit_id", sa.String(length=36), nullable=True),
        sa.Column("checked_in_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_members")),
        sa.UniqueConstraint("id_number_hash", name=op.f("uq_members_id_number_hash")),
    )
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.create_index(
            "ix_members_org_unit_id",
            ["org_unit_id"],
            unique=False,
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

    op.create_table(
        "org_unit_history",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("org_unit_id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("change", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("parent_id", sa.String(length=36), nullable=True),
        sa.Column("previous_name", sa.String(length=200), nullable=True),
        sa.Column("previous_parent_id", sa.String(length=36), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_by", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_org_unit_history")),
    )
    with op.batch_alter_table("org_unit_history", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_org_unit_history_org_unit_id"), ["org_unit_id"], unique=False
        )

    op.create_table(
        "pii_reads",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("member_id", sa.String(length=36), nullable=False),
        sa.Column("reader", sa.String(length=64), nullable=False),
        sa.Column("reader_role", sa.String(length=16), nullable=False),
        sa.Column("reader_org", sa.String(length=12), nullable=False),
        sa.Column("fields", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pii_reads")),
    )
    with op.batch_alter_table("pii_reads", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pii_reads_member_id"), ["member_id"], unique=False)

    op.create_table(
        "posts",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("member_id", sa.String(length=36), nullable=False),
        sa.Column("org_unit_id", sa.String(length=36), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_posts")),
    )
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_posts_member_id"), ["member_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_posts_org_unit_id"), ["org_unit_id"], unique=False)

    op.create_table(
        "skill_aliases",
        sa.Column("county_area", sa.String(length=12), nullable=False),
        sa.Column("alias", sa.String(length=32), nullable=False),
        sa.Column("skill", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("county_area", "alias", name=op.f("pk_skill_aliases")),
    )
    op.create_table(
        "stations",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("org_unit_id", sa.String(length=36), nullable=False),
        sa.Column("area_code", sa.String(length=12), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=True),
        sa.Column("opening_hours", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stations")),
        sa.UniqueConstraint("org_unit_id", "name", name="uq_stations_org_unit_name"),
    )
    with op.batch_alter_table("stations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_stations_area_code"), ["area_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_stations_org_unit_id"), ["org_unit_id"], unique=False)

    op.create_table(
        "transfers",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("member_id", sa.String(length=36), nullable=False),
        sa.Column("from_org_unit_id", sa.String(length=36), nullable=False),
        sa.Column("to_org_unit_id", sa.String(length=36), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transfers")),
    )
    with op.batch_alter_table("transfers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_transfers_from_org_unit_id"), ["from_org_unit_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_transfers_member_id"), ["member_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_transfers_to_org_unit_id"), ["to_org_unit_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("transfers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_transfers_to_org_unit_id"))
        batch_op.drop_index(batch_op.f("ix_transfers_member_id"))
        batch_op.drop_index(batch_op.f("ix_transfers_from_org_unit_id"))

    op.drop_table("transfers")
    with op.batch_alter_table("stations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stations_org_unit_id"))
        batch_op.drop_index(batch_op.f("ix_stations_area_code"))

    op.drop_table("stations")
    op.drop_table("skill_aliases")
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_posts_org_unit_id"))
        batch_op.drop_index(batch_op.f("ix_posts_member_id"))

    op.drop_table("posts")
    with op.batch_alter_table("pii_reads", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pii_reads_member_id"))

    op.drop_table("pii_reads")
    with op.batch_alter_table("org_unit_history", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_org_unit_history_org_unit_id"))

    op.drop_table("org_unit_history")
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.drop_index("ix_members_org_unit_id")

    op.drop_table("members")
    with op.batch_alter_table("member_skills", schema=None) as batch_op:
        batch_op.drop_index("ix_member_skills_skill")

    op.drop_table("member_skills")
    with op.batch_alter_table("floating_spells", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_floating_spells_member_id"))

    op.drop_table("floating_spells")
    with op.batch_alter_table("commitments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_commitments_member_id"))

    op.drop_table("commitments")
