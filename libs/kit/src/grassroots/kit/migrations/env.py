"""Alembic environment shared by every service: kit tables plus the service's own metadata."""

from __future__ import annotations

import asyncio
import importlib

from alembic import context
from sqlalchemy import MetaData, pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from grassroots.kit.tables import kit_metadata

config = context.config


def _service_metadata() -> MetaData:
    module_name, _, attribute = config.get_main_option("grassroots_metadata", "").partition(":")
    metadata: MetaData = getattr(importlib.import_module(module_name), attribute)
    return metadata


target_metadata = [kit_metadata, _service_metadata()]


def _configure(connection: Connection | None = None) -> None:
    url = config.get_main_option("sqlalchemy.url")
    context.configure(
        connection=connection,
        url=None if connection is not None else url,
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
        literal_binds=connection is None,
    )


def _run_sync(connection: Connection) -> None:
    _configure(connection)
    with context.begin_transaction():
        context.run_migrations()


async def _run_online() -> None:
    engine = create_async_engine(
        config.get_main_option("sqlalchemy.url", ""), poolclass=pool.NullPool
    )
    async with engine.connect() as connection:
        await connection.run_sync(_run_sync)
    await engine.dispose()


if context.is_offline_mode():
    _configure()
    with context.begin_transaction():
        context.run_migrations()
else:
    asyncio.run(_run_online())
