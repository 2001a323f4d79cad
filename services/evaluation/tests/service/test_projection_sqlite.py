"""The projection's SQLite path (the embedded default of `make run`) gives the same facts and
counts as the pure fold, batch after batch, with duplicates."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path
from typing import Any

from sqlalchemy import select
from uuid6 import uuid7

from grassroots.contracts.envelope import CloudEvent
from grassroots.contracts.events import REGISTRY
from grassroots.evaluation.adapters.orm import UNIT_MONTH_COUNTS, request_facts, unit_month_counts
from grassroots.evaluation.config import EvaluationSettings
from grassroots.evaluation.domain.facts import fold
from grassroots.evaluation.domain.indicators import count_requests
from grassroots.evaluation.main import SPEC
from grassroots.evaluation.service.projection import apply_batch
from grassroots.kit.clock import as_utc
from grassroots.kit.db import Database

from ..domain.test_facts_and_indicators import life


def _envelope(name: str, data: dict[str, Any]) -> CloudEvent:
    model = REGISTRY[f"gr.requests.{name}.v1"]
    status = {"feedback_given": "resolved"}.get(name, name)
    extra = {"from_org_unit_id": "village-a", "cause": "manual"} if name == "escalated" else {}
    payload = {"service_code": "S01", "status": status, "channel": "window", **extra, **data}
    event = model.model_validate(payload)
    return CloudEvent(
        id=str(uuid7()),
        source="/test",
        type=event.event_type(),
        subject=str(data["request_id"]),
        data=event.model_dump(mode="json"),
        areacode="230321100201",
    )


async def test_the_projection_on_sqlite_equals_the_fold(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'evaluation.db'}"
    await asyncio.to_thread(SPEC.migrate, EvaluationSettings(evaluation_database_url=url))
    pairs = [pair for n in range(12) for pair in life(f"r{n}")]
    events = [_envelope(name, data) for name, data in pairs]
    delivered = events + random.Random(5).sample(events, 20)
    random.Random(6).shuffle(delivered)
    db = Database(url)
    try:
        for start in range(0, len(delivered), 17):
            async with db.transaction() as session:
                await apply_batch(session, delivered[start : start + 17])
        async with db.read_only() as session:
            stored = {
                row.request_id: row._mapping
                for row in (await session.execute(select(request_facts))).all()
            }
            counts = (await session.execute(select(unit_month_counts))).all()
    finally:
        await db.dispose()
    expected = fold(pairs)
    assert set(stored) == set(expected)
    for rid, facts in expected.items():
        row = stored[rid]
        for name in ("received_unit_id", "received_month", "resolved", "rating", "last_version"):
            assert row[name] == getattr(facts, name), (rid, name)
        assert facts.responded_at is not None and row["responded_at"] is not None
        assert as_utc(row["responded_at"]) == facts.responded_at
        assert row["response_seconds"] == facts.response_seconds
        assert row["resolved_on_time"] == facts.resolved_on_time
    total = count_requests(expected.values()).as_dict()
    assert len(counts) == 1
    assert {k: counts[0]._mapping[k] for k in UNIT_MONTH_COUNTS} == {
        k: total[k] for k in UNIT_MONTH_COUNTS
    }
