"""Timestamps keep their instant through SQLite: stored as UTC, read back aware.

SQLite has no time zone type: SQLAlchemy writes an aware datetime's wall-clock digits without
its offset (19:30+08:00 became "19:30") and reads every value back naive, so answers and events
lost their offset and an appointment moved by eight hours. PostgreSQL's timestamptz already
keeps the instant; this makes every `DateTime(timezone=True)` column behave the same on SQLite,
for every table, including those added later.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import types as sqltypes
from sqlalchemy.dialects.sqlite import DATETIME
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncEngine


class _UtcDateTime(DATETIME):
    """SQLite DATETIME that writes UTC digits and reads aware UTC for zone-aware columns."""

    def bind_processor(self, dialect: Dialect) -> Any:
        store = super().bind_processor(dialect)
        if not self.timezone or store is None:
            return store

        def process(value: Any) -> Any:
            if isinstance(value, datetime) and value.tzinfo is not None:
                value = value.astimezone(UTC).replace(tzinfo=None)
            return store(value)

        return process

    def result_processor(self, dialect: Dialect, coltype: object) -> Any:
        load = super().result_processor(dialect, coltype)
        if not self.timezone or load is None:
            return load

        def process(value: Any) -> Any:
            moment = load(value)
            if isinstance(moment, datetime) and moment.tzinfo is None:
                return moment.replace(tzinfo=UTC)
            return moment

        return process


def keep_instants(engine: AsyncEngine) -> None:
    """Make the SQLite engine's zone-aware DateTime columns store UTC and read aware UTC."""
    dialect = engine.sync_engine.dialect
    dialect.colspecs = {**dialect.colspecs, sqltypes.DateTime: _UtcDateTime}
