"""Tables of the evaluation service; the kit tables sit beside them in its database."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from grassroots.evaluation.domain.indicators import HANDLING_COUNT_FIELDS, REQUEST_COUNT_FIELDS
from grassroots.kit.db import new_metadata

metadata = new_metadata()


def decision_columns() -> list[Column[Any]]:
    """Who proposed an item and how it was decided: exclusions and appeals alike."""
    return [
        Column("status", String(16), nullable=False),
        Column("proposed_by", String(64), nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("decided_by", String(64), nullable=True),
        Column("decided_at", DateTime(timezone=True), nullable=True),
        Column("decision_note", Text, nullable=True),
    ]


# Read models rebuilt from the streams (see service/rebuild.py).
request_facts = Table(
    "ev_request_facts",
    metadata,
    Column("request_id", String(64), primary_key=True),
    Column("received_unit_id", String(64), nullable=True),
    Column("area_code", String(12), nullable=True),
    Column("received_at", DateTime(timezone=True), nullable=True),
    Column("received_month", String(7), nullable=True),
    Column("responded_at", DateTime(timezone=True), nullable=True),
    Column("response_seconds", Integer, nullable=True),
    Column("resolution_version", Integer, nullable=False),
    Column("resolved", Boolean, nullable=False),
    Column("resolved_at", DateTime(timezone=True), nullable=True),
    Column("resolved_due_at", DateTime(timezone=True), nullable=True),
    Column("resolved_on_time", Boolean, nullable=False),
    Column("escalated", Boolean, nullable=False),
    Column("explained", Boolean, nullable=False),
    Column("rating", String(24), nullable=True),
    Column("rating_version", Integer, nullable=False),
    Column("last_version", Integer, nullable=False),
    Column("merged_into", String(64), nullable=True),
    Column("merge_version", Integer, nullable=False, server_default="0"),
)
Index(
    "ix_ev_request_facts_unit_month",
    request_facts.c.received_unit_id,
    request_facts.c.received_month,
)

# Request counts per receiving unit and local month, kept by deltas as facts change.
unit_month_counts = Table(
    "ev_unit_month_counts",
    metadata,
    Column("unit_id", String(64), nullable=False),
    Column("month", String(7), nullable=False),
    *(Column(name, Integer, nullable=False) for name in REQUEST_COUNT_FIELDS),
    PrimaryKeyConstraint("unit_id", "month"),
)
UNIT_MONTH_COUNTS = tuple(c.name for c in unit_month_counts.c if c.name not in ("unit_id", "month"))

# Dispatch, return, extension and co-handling events that count, once each: keyed by request
# and version, so a redelivered event finds its row and moves no count (domain/handling.py).
handling_events = Table(
    "ev_handling_events",
    metadata,
    Column("event_key", String(80), primary_key=True),
    Column("request_id", String(64), nullable=False),
    Column("kind", String(24), nullable=False),
    Column("unit_id", String(64), nullable=False),
    Column("month", String(7), nullable=False),
    Column("score", Integer, nullable=True),
)

# Their counts per unit the event names and month of the event, moved as new events arrive.
unit_month_handling = Table(
    "ev_unit_month_handling",
    metadata,
    Column("unit_id", String(64), nullable=False),
    Column("month", String(7), nullable=False),
    *(Column(name, Integer, nullable=False) for name in HANDLING_COUNT_FIELDS),
    PrimaryKeyConstraint("unit_id", "month"),
)

visits = Table(
    "ev_visits",
    metadata,
    Column("visit_id", String(64), primary_key=True),
    Column("org_unit_id", String(64), nullable=False),
    Column("visitor_member_id", String(64), nullable=False),
    Column("visited_at", DateTime(timezone=True), nullable=False),
    Column("visited_month", String(7), nullable=False),
)
Index("ix_ev_visits_unit_month", visits.c.org_unit_id, visits.c.visited_month)

members = Table(
    "ev_members",
    metadata,
    Column("member_id", String(64), primary_key=True),
    Column("org_unit_id", String(64), nullable=False, index=True),
    Column("stage", String(16), nullable=False),
    Column("in_service", Boolean, nullable=False),
    Column("duties", JSON, nullable=False),
    # Profile (stage, duties) and unit have their own versions: a transfer may arrive first.
    Column("version", Integer, nullable=False),
    Column("unit_version", Integer, nullable=False),
)

member_activity = Table(
    "ev_member_activity",
    metadata,
    Column("event_id", String(64), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("member_id", String(64), nullable=False),
    Column("org_unit_id", String(64), nullable=False),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("month", String(7), nullable=False),
)
Index("ix_ev_member_activity_unit_month", member_activity.c.org_unit_id, member_activity.c.month)

# What topic mining reads of each request: its masked description, segmented once by jieba.
request_texts = Table(
    "ev_request_texts",
    metadata,
    Column("request_id", String(64), primary_key=True),
    Column("received_unit_id", String(64), nullable=False),
    Column("area_code", String(12), nullable=False),
    Column("service_code", String(64), nullable=False),
    Column("received_month", String(7), nullable=False),
    Column("words", Text, nullable=False),
    Column("example", Text, nullable=False),
)
Index(
    "ix_ev_request_texts_unit_month",
    request_texts.c.received_unit_id,
    request_texts.c.received_month,
)

# Points items: automatic ones come from events (rebuilt), entered ones from the API (kept).
point_items = Table(
    "ev_point_items",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("member_id", String(64), nullable=False, index=True),
    Column("org_unit_id", String(64), nullable=False, index=True),
    Column("month", String(7), nullable=False),
    Column("points", Float, nullable=False),
    Column("reason", Text, nullable=False),
    Column("source", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("proposed_by", String(64), nullable=True),
    Column("decided_by", String(64), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# State owned by this service (entered through the API; never dropped by a rebuild).
schemes = Table(
    "ev_schemes",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("county_area_code", String(12), nullable=False),
    Column("name", String(64), nullable=False),
    Column("version", Integer, nullable=False),
    Column("definition", JSON, nullable=False),
    Column("created_by", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint(
        "county_area_code", "name", "version", name="uq_ev_schemes_county_name_version"
    ),
)

bonus_items = Table(
    "ev_bonus_items",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("org_unit_id", String(64), nullable=False, index=True),
    Column("period", String(7), nullable=False),
    Column("points", Float, nullable=False),
    Column("reason", Text, nullable=False),
    Column("evidence", Text, nullable=True),
    Column("status", String(16), nullable=False),
    Column("proposed_by", String(64), nullable=False),
    Column("decided_by", String(64), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

publications = Table(
    "ev_publications",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("parent_org_unit_id", String(64), nullable=False),
    Column("period", String(7), nullable=False),
    Column("scheme", String(64), nullable=False),
    Column("entries", JSON, nullable=False),
    Column("published_by", String(64), nullable=False),
    Column("published_at", DateTime(timezone=True), nullable=False),
    # A correction publishes the next version; earlier versions are never edited.
    Column("version", Integer, nullable=False, server_default="1"),
    Column("changes", JSON, nullable=True),
    Column("note", Text, nullable=True),
    UniqueConstraint(
        "kind",
        "parent_org_unit_id",
        "period",
        "scheme",
        "version",
        name="uq_ev_publications_key_version",
    ),
)

reviews = Table(
    "ev_reviews",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("org_unit_id", String(64), nullable=False),
    Column("period", String(7), nullable=False),
    Column("weights", JSON, nullable=False),
    Column("created_by", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("org_unit_id", "period", name="uq_ev_reviews_unit_period"),
)

review_scores = Table(
    "ev_review_scores",
    metadata,
    Column("review_id", String(64), nullable=False),
    Column("member_id", String(64), nullable=False),
    Column("part", String(8), nullable=False),
    Column("rater", String(64), nullable=False),
    Column("score", Float, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("review_id", "member_id", "part", "rater"),
)

surveys = Table(
    "ev_surveys",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("org_unit_id", String(64), nullable=False, index=True),
    Column("period", String(7), nullable=False),
    Column("title", String(200), nullable=False),
    Column("questions", JSON, nullable=False),
    Column("created_by", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

survey_responses = Table(
    "ev_survey_responses",
    metadata,
    Column("survey_id", String(64), nullable=False),
    Column("respondent_key", String(64), nullable=False),
    Column("answers", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("survey_id", "respondent_key"),
)

# Requests a unit flags as unreasonable (不合理诉求); approved ones leave the unit's rates.
exclusions = Table(
    "ev_exclusions",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("request_id", String(64), nullable=False, index=True),
    Column("org_unit_id", String(64), nullable=False, index=True),
    Column("category", String(32), nullable=True),
    Column("reason", Text, nullable=False),
    *decision_columns(),
)

# Appeals (申诉) against one request's assessment in one rate; upheld ones leave that rate.
appeals = Table(
    "ev_appeals",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("request_id", String(64), nullable=False, index=True),
    Column("org_unit_id", String(64), nullable=False, index=True),
    Column("indicator", String(32), nullable=False),
    Column("reason", Text, nullable=False),
    Column("evidence", Text, nullable=True),
    *decision_columns(),
)

# The month's topic (每月一题) a county or township picked, followed in later months.
topic_marks = Table(
    "ev_topic_marks",
    metadata,
    Column("org_unit_id", String(64), nullable=False),
    Column("period", String(7), nullable=False),
    Column("topic_id", String(64), nullable=False),
    Column("title", String(200), nullable=False),
    Column("keywords", JSON, nullable=False),
    Column("service_code", String(64), nullable=False),
    Column("size", Integer, nullable=False),
    Column("marked_by", String(64), nullable=False),
    Column("marked_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("org_unit_id", "period"),
)

# Single-use response codes a survey hands out (printed or sent by SMS), kept as hashes.
survey_codes = Table(
    "ev_survey_codes",
    metadata,
    Column("survey_id", String(64), nullable=False),
    Column("code_hash", String(64), nullable=False),
    Column("issued_by", String(64), nullable=False),
    Column("issued_at", DateTime(timezone=True), nullable=False),
    Column("used_at", DateTime(timezone=True), nullable=True),
    PrimaryKeyConstraint("survey_id", "code_hash"),
)

# What a rebuild drops and replays; everything else is entered state.
READ_MODELS = (
    request_facts,
    unit_month_counts,
    visits,
    members,
    member_activity,
    request_texts,
    handling_events,
    unit_month_handling,
)
