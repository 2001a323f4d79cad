"""Tables the kit keeps in every service's database: outbox, inbox, dead letters, limits."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    Index,
    Integer,
    LargeBinary,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    text,
)

from grassroots.kit.db import new_metadata

kit_metadata = new_metadata()

# SQLite only autoincrements an INTEGER primary key; PostgreSQL gets a BIGINT identity.
_Id = BigInteger().with_variant(Integer(), "sqlite")

outbox = Table(
    "kit_outbox",
    kit_metadata,
    Column("id", _Id, primary_key=True, autoincrement=True),
    Column("event_id", String(36), nullable=False, unique=True),
    Column("event_type", String(120), nullable=False),
    Column("subject", String(255), nullable=False),
    Column("payload", LargeBinary, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("published_at", DateTime(timezone=True), nullable=True),
)
Index(
    "ix_kit_outbox_unpublished",
    outbox.c.id,
    postgresql_where=text("published_at IS NULL"),
    sqlite_where=text("published_at IS NULL"),
)
Index("ix_kit_outbox_published_at", outbox.c.published_at)

processed_events = Table(
    "kit_processed_events",
    kit_metadata,
    Column("consumer", String(120), nullable=False),
    Column("event_id", String(36), nullable=False),
    Column("processed_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("consumer", "event_id"),
)

dead_letters = Table(
    "kit_dead_letters",
    kit_metadata,
    Column("id", _Id, primary_key=True, autoincrement=True),
    Column("consumer", String(120), nullable=False),
    Column("subject", String(255), nullable=False),
    Column("event_id", String(64), nullable=True),
    Column("event_type", String(120), nullable=True),
    Column("payload", LargeBinary, nullable=False),
    Column("error", Text, nullable=False),
    Column("deliveries", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # Set by `dead-letters replay`; the running consumer that parked the message applies it
    # and sets `replayed_at` in the same transaction as the effect.
    Column("replay_requested_at", DateTime(timezone=True), nullable=True),
    Column("replayed_at", DateTime(timezone=True), nullable=True),
)

# The organisation tree as replicated from `gr.members` events (see orgtree.py).
org_units = Table(
    "kit_org_units",
    kit_metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("area_code", String(12), nullable=False, index=True),
    Column("tier", String(16), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("domain", String(16), nullable=False),
    Column("parent_id", String(64), nullable=True, index=True),
    Column("version", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# Answers to POSTs sent with an `Idempotency-Key`, kept so a retry gets the first answer again.
idempotency_keys = Table(
    "kit_idempotency_keys",
    kit_metadata,
    Column("scope", String(120), nullable=False),
    Column("key", String(200), nullable=False),
    # SHA-256 of method, path and body: the same key with another body is refused.
    Column("fingerprint", String(64), nullable=False),
    Column("status_code", Integer, nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, index=True),
    PrimaryKeyConstraint("scope", "key"),
)

# Token buckets of public rate limits, shared by every replica using this database (limits.py).
rate_limits = Table(
    "kit_rate_limits",
    kit_metadata,
    Column("bucket", String(40), nullable=False),
    Column("client", String(64), nullable=False),
    Column("tokens", Float, nullable=False),
    # Seconds since the epoch: the refill arithmetic is the same in both dialects.
    Column("updated_at", Float, nullable=False),
    Column("granted", Boolean, nullable=False),
    PrimaryKeyConstraint("bucket", "client"),
)
