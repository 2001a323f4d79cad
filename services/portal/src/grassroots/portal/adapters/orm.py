"""The portal's tables: accounts, client failures, refresh tokens, API clients, audit."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Dialect,
    Index,
    Integer,
    String,
    Table,
    Text,
)
from sqlalchemy.types import TypeDecorator

from grassroots.kit.clock import as_utc
from grassroots.kit.db import new_metadata

metadata = new_metadata()


class UtcDateTime(TypeDecorator[datetime]):
    """A timestamp that always comes back aware in UTC (SQLite hands back naive ones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        """Aware UTC, whatever the driver gave."""
        return None if value is None else as_utc(value)


accounts = Table(
    "portal_accounts",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("display_name", String(200), nullable=False),
    Column("role", String(20), nullable=False),
    Column("org", String(12), nullable=False, index=True),
    Column("status", String(10), nullable=False),
    Column("password_hash", String(200), nullable=False),
    Column("phone_sealed", Text, nullable=True),
    Column("member_id", String(64), nullable=True),
    Column("failed_logins", Integer, nullable=False, default=0),
    Column("locked_until", UtcDateTime, nullable=True),
    Column("totp_sealed", Text, nullable=True),
    Column("totp_enabled", Boolean, nullable=False, default=False),
    Column("reset_code_hash", String(64), nullable=True),
    Column("reset_code_expires_at", UtcDateTime, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

client_failures = Table(
    "portal_client_failures",
    metadata,
    Column("client_key", String(64), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("last_failure_at", UtcDateTime, nullable=False),
    Column("locked_until", UtcDateTime, nullable=True),
)

refresh_tokens = Table(
    "portal_refresh_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("family_id", String(36), nullable=False, index=True),
    Column("account_id", String(36), nullable=False, index=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("used_at", UtcDateTime, nullable=True),
    Column("revoked_at", UtcDateTime, nullable=True),
)

api_clients = Table(
    "portal_clients",
    metadata,
    Column("client_id", String(40), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("role", String(20), nullable=False),
    Column("org", String(12), nullable=False, index=True),
    Column("secret_hash", String(64), nullable=False),
    Column("created_by", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("revoked_at", UtcDateTime, nullable=True),
)

audit = Table(
    "portal_audit",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("at", UtcDateTime, nullable=False),
    Column("kind", String(40), nullable=False),
    Column("actor", String(80), nullable=False),
    Column("subject", String(80), nullable=False),
    Column("area_code", String(12), nullable=False),
    Column("client_addr", String(64), nullable=True),
    Column("detail", JSON, nullable=False),
)
Index("ix_portal_audit_area_code_id", audit.c.area_code, audit.c.id)

# Website sessions: the cookie holds a random id; only its hash is stored. The tokens the
# session acts with stay here, sealed, and never reach the browser.
web_sessions = Table(
    "portal_web_sessions",
    metadata,
    Column("id_hash", String(64), primary_key=True),
    Column("account_id", String(36), nullable=False, index=True),
    Column("csrf_token", String(64), nullable=False),
    Column("access_sealed", Text, nullable=False),
    Column("access_expires_at", UtcDateTime, nullable=False),
    Column("refresh_sealed", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("last_seen_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False, index=True),
)
