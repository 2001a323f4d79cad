"""A database that drops its connections: the pool recovers after at most one failed statement."""

from __future__ import annotations

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from grassroots.kit.db import Database
from grassroots.kit.testing.servers import PostgresServer
from grassroots.kit.testing.services import DatabaseFactory

pytestmark = pytest.mark.component


async def test_dropped_connections_cost_at_most_one_failed_statement(
    databases: DatabaseFactory, postgres_server: PostgresServer
) -> None:
    url = await databases.empty()
    db = Database(url)
    try:
        # Fill the pool with a few open connections.
        sessions = [db.sessionmaker() for _ in range(3)]
        for session in sessions:
            assert await session.scalar(text("SELECT 1")) == 1
        for session in sessions:
            await session.close()
        # The server ends every connection to this database (as a restart or failover would).
        name = url.rsplit("/", 1)[1]
        admin = await asyncpg.connect(postgres_server.dsn())
        try:
            ended = await admin.fetchval(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE datname = $1 AND pid <> pg_backend_pid()",
                name,
            )
        finally:
            await admin.close()
        assert ended >= 1
        failures: list[bool] = []
        for _ in range(5):
            try:
                async with db.read_only() as session:
                    assert await session.scalar(text("SELECT 1")) == 1
            except DBAPIError as exc:
                failures.append(exc.connection_invalidated)
        # Without pre-ping the first statement on a dead connection fails, and only that one.
        assert failures == [True]
        async with db.transaction() as session:
            assert await session.scalar(text("SELECT 2")) == 2
    finally:
        await db.dispose()
