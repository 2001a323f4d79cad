"""Tables of the requests service; the kit tables sit beside them in its database."""

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
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from grassroots.kit.db import new_metadata

metadata = new_metadata()

_Id = BigInteger().with_variant(Integer(), "sqlite")

catalog_items = Table(
    "req_catalog_items",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("county_area", String(12), nullable=False),
    Column("code", String(64), nullable=False),
    Column("name", String(200), nullable=False),
    Column("category", String(100), nullable=False),
    Column("description", Text, nullable=False),
    Column("time_limit", String(32), nullable=False),
    Column("calendar", String(16), nullable=False),
    Column("handling_tier", String(16), nullable=False),
    # Per tier the limit a request gets when it is escalated to that tier (ISO 8601).
    Column("escalation_limits", JSON, nullable=False),
    Column("materials", JSON, nullable=False),
    Column("door_to_door", Boolean, nullable=False),
    Column("allow_anonymous", Boolean, nullable=False),
    Column("skills", JSON, nullable=False),
    Column("attributes", JSON, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("version", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("county_area", "code", name="uq_req_catalog_items_county_code"),
)

requests = Table(
    "req_requests",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("tracking_code", String(16), nullable=False, unique=True),
    Column("catalog_item_id", String(36), nullable=False),
    Column("service_code", String(64), nullable=False),
    Column("county_area", String(12), nullable=False),
    Column("area_code", String(12), nullable=False),
    Column("org_unit_id", String(64), nullable=False),
    # Area and tier of the unit holding the request: subjects, scope checks and metrics use them.
    Column("org_area_code", String(12), nullable=False),
    Column("org_tier", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("version", Integer, nullable=False),
    Column("channel", String(16), nullable=False),
    Column("description", Text, nullable=False),
    Column("anonymous", Boolean, nullable=False),
    # The citizen's name and phone, encrypted (Fernet); never on public events.
    Column("citizen_name_enc", LargeBinary, nullable=True),
    Column("citizen_phone_enc", LargeBinary, nullable=True),
    Column("handler_member_id", String(64), nullable=True),
    Column("accepted_by", String(64), nullable=True),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("due_at", DateTime(timezone=True), nullable=False),
    Column("accepted_at", DateTime(timezone=True), nullable=True),
    Column("resolved_at", DateTime(timezone=True), nullable=True),
    Column("closed_at", DateTime(timezone=True), nullable=True),
    # True once the current breach of `due_at` was handled, so it is handled only once.
    Column("overdue_marked", Boolean, nullable=False),
    Column("escalations", Integer, nullable=False),
    Column("explanation", Text, nullable=True),
    Column("expected_by", DateTime(timezone=True), nullable=True),
    Column("resolution", Text, nullable=True),
    Column("rating", String(24), nullable=True),
    Column("feedback_comment", Text, nullable=True),
    Column("door_to_door", Boolean, nullable=False),
    Column("appointment_start", DateTime(timezone=True), nullable=True),
    Column("appointment_end", DateTime(timezone=True), nullable=True),
    Column("address", String(300), nullable=True),
    Column("lat", String(24), nullable=True),
    Column("long", String(24), nullable=True),
    Column("attributes", JSON, nullable=False),
    Column("visit_id", String(36), nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    # While waiting for the citizen: the status to resume to and when the wait ends by itself.
    Column("paused_from", String(16), nullable=True),
    Column("paused_until", DateTime(timezone=True), nullable=True),
    # The last dispatch (派单): by which unit, when, and by when the receiver signs or returns.
    Column("dispatcher_unit_id", String(64), nullable=True),
    Column("dispatched_at", DateTime(timezone=True), nullable=True),
    Column("sign_by", DateTime(timezone=True), nullable=True),
    Column("returned_at", DateTime(timezone=True), nullable=True),
    Column("open_co_tasks", Integer, nullable=False, server_default="0"),
    Column("extensions", Integer, nullable=False, server_default="0"),
    # When the reminder (催办) for the current due time and the supervision notice (督办) of the
    # current breach went out, so each goes out once.
    Column("chase_at", DateTime(timezone=True), nullable=True),
    Column("chased_at", DateTime(timezone=True), nullable=True),
    Column("overdue_at", DateTime(timezone=True), nullable=True),
    Column("supervised_at", DateTime(timezone=True), nullable=True),
    # Word fingerprints of the description (domain/duplicates.py): the duplicate index.
    Column("description_terms", JSON, nullable=True),
    # Open requests proposed as duplicates at intake: [{"id", "similarity"}].
    Column("duplicates", JSON, nullable=True),
    # A merged request follows `merged_into`; `merged_from_status` is what an unmerge restores.
    Column("merged_into", String(36), nullable=True),
    Column("merged_from_status", String(16), nullable=True),
    # Open311 `media_url` as the client gave it.
    Column("media_url", String(1000), nullable=True),
)
# The SLA scanner reads only unmarked requests whose clock runs, by due time. Its query repeats
# this predicate word for word (literals, not parameters) so PostgreSQL can use the partial index.
SLA_WATCHED = (
    "NOT overdue_marked AND status IN "
    "('submitted','accepted','assigned','in_progress','escalated','explained','reopened',"
    "'dispatched','returned')"
)
Index("ix_req_requests_sla", requests.c.due_at, postgresql_where=text(SLA_WATCHED))
Index("ix_req_requests_org_area_code", requests.c.org_area_code, requests.c.id)
Index("ix_req_requests_org_unit_id", requests.c.org_unit_id)
Index("ix_req_requests_handler", requests.c.handler_member_id)
# The work queue's views of one person and of escalated requests, newest first.
Index("ix_req_requests_accepted_by", requests.c.accepted_by, requests.c.id)
Index(
    "ix_req_requests_escalated",
    requests.c.id,
    postgresql_where=text("escalations > 0"),
    sqlite_where=text("escalations > 0"),
)
Index("ix_req_requests_county_received", requests.c.county_area, requests.c.received_at)
# The duplicate index: one village's requests of one service, newest first.
Index(
    "ix_req_requests_duplicates",
    requests.c.area_code,
    requests.c.service_code,
    requests.c.received_at,
)
Index("ix_req_requests_merged_into", requests.c.merged_into)

attachments = Table(
    "req_attachments",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("request_id", String(36), nullable=False, index=True),
    Column("content_type", String(64), nullable=False),
    Column("size", Integer, nullable=False),
    Column("sha256", String(64), nullable=False),
    # Object-store keys (adapters/storage.py) of the stored file and of its thumbnail.
    Column("object_key", String(200), nullable=False),
    Column("thumbnail_key", String(200), nullable=True),
    Column("width", Integer, nullable=True),
    Column("height", Integer, nullable=True),
    Column("uploaded_by", String(16), nullable=False),
    Column("actor", String(100), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

history = Table(
    "req_history",
    metadata,
    Column("id", _Id, primary_key=True, autoincrement=True),
    Column("request_id", String(36), nullable=False),
    Column("version", Integer, nullable=False),
    Column("action", String(24), nullable=False),
    Column("from_status", String(16), nullable=True),
    Column("to_status", String(16), nullable=False),
    Column("actor", String(100), nullable=False),
    Column("org_unit_id", String(64), nullable=False),
    Column("note", Text, nullable=True),
    Column("at", DateTime(timezone=True), nullable=False),
    # What the SLA clock needs to replay this step (limit started, due time set, time refunded).
    Column("details", JSON, nullable=True),
    UniqueConstraint("request_id", "version", name="uq_req_history_request_version"),
)

co_tasks = Table(
    "req_co_tasks",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("request_id", String(36), nullable=False, index=True),
    Column("org_unit_id", String(64), nullable=False),
    Column("org_area_code", String(12), nullable=False),
    Column("task", Text, nullable=False),
    Column("due_at", DateTime(timezone=True), nullable=False),
    # open, done (the helper reported) or closed (the lead closed it with a reason).
    Column("status", String(16), nullable=False),
    Column("note", Text, nullable=True),
    Column("score", Integer, nullable=True),
    Column("created_by", String(100), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("done_by", String(100), nullable=True),
    Column("done_at", DateTime(timezone=True), nullable=True),
)

extensions = Table(
    "req_extensions",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("request_id", String(36), nullable=False, index=True),
    Column("org_unit_id", String(64), nullable=False),
    Column("previous_due_at", DateTime(timezone=True), nullable=False),
    Column("due_at", DateTime(timezone=True), nullable=False),
    Column("reason", Text, nullable=False),
    # pending, approved or rejected.
    Column("status", String(16), nullable=False),
    Column("requested_by", String(100), nullable=False),
    Column("requested_at", DateTime(timezone=True), nullable=False),
    Column("decided_by", String(100), nullable=True),
    Column("decided_at", DateTime(timezone=True), nullable=True),
    Column("note", Text, nullable=True),
)

callbacks = Table(
    "req_callbacks",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("request_id", String(36), nullable=False, index=True),
    Column("reached", Boolean, nullable=False),
    Column("attempt", Integer, nullable=False),
    # reached, not_reached, or unreachable (not reached after three attempts).
    Column("outcome", String(16), nullable=False),
    Column("rating", String(24), nullable=True),
    Column("comment", Text, nullable=True),
    Column("recorded_by", String(100), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
)

members = Table(
    "req_members",
    metadata,
    Column("member_id", String(64), primary_key=True),
    Column("org_unit_id", String(64), nullable=False, index=True),
    Column("stage", String(16), nullable=False),
    Column("skills", JSON, nullable=False),
    Column("duties", JSON, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("version", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

visits = Table(
    "req_visits",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("visitor_member_id", String(64), nullable=False),
    Column("org_unit_id", String(64), nullable=False),
    Column("org_area_code", String(12), nullable=False),
    Column("area_code", String(12), nullable=False),
    Column("kind", String(16), nullable=False),
    # Household and notes name people and homes: encrypted like citizens' contacts.
    Column("household_enc", LargeBinary, nullable=False),
    Column("notes_enc", LargeBinary, nullable=True),
    Column("month", String(7), nullable=False),
    Column("visited_at", DateTime(timezone=True), nullable=False),
    Column("problem_request_ids", JSON, nullable=False),
    Column("created_by", String(100), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
Index("ix_req_visits_unit_month", visits.c.org_unit_id, visits.c.month)

calendar_days = Table(
    "req_calendar_days",
    metadata,
    Column("day", Date, primary_key=True),
    Column("is_workday", Boolean, nullable=False),
    Column("note", String(100), nullable=True),
    Column("loaded_by", String(100), nullable=False),
    Column("loaded_at", DateTime(timezone=True), nullable=False),
)

personal_data_reads = Table(
    "req_personal_data_reads",
    metadata,
    Column("id", _Id, primary_key=True, autoincrement=True),
    Column("request_id", String(36), nullable=True),
    Column("visit_id", String(36), nullable=True),
    Column("reader", String(100), nullable=False),
    Column("role", String(24), nullable=False),
    Column("purpose", String(200), nullable=True),
    Column("at", DateTime(timezone=True), nullable=False),
)
