"""Return, extension and co-handling events through the projection on SQLite: a redelivered
event (same envelope, or re-sent under a new id, in the same batch or a later one) counts once,
and the unit's counts read back through the assessment's reader."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from uuid6 import uuid7

from grassroots.contracts.envelope import CloudEvent
from grassroots.contracts.events import REGISTRY
from grassroots.evaluation.adapters.orm import handling_events, unit_month_handling
from grassroots.evaluation.adapters.units import counts_by_unit
from grassroots.evaluation.config import EvaluationSettings
from grassroots.evaluation.domain.indicators import CountRules
from grassroots.evaluation.domain.periods import Period
from grassroots.evaluation.main import SPEC
from grassroots.evaluation.service.projection import apply_batch
from grassroots.kit.db import Database

T0 = datetime(2026, 11, 3, 2, 0, tzinfo=UTC)
AREA = "230321100201"


def envelope(name: str, version: int, **extra: Any) -> CloudEvent:
    model = REGISTRY[f"gr.requests.{name}.v1"]
    payload = {
        "request_id": extra.pop("request_id", "r1"),
        "org_unit_id": extra.pop("org_unit_id", "town"),
        "area_code": AREA,
        "service_code": "S01",
        "status": extra.pop("status", name),
        "version": version,
        "occurred_at": T0 + timedelta(hours=version),
        **extra,
    }
    event = model.model_validate(payload)
    return CloudEvent(
        id=str(uuid7()),
        source="/test",
        type=event.event_type(),
        subject=str(payload["request_id"]),
        data=event.model_dump(mode="json"),
        areacode=AREA,
    )


def resent(event: CloudEvent) -> CloudEvent:
    """The same event published again upstream, under a new envelope id."""
    return event.model_copy(update={"id": str(uuid7())})


async def test_a_redelivered_return_counts_once(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'evaluation.db'}"
    await asyncio.to_thread(SPEC.migrate, EvaluationSettings(evaluation_database_url=url))
    submitted = envelope(
        "submitted", 1, org_unit_id="town", channel="window", received_at=T0, status="submitted"
    )
    dispatched = envelope(
        "dispatched",
        2,
        org_unit_id="village",
        from_org_unit_id="town",
        sign_by=T0 + timedelta(days=1),
    )
    returned = envelope("returned", 3, returning_org_unit_id="village", reason="wrong_area")
    rejected = envelope(
        "return_decided",
        4,
        org_unit_id="village",
        returning_org_unit_id="village",
        decision="rejected",
        status="dispatched",
    )
    db = Database(url)
    try:
        batches = [
            # The return twice in its own batch, once re-sent under a new id.
            [submitted, dispatched, returned, returned, resent(returned)],
            # Redelivered later, alone and beside the dispatcher's rejection of it.
            [returned],
            [resent(returned), rejected, resent(dispatched)],
            [rejected],
        ]
        for batch in batches:
            async with db.transaction() as session:
                await apply_batch(session, batch)
        async with db.read_only() as session:
            rows = (await session.execute(select(unit_month_handling))).all()
            stored = (
                await session.execute(select(handling_events).order_by(handling_events.c.event_key))
            ).all()
            counts = await counts_by_unit(
                session, ["village", "town"], Period.parse("2026-11"), CountRules()
            )
    finally:
        await db.dispose()
    assert [(r.event_key, r.kind, r.unit_id, r.month) for r in stored] == [
        ("r1:2", "dispatched_in", "village", "2026-11"),
        ("r1:3", "returned", "village", "2026-11"),
        ("r1:4", "returns_rejected", "village", "2026-11"),
    ]
    assert len(rows) == 1
    assert {k: v for k, v in rows[0]._mapping.items() if v} == {
        "unit_id": "village",
        "month": "2026-11",
        "dispatched_in": 1,
        "returned": 1,
        "returns_rejected": 1,
    }
    village = counts["village"]
    assert (village.dispatched_in, village.returned, village.returns_rejected) == (1, 1, 1)
    assert village.received == 0 and village.rates()["return_rate"] == 1.0
    # The request still counts where it was received, and nothing of the return does.
    town = counts["town"]
    assert (town.received, town.returned, town.dispatched_in) == (1, 0, 0)
