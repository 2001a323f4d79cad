"""Events recorded one at a time or in a batch carry the kit outbox's envelope, field for field."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from grassroots.contracts.envelope import CloudEvent
from grassroots.contracts.events.base import EventData
from grassroots.contracts.events.members import MemberRegistered
from grassroots.contracts.events.notify import ContactUpserted
from grassroots.kit import context
from grassroots.kit.db import Database
from grassroots.kit.outbox import Outbox
from grassroots.kit.tables import kit_metadata
from grassroots.kit.tables import outbox as outbox_table
from grassroots.members.adapters.events import PendingEvent, record_events

NOW = datetime(2026, 11, 22, 21, 5, 30, 230732, tzinfo=UTC)
AREA = "230321100201"


def events_of(subject: str) -> list[EventData]:
    return [
        MemberRegistered(
            member_id="m1",
            org_unit_id="u1",
            stage="full",
            skills=["电工"],
            duties=["handler"],
            version=1,
            occurred_at=NOW,
        ),
        ContactUpserted(
            recipient_id="member:m1", recipient_kind="member", name='王"五"', phone="13900000000"
        ),
    ]


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[Database]:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'outbox.db'}")
    async with db.engine.begin() as connection:
        await connection.run_sync(kit_metadata.create_all)
    yield db
    await db.dispose()


@pytest.mark.parametrize("batch", [True, False])
@pytest.mark.parametrize(
    ("actor", "correlation", "subject"),
    [
        ("admin-7", None, "0193a000-0000-7000-8000-000000000001"),
        ('组织部"王"\\', "corr-1", 'odd "subject"\n'),
        (None, None, "m1"),
    ],
)
async def test_recorded_envelopes_equal_cloud_events(
    database: Database, batch: bool, actor: str | None, correlation: str | None, subject: str
) -> None:
    outbox = Outbox("/grassroots/members")
    events = events_of(subject)
    token = context.correlation_id.set(correlation)
    try:
        async with database.transaction() as session:
            pending = [PendingEvent(data, AREA, subject) for data in events]
            if batch:
                await record_events(session, outbox, pending, actor)
            else:
                for one in pending:
                    await record_events(session, outbox, [one], actor)
    finally:
        context.correlation_id.reset(token)
    async with database.read_only() as session:
        rows = (await session.execute(select(outbox_table).order_by(outbox_table.c.id))).all()
    assert len(rows) == len(events)
    for row, data in zip(rows, events, strict=True):
        written = CloudEvent.from_json_bytes(row.payload)
        expected = CloudEvent(
            id=row.event_id,
            source="/grassroots/members",
            type=data.event_type(),
            subject=subject,
            time=written.time,
            data=data.model_dump(mode="json"),
            areacode=AREA,
            correlationid=correlation,
            actor=actor,
        )
        assert written == expected
        assert json.loads(row.payload) == json.loads(expected.to_json_bytes())
        assert row.subject == data.subject_for(AREA)
        assert row.event_type == data.event_type()
        assert row.published_at is None
