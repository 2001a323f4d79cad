"""Dispatches, returns, extensions and co-handling over real NATS and PostgreSQL, through the
requests projection consumer: counts at the units the events name, a re-sent return counted
once, a scheme weighting the kept rate and deducting rejected returns, exports and a rebuild."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from grassroots.contracts.events import members as m
from grassroots.contracts.events import requests as r
from grassroots.contracts.events.base import EventData
from grassroots.contracts.timezone import platform_zone
from grassroots.evaluation.adapters.orm import (
    handling_events,
    request_facts,
    unit_month_handling,
)
from grassroots.evaluation.service.rebuild import rebuild
from grassroots.kit.db import AsyncSession
from grassroots.kit.tables import org_units
from grassroots.kit.testing.servers import NatsServer
from grassroots.kit.testing.services import RunningService, auth

pytestmark = pytest.mark.component

COUNTY = "230321000000"
ADMIN = auth("org_admin", COUNTY, sub="county-admin")
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=platform_zone())
PERIOD = "2026-11"
UNITS = [
    ("county", COUNTY, "county", None),
    ("town-a", "230321100000", "township", "county"),
    ("town-b", "230321102000", "township", "county"),
    ("va1", "230321100201", "village", "town-a"),
    ("vb1", "230321102201", "village", "town-b"),
]
AREA = {uid: area for uid, area, _, _ in UNITS}


class Life:
    """The events of one request, versions counted up, each on its holder's subject."""

    def __init__(self, out: list[tuple[EventData, str]], rid: str, unit: str) -> None:
        self.out, self.rid, self.unit, self.version = out, rid, unit, 0
        self.at = T0
        self.add(r.RequestSubmitted, "submitted", channel="window", received_at=T0)
        self.add(r.RequestAccepted, "accepted")

    def add(self, model: type[EventData], status: str, **extra: Any) -> Life:
        self.version += 1
        self.at += timedelta(hours=1)
        unit = extra.pop("unit", self.unit)
        event = model(  # type: ignore[call-arg]
            request_id=self.rid,
            org_unit_id=unit,
            area_code=AREA[unit],
            service_code="S01",
            status=status,
            due_at=T0 + timedelta(days=5),
            version=self.version,
            occurred_at=self.at,
            **extra,
        )
        self.out.append((event, AREA[unit]))
        self.unit = unit
        return self

    def dispatch(self, to: str) -> Life:
        return self.add(
            r.RequestDispatched,
            "dispatched",
            unit=to,
            from_org_unit_id=self.unit,
            sign_by=self.at + timedelta(days=1),
        )

    def give_back(self, dispatcher: str) -> Life:
        return self.add(
            r.RequestReturned,
            "returned",
            unit=dispatcher,
            returning_org_unit_id=self.unit,
            reason="wrong_area",
        )

    def decide_return(self, returning: str, decision: str) -> Life:
        rejected = decision == "rejected"
        return self.add(
            r.ReturnDecided,
            "dispatched" if rejected else "accepted",
            unit=returning if rejected else self.unit,
            returning_org_unit_id=returning,
            decision=decision,
        )

    def resolve(self) -> Life:
        return self.add(r.RequestResolved, "resolved")


def world() -> list[tuple[EventData, str]]:
    out: list[tuple[EventData, str]] = [
        (
            m.OrgUnitCreated(
                org_unit_id=uid,
                name={"town-a": "东风镇", "town-b": "红旗镇"}.get(uid, f"单位{uid}"),
                area_code=area,
                tier=tier,  # type: ignore[arg-type]
                kind="committee",
                domain="rural",
                parent_id=parent,
                version=1,
                occurred_at=T0,
            ),
            area,
        )
        for uid, area, tier, parent in UNITS
    ]
    # Town A: four requests dispatched to its village; a1 returned, the return rejected.
    a1 = Life(out, "a1", "town-a").dispatch("va1").give_back("town-a")
    out.append(out[-1])  # the return re-sent upstream (a new envelope id): counted once
    a1.decide_return("va1", "rejected").resolve()
    a2 = Life(out, "a2", "town-a").dispatch("va1")
    a2.add(
        r.CoHandlerAdded,
        "in_progress",
        task_id="t1",
        helper_org_unit_id="town-b",
        task_due_at=a2.at + timedelta(days=2),
    )
    a2.add(
        r.CoTaskDone,
        "in_progress",
        task_id="t1",
        helper_org_unit_id="town-b",
        outcome="done",
        on_time=True,
    )
    a2.add(r.CoTaskScored, "in_progress", task_id="t1", helper_org_unit_id="town-b", score=4)
    a2.resolve()
    for rid in ("a3", "a4"):
        Life(out, rid, "town-a").dispatch("va1").resolve()
    # Town B: both requests returned by its village; b1's return rejected, then extended.
    b1 = Life(out, "b1", "town-b").dispatch("vb1").give_back("town-b")
    b1.decide_return("vb1", "rejected")
    b1.add(
        r.ExtensionRequested,
        "in_progress",
        extension_id="x1",
        requested_due_at=T0 + timedelta(days=9),
    )
    b1.add(
        r.ExtensionDecided,
        "in_progress",
        extension_id="x1",
        decision="approved",
        requested_due_at=T0 + timedelta(days=9),
    )
    b1.resolve()
    Life(out, "b2", "town-b").dispatch("vb1").give_back("town-b").decide_return("vb1", "upheld")
    return out


LAST_VERSIONS = {"a1": 6, "a2": 7, "a3": 4, "a4": 4, "b1": 8, "b2": 5}
COUNTED = 15  # 6 dispatches, 3 returns, 2 rejected, 1 extension, a task, done on time, scored


async def caught_up(session: AsyncSession) -> bool:
    units = await session.scalar(select(func.count()).select_from(org_units))
    rows = await session.execute(select(request_facts.c.request_id, request_facts.c.last_version))
    versions = {row.request_id: row.last_version for row in rows.all()}
    counted = await session.scalar(select(func.count()).select_from(handling_events))
    return (units, versions, counted) == (len(UNITS), LAST_VERSIONS, COUNTED)


@pytest.fixture
async def evaluation(
    seeded_evaluation: Callable[..., AbstractAsyncContextManager[RunningService]],
) -> AsyncIterator[RunningService]:
    async with seeded_evaluation(world(), caught_up) as service:
        yield service


KEEPING = {
    "county_area_code": COUNTY,
    "name": "keeping",
    "weights": {"resolution_rate": 0.5, "kept_rate": 0.5},
    "deductions": [{"indicator": "returns_rejected", "points_each": 1, "cap": 5}],
}


async def stored(service: RunningService) -> dict[str, list[tuple[Any, ...]]]:
    async with service.runtime.db.read_only() as session:
        return {
            table.name: [
                tuple(row)
                for row in (
                    await session.execute(select(table).order_by(*table.primary_key.columns))
                ).all()
            ]
            for table in (handling_events, unit_month_handling)
        }


async def test_returns_extensions_and_helpers_count_where_the_events_say(
    evaluation: RunningService, nats_server: NatsServer
) -> None:
    client = evaluation.client

    async def indicators(unit: str) -> dict[str, Any]:
        answer = await client.get(f"/v1/orgs/{unit}/indicators?period={PERIOD}", headers=ADMIN)
        assert answer.status_code == 200, answer.text
        shown: dict[str, Any] = answer.json()
        return shown

    village = await indicators("vb1")
    assert village["counts"]["received"] == 0  # received at the township, counted there
    assert village["handling"] == {
        "dispatched_in": 2,
        "returned": 2,
        "returns_rejected": 1,
        "extensions": 1,  # b1 was at the village when its extension was approved
        "helper_tasks": 0,
        "helper_on_time": 0,
        "helper_scored": 0,
        "helper_score_total": 0,
    }
    assert village["rates"]["return_rate"] == 1.0 and village["rates"]["kept_rate"] == 0.0
    assert village["rates"]["extension_rate"] is None  # nothing received there
    town_b = await indicators("town-b")
    assert town_b["counts"]["received"] == 2
    assert town_b["handling"]["helper_tasks"] == 1 and town_b["handling"]["helper_scored"] == 1
    assert town_b["rates"]["extension_rate"] == 0.5
    assert town_b["rates"]["helper_on_time_rate"] == 1.0
    assert town_b["rates"]["helper_score_rate"] == pytest.approx(0.8)
    town_a = await indicators("town-a")
    assert town_a["handling"]["dispatched_in"] == 4 and town_a["handling"]["returned"] == 1
    assert town_a["rates"]["kept_rate"] == 0.75
    assert town_a["rates"]["helper_on_time_rate"] is None

    # Weighting a rate where higher is worse, or deducting an unknown count: 422 on the field.
    for bad, field in (
        ({"weights": {"return_rate": 1}}, "weights"),
        ({"weights": {"kept": 1}}, "weights"),
        (
            {"deductions": [{"indicator": "returnz", "points_each": 1, "cap": 5}]},
            "deductions.0.indicator",
        ),
    ):
        refused = await client.post("/v1/schemes", json={**KEEPING, **bad}, headers=ADMIN)
        assert refused.status_code == 422, refused.text
        assert refused.json()["errors"][0]["field"] == field, refused.json()
    saved = await client.post("/v1/schemes", json=KEEPING, headers=ADMIN)
    assert saved.status_code == 201, saved.text

    query = f"parent=county&period={PERIOD}&scheme=keeping"
    ranking = (await client.get(f"/v1/rankings?{query}", headers=ADMIN)).json()
    # A: 100 × (0.5 × 4/4 + 0.5 × 3/4) = 87.5, less 1 rejected return: 86.5.
    # B: 100 × (0.5 × 1/2 + 0.5 × 0/2) = 25, less 1 rejected return: 24.
    rows = [
        (i["org_unit_id"], i["rank"], i["base"], i["deduction"], i["score"])
        for i in ranking["items"]
    ]
    assert rows == [("town-a", 1, 87.5, 1.0, 86.5), ("town-b", 2, 25.0, 1.0, 24.0)]
    indicators_b = ranking["items"][1]["indicators"]
    assert (indicators_b["returned"], indicators_b["kept_rate"]) == (2, 0.0)

    exported = await client.get(f"/v1/rankings/export?{query}&format=csv", headers=ADMIN)
    table = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert [
        (t["单位"], t["退单数"], t["未退单率"], t["延期数"], t["协办评分率"]) for t in table
    ] == [
        ("东风镇", "1", "0.75", "0", ""),
        ("红旗镇", "2", "0.0", "1", "0.8"),
    ]
    sheet = await client.get(
        f"/v1/orgs/town-b/indicators/export?period={PERIOD}&format=csv", headers=ADMIN
    )
    lines = list(csv.DictReader(io.StringIO(sheet.content.decode("utf-8-sig"))))
    assert [(t["单位"], t["接收派单数"], t["退单率"], t["退单被驳回数"]) for t in lines] == [
        ("红旗镇", "2", "1.0", "1"),
        ("单位vb1", "2", "1.0", "1"),
    ]

    # Replaying the streams gives the same events and counts, and so the same ranking.
    live = await stored(evaluation)
    assert sum(row[2] for row in live["ev_unit_month_handling"]) == 6  # dispatches in
    report = await rebuild(evaluation.runtime.db, nats_server.url, batch_size=4)
    assert report.events == len(world())
    assert await stored(evaluation) == live
    again = (await client.get(f"/v1/rankings?{query}", headers=ADMIN)).json()
    assert [i["score"] for i in again["items"]] == [86.5, 24.0]
