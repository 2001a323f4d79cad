"""read models and evaluation state

Revision ID: evaluation_0002
Revises: evaluation_0001
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "evaluation_0002"
down_revision: str | None = "evaluation_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ev_bonus_items",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("org_unit_id", sa.String(length=64), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("points", sa.Float(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("proposed_by", sa.String(length=64), nullable=False),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ev_bonus_items")),
    )
    with op.batch_alter_table("ev_bonus_items", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ev_bonus_items_org_unit_id"), ["org_unit_id"], unique=False
        )

    op.create_table(
        "ev_member_activity",
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("member_id", sa.String(length=64), nullable=False),
        sa.Column("org_unit_id", sa.String(length=64), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_ev_member_activity")),
    )
    with op.batch_alter_table("ev_member_activity", schema=None) as batch_op:
        batch_op.create_index(
            "ix_ev_member_activity_unit_month", ["org_unit_id", "month"], unique=False
        )

    op.create_table(
        "ev_members",
        sa.Column("member_id", sa.String(length=64), nullable=False),
        sa.Column("org_unit_id", sa.String(length=64), nullable=False),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("in_service", sa.Boolean(), nullable=False),
        sa.Column("duties", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("unit_version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("member_id", name=op.f("pk_ev_members")),
    )
    with op.batch_alter_table("ev_members", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ev_members_org_unit_id"), ["org_unit_id"], unique=False
        )

    op.create_table(
        "ev_point_items",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("member_id", sa.String(length=64), nullable=False),
        sa.Column("org_unit_id", sa.String(length=64), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("points", sa.Float(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("proposed_by", sa.String(length=64), nullable=True),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ev_point_items")),
    )
    with op.batch_alter_table("ev_point_items", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ev_point_items_member_id"), ["member_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_ev_point_items_org_unit_id"), ["org_unit_id"], unique=False
        )

    op.create_table(
        "ev_publications",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("parent_org_unit_id", sa.String(length=64), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("scheme", sa.String(length=64), nullable=False),
        sa.Column("entries", sa.JSON(), nullable=False),
        sa.Column("published_by", sa.String(length=64), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ev_publications")),
        sa.UniqueConstraint(
            "kind", "parent_org_unit_id", "period", "scheme", name="uq_ev_publications_key"
        ),
    )
    op.create_table(
        "ev_request_facts",
        sa.Column("request_id", sa.String(length=64), nullable=False),
        sa.Column("received_unit_id", sa.String(length=64), nullable=True),
        sa.Column("area_code", sa.String(length=12), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("received_month", sa.String(length=7), nullable=True),
        sa.Column("responded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("response_seconds", sa.Integer(), nullable=True),
        sa.Column("resolution_version", sa.Integer(), nullable=False),
        sa.Column("resolved", sa.Boolean(), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_on_time", sa.Boolean(), nullable=False),
        sa.Column("escalated", sa.Boolean(), nullable=False),
        sa.Column("explained", sa.Boolean(), nullable=False),
        sa.Column("rating", sa.String(length=24), nullable=True),
        sa.Column("rating_version", sa.Integer(), nullable=False),
        sa.Column("last_version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("request_id", name=op.f("pk_ev_request_facts")),
    )
    with op.batch_alter_table("ev_request_facts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_ev_request_facts_unit_month", ["received_unit_id", "received_month"], unique=False
        )

    op.create_table(
        "ev_review_scores",
        sa.Column("review_id", sa.String(length=64), nullable=False),
        sa.Column("member_id", sa.String(length=64), nullable=False),
        sa.Column("part", sa.String(length=8), nullable=False),
        sa.Column("rater", sa.String(length=64), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "review_id", "member_id", "part", "rater", name=op.f("pk_ev_review_scores")
        ),
    )
    op.create_table(
        "ev_reviews",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("org_unit_id", sa.String(length=64), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("weights", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ev_reviews")),
        sa.UniqueConstraint("org_unit_id", "period", name="uq_ev_reviews_unit_period"),
    )
    op.create_table(
        "ev_schemes",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("county_area_code", sa.String(length=12), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ev_schemes")),
        sa.UniqueConstraint(
            "county_area_code", "name", "version", name="uq_ev_schemes_county_name_version"
        ),
    )
    op.create_table(
        "ev_survey_responses",
        sa.Column("survey_id", sa.String(length=64), nullable=False),
        sa.Column("respondent_key", sa.String(length=64), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("survey_id", "respondent_key", name=op.f("pk_ev_survey_responses")),
    )
    op.create_table(
        "ev_surveys",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("org_unit_id", sa.String(length=64), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("questions", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ev_surveys")),
    )
    with op.batch_alter_table("ev_surveys", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ev_surveys_org_unit_id"), ["org_unit_id"], unique=False
        )

    op.create_table(
        "ev_unit_month_counts",
        sa.Column("unit_id", sa.String(length=64), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("received", sa.Integer(), nullable=False),
        sa.Column("accepted_on_time", sa.Integer(), nullable=False),
        sa.Column("resolved", sa.Integer(), nullable=False),
        sa.Column("resolved_on_time", sa.Integer(), nullable=False),
        sa.Column("escalated", sa.Integer(), nullable=False),
        sa.Column("explained", sa.Integer(), nullable=False),
        sa.Column("feedback_count", sa.Integer(), nullable=False),
        sa.Column("satisfied", sa.Integer(), nullable=False),
        sa.Column("basically_satisfied", sa.Integer(), nullable=False),
        sa.Column("unsatisfied", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("unit_id", "month", name=op.f("pk_ev_unit_month_counts")),
    )
    op.create_table(
        "ev_visits",
        sa.Column("visit_id", sa.String(length=64), nullable=False),
        sa.Column("org_unit_id", sa.String(length=64), nullable=False),
        sa.Column("visitor_member_id", sa.String(length=64), nullable=False),
        sa.Column("visited_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("visited_month", sa.String(length=7), nullable=False),
        sa.PrimaryKeyConstraint("visit_id", name=op.f("pk_ev_visits")),
    )
    with op.batch_alter_table("ev_visits", schema=None) as batch_op:
        batch_op.create_index(
            "ix_ev_visits_unit_month", ["org_unit_id", "visited_month"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("ev_visits", schema=None) as batch_op:
        batch_op.drop_index("ix_ev_visits_unit_month")

    op.drop_table("ev_visits")
    op.drop_table("ev_unit_month_counts")
    with op.batch_alter_table("ev_surveys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ev_surveys_org_unit_id"))

    op.drop_table("ev_surveys")
    op.drop_table("ev_survey_responses")
    op.drop_table("ev_schemes")
    op.drop_table("ev_reviews")
    op.drop_table("ev_review_scores")
    with op.batch_alter_table("ev_request_facts", schema=None) as batch_op:
        batch_op.drop_index("ix_ev_request_facts_unit_month")

    op.drop_table("ev_request_facts")
    op.drop_table("ev_publications")
    with op.batch_alter_table("ev_point_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ev_point_items_org_unit_id"))
        batch_op.drop_index(batch_op.f("ix_ev_point_items_member_id"))

    op.drop_table("ev_point_items")
    with op.batch_alter_table("ev_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ev_members_org_unit_id"))

    op.drop_table("ev_members")
    with op.batch_alter_table("ev_member_activity", schema=None) as batch_op:
        batch_op.drop_index("ix_ev_member_activity_unit_month")

    op.drop_table("ev_member_activity")
    with op.batch_alter_table("ev_bonus_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ev_bonus_items_org_unit_id"))

    op.drop_table("ev_bonus_items")
