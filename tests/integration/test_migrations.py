"""Each service's Alembic history builds exactly the schema its models describe."""

from __future__ import annotations

import importlib

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import create_async_engine

from grassroots.evaluation.main import SPEC as EVALUATION
from grassroots.kit.cli import ServiceSpec
from grassroots.kit.tables import kit_metadata
from grassroots.kit.testing.services import DatabaseFactory
from grassroots.members.main import SPEC as MEMBERS
from grassroots.notifications.main import SPEC as NOTIFICATIONS
from grassroots.requests.main import SPEC as REQUESTS

pytestmark = pytest.mark.component


def combined_metadata(spec: ServiceSpec) -> MetaData:
    module, _, attribute = spec.metadata_ref.partition(":")
    service_metadata: MetaData = getattr(importlib.import_module(module), attribute)
    combined = MetaData()
    for source in (kit_metadata, service_metadata):
        for table in source.tables.values():
            table.to_metadata(combined)
    return combined


@pytest.mark.parametrize(
    "spec", [MEMBERS, REQUESTS, NOTIFICATIONS, EVALUATION], ids=lambda s: s.name
)
async def test_migrations_match_the_models(spec: ServiceSpec, databases: DatabaseFactory) -> None:
    engine = create_async_engine(await databases.fresh(spec))
    metadata = combined_metadata(spec)
    try:
        async with engine.connect() as connection:
            diff = await connection.run_sync(
                lambda sync: compare_metadata(
                    MigrationContext.configure(sync, opts={"compare_type": True}), metadata
                )
            )
    finally:
        await engine.dispose()
    diff = [
        d
        for d in diff
        if not (isinstance(d, tuple) and d[0] == "remove_table" and d[1].name == "alembic_version")
    ]
    assert diff == []
