"""Async SQLAlchemy engine and sessions for SQLite and PostgreSQL; the edge commits."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import MetaData, Table, event, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    async_sessionmaker,
    create_async_engine,
)

# Use cases name the type of their session from here, so they need no SQLAlchemy import.
from sqlalchemy.ext.asyncio import AsyncSession as AsyncSession

from grassroots.kit.instants import keep_instants

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def dialect_insert(session: AsyncSession) -> Any:
    """The INSERT construct of the session's dialect (for ON CONFLICT clauses)."""
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


def insert_ignoring(session: AsyncSession, table: Table, keys: list[str]) -> Any:
    """An INSERT that skips rows clashing on `keys`, on PostgreSQL and SQLite alike."""
    return dialect_insert(session)(table).on_conflict_do_nothing(index_elements=keys)


def new_metadata() -> MetaData:
    """A MetaData with stable constraint names (Alembic needs them for SQLite batch mode)."""
    return MetaData(naming_convention=NAMING_CONVENTION)


def make_engine(url: str, *, echo: bool = False, pre_ping: bool = False) -> AsyncEngine:
    """Build the engine: WAL and a busy timeout on SQLite, a sized pool on PostgreSQL."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, echo=echo, connect_args={"timeout": 30})
        keep_instants(engine)

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    return create_async_engine(
        # Without pre-ping (a round trip per checkout, a quarter of a busy intake's database
        # time) a connection the server dropped fails its first statement once, and the pool
        # then replaces every connection older than that failure.
        url,
        echo=echo,
        pool_size=10,
        max_overflow=20,
        pool_pre_ping=pre_ping,
        pool_recycle=1800,
    )


class Database:
    """One service's engine and session factory; `transaction()` is the unit of work."""

    def __init__(self, url: str, *, pre_ping: bool = False) -> None:
        self.url = url
        self.engine = make_engine(url, pre_ping=pre_ping)
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        self._after_commit: list[Callable[[], None]] = []
        # SQLite allows one writer; serialising writes here avoids "database is locked".
        self._sqlite_write_lock = asyncio.Lock() if self.is_sqlite else None

    def on_commit(self, callback: Callable[[], None]) -> None:
        """Call `callback` after every successful commit (the outbox relay's wake-up)."""
        self._after_commit.append(callback)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session whose work commits on success and rolls back on any exception."""
        if self._sqlite_write_lock is not None:
            async with self._sqlite_write_lock, self._session() as session:
                yield session
        else:
            async with self._session() as session:
                yield session

    @asynccontextmanager
    async def _session(self) -> AsyncIterator[AsyncSession]:
        async with self.sessionmaker() as session:
            try:
                yield session
                await session.commit()
            except BaseException:
                await session.rollback()
                raise
        for callback in self._after_commit:
            callback()

    async def execute_autocommit(self, statement: Any, params: Any = None) -> None:
        """Run one statement outside any transaction block (atomic on its own), then the
        commit hooks; on PostgreSQL this saves the BEGIN and COMMIT round trips."""
        async with self.engine.connect() as conn:
            autocommit = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await autocommit.execute(statement, params)
        for callback in self._after_commit:
            callback()

    async def read_rows(self, statement: Any, params: Any = None) -> list[Any]:
        """The rows of one read statement run outside any transaction block (a statement is
        a consistent snapshot on its own): one round trip on PostgreSQL, no BEGIN or ROLLBACK."""
        async with self.engine.connect() as conn:
            autocommit = await conn.execution_options(isolation_level="AUTOCOMMIT")
            return list((await autocommit.execute(statement, params)).all())

    @asynccontextmanager
    async def read_only(self) -> AsyncIterator[AsyncSession]:
        """A session for reads; nothing is committed."""
        async with self.sessionmaker() as session:
            yield session

    async def ping(self) -> None:
        """Raise unless the database answers."""
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()


def database_of(request: Request) -> Database:
    """The service's database, from the runtime the app was built with."""
    database: Database = request.app.state.runtime.db
    return database


async def _write_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with database_of(request).transaction() as session:
        yield session


async def _read_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with database_of(request).read_only() as session:
        yield session


# The edge owns the transaction: a route's session commits when the route returns, before the
# answer is sent (scope "function"), and rolls back when it raises; use cases never commit.
Session = Annotated[AsyncSession, Depends(_write_session, scope="function")]
# A session for routes that only read: nothing is committed (and SQLite's writer lock is not taken).
ReadSession = Annotated[AsyncSession, Depends(_read_session, scope="function")]
