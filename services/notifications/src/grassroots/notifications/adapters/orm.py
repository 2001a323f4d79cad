"""Tables of the notifications service; the kit tables sit beside them in its database."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
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

# Contact details arrive only on gr.notify; name, phone and email are sealed (AES-GCM).
contacts = Table(
    "notif_contacts",
    metadata,
    Column("recipient_id", String(100), primary_key=True),
    Column("recipient_kind", String(16), nullable=False),
    Column("sealed", LargeBinary, nullable=True),
    Column("org_unit_id", String(64), nullable=True),
    Column("request_id", String(64), nullable=True),
    Column("public_name_consent", Boolean, nullable=False),
    Column("erased_at", DateTime(timezone=True), nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# Replica of the member registry (public fields only) for addressing and broadcasts.
members = Table(
    "notif_members",
    metadata,
    Column("member_id", String(64), primary_key=True),
    Column("org_unit_id", String(64), nullable=False, index=True),
    Column("duties", JSON, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("version", Integer, nullable=False),
)

notifications = Table(
    "notif_notifications",
    metadata,
    Column("id", String(36), primary_key=True),
    # The event (or broadcast) that caused it: one notification per cause, recipient, channel.
    Column("cause_id", String(80), nullable=False),
    Column("recipient_id", String(100), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("recipient_kind", String(16), nullable=False),
    Column("rule", String(64), nullable=False),
    Column("template_key", String(64), nullable=False),
    Column("context", JSON, nullable=False),
    Column("critical", Boolean, nullable=False),
    Column("urgent", Boolean, nullable=False),
    Column("area_code", String(12), nullable=False),
    Column("request_id", String(64), nullable=True, index=True),
    Column("broadcast_id", String(36), nullable=True, index=True),
    Column("webhook_id", String(36), nullable=True),
    Column("payload", LargeBinary, nullable=True),
    Column("subject", Text, nullable=True),
    Column("body", Text, nullable=True),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),
    Column("last_error", Text, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("sent_at", DateTime(timezone=True), nullable=True),
    Column("read_at", DateTime(timezone=True), nullable=True),
    UniqueConstraint("cause_id", "recipient_id", "channel", name="uq_notif_notifications_key"),
)
Index(
    "ix_notif_notifications_due",
    notifications.c.next_attempt_at,
    postgresql_where=text("status IN ('pending', 'retrying')"),
    sqlite_where=text("status IN ('pending', 'retrying')"),
)
Index(
    "ix_notif_notifications_recipient",
    notifications.c.recipient_id,
    notifications.c.channel,
    notifications.c.sent_at,
)

templates = Table(
    "notif_templates",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("locale", String(8), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("subject", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("created_by", String(100), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

preferences = Table(
    "notif_preferences",
    metadata,
    Column("recipient_id", String(100), primary_key=True),
    Column("opted_out", JSON, nullable=False),
    Column("locale", String(8), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

broadcasts = Table(
    "notif_broadcasts",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("org_unit_id", String(64), nullable=False),
    Column("area_code", String(12), nullable=False, index=True),
    Column("title", String(200), nullable=False),
    Column("body", Text, nullable=False),
    Column("channels", JSON, nullable=False),
    Column("status", String(16), nullable=False),
    Column("cursor", String(64), nullable=True),
    Column("recipients", Integer, nullable=False),
    Column("created_by", String(100), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True), nullable=True),
)

board_items = Table(
    "notif_board_items",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("cause_id", String(80), nullable=False, unique=True),
    Column("kind", String(32), nullable=False),
    Column("area_code", String(12), nullable=False, index=True),
    Column("org_unit_id", String(64), nullable=True),
    Column("member_id", String(64), nullable=True),
    Column("content", JSON, nullable=False),
    Column("published_at", DateTime(timezone=True), nullable=False),
)

# Documents (制度文件), experience stories (经验交流) and notices a unit publishes for the public.
publications = Table(
    "notif_publications",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("org_unit_id", String(64), nullable=False),
    Column("area_code", String(12), nullable=False, index=True),
    Column("title", String(200), nullable=False),
    Column("body", Text, nullable=False),
    Column("created_by", String(100), nullable=False),
    Column("published_at", DateTime(timezone=True), nullable=False),
    Index("ix_notif_publications_kind_id", "kind", "id"),
)

webhooks = Table(
    "notif_webhooks",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("url", String(500), nullable=False),
    Column("event_types", JSON, nullable=False),
    Column("area_code", String(12), nullable=False),
    Column("sealed_secret", LargeBinary, nullable=False),
    Column("status", String(16), nullable=False),
    Column("consecutive_failures", Integer, nullable=False),
    Column("paused_reason", Text, nullable=True),
    Column("created_by", String(100), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# The development SMS sink: what would have been sent, with the number masked.
sms_sink = Table(
    "notif_sms_sink",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("reference", String(64), nullable=True),
    Column("to_masked", String(32), nullable=False),
    Column("text", Text, nullable=False),
    Column("segments", Integer, nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
)

# A county's changes to a default rule: switched off, or other channels.
rule_overrides = Table(
    "notif_rule_overrides",
    metadata,
    Column("county_area", String(12), primary_key=True),
    Column("rule", String(64), primary_key=True),
    Column("enabled", Boolean, nullable=False),
    Column("channels", JSON, nullable=False),
    Column("updated_by", String(100), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
