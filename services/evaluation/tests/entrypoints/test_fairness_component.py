"""Exclusions, appeals, minimum sample, attribution and versioned publication over real
NATS and PostgreSQL: a month whose rates and ranking are computed by hand."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from grassroots.contracts.events import members as m
from grassroots.contracts.events import requests as r
from grassroots.contracts.events.base import EventData
from grassroots.contracts.timezone import platform_zone
from grassroots.evaluation.adapters.orm import request_facts
from grassroots.evaluation.domain.periods import month_key
from grassroots.kit.clock import utcnow
from grassroots.kit.db import AsyncSession
from grassroots.kit.tables import org_units
from grassroots.kit.testing.services import (
    RunningService,
    auth,
)

pytestmark = pytest.mark.component

COUNTY = "230321000000"
ADMIN = auth("org_admin", COUNTY, sub="county-admin")
TOWN_CADRE = auth("cadre", "230321100000", sub="town-a-cadre")
NOW = utcnow().astimezone(platform_zone())
# This month, so the appeal window (5 working days after the month) is open whatever the date.
T0 = datetime(NOW.year, NOW.month, 1, 9, 0, tzinfo=platform_zone())
PERIOD = month_key(T0)
OLD = T0 - timedelta(days=95)  # a month whose appeal window closed long ago
UNITS = [
    ("county", COUNTY, "county", None),
    ("town-a", "230321100000", "township", "county"),
    ("town-b", "230321102000", "township", "county"),
    ("va1", "230321100201", "village", "town-a"),
    ("vb1", "230321102201", "village", "town-b"),
]
AREA = {uid: area for uid, area, _, _ in UNITS}
# request: (village, accepted after hours or None, resolved, rating or None, received at)
REQUESTS = {
    "a0": ("va1", 1, True, "satisfied", T0),
    "a1": ("va1", 1, True, "satisfied", T0),
    "a2": ("va1", 1, True, "satisfied", T0),
    "a3": ("va1", 1, True, "satisfied", T0),
    "a4": ("va1", 1, True, "satisfied", T0),
    "a5": ("va1", 30, True, "unsatisfied", T0),  # answered late
    "a6": ("va1", 1, True, "unsatisfied", T0),  # appealed on satisfaction, upheld
    "a7": ("va1", 1, False, None, T0),  # flagged unreasonable, approved
    "a8": ("va1", 1, True, "satisfied", OLD),
    "b0": ("vb1", 1, True, "satisfied", T0),  # town-b: two answers only
    "b1": ("vb1", 1, True, "unsatisfied", T0),
}


def world() -> list[tuple[EventData, str]]:
    out: list[tuple[EventData, str]] = []
    for uid, area, tier, parent in UNITS:
        unit = m.OrgUnitCreated(
            org_unit_id=uid,
            name={"town-a": "东风镇", "town-b": "红旗镇"}.get(uid, f"单位{uid}"),
            area_code=area,
            tier=tier,  # type: ignore[arg-type]
            kind="committee",
            domain="rural",
            parent_id=parent,
            version=1,
            occurred_at=T0,
        )
        out.append((unit, area))
    for rid, (village, accepted, resolved, rating, received) in REQUESTS.items():
        base = {
            "request_id": rid,
            "org_unit_id": village,
            "area_code": AREA[village],
            "service_code": "S01",
            "due_at": received + timedelta(days=3),
        }
        events: list[EventData] = [
            r.RequestSubmitted(
                status="submitted",
                channel="window",
                received_at=received,
                version=1,
                occurred_at=received,
                **base,
            ),
            r.RequestAccepted(
                status="accepted",
                version=2,
                occurred_at=received + timedelta(hours=accepted),
                **base,
            ),
        ]
        if resolved:
            events.append(
                r.RequestResolved(
                    status="resolved", version=3, occurred_at=received + timedelta(hours=40), **base
                )
            )
        if rating:
            events.append(
                r.FeedbackGiven(
                    status="resolved",
                    version=4,
                    rating=rating,  # type: ignore[arg-type]
                    occurred_at=received + timedelta(hours=41),
                    **base,
                )
            )
        out += [(e, AREA[village]) for e in events]
    return out


async def caught_up(session: AsyncSession) -> bool:
    units = await session.scalar(select(func.count()).select_from(org_units))
    rated = await session.scalar(select(func.count()).where(request_facts.c.rating_version == 4))
    return (units, rated) == (len(UNITS), 10)


@pytest.fixture
async def evaluation(
    seeded_evaluation: Callable[..., AbstractAsyncContextManager[RunningService]],
) -> AsyncIterator[RunningService]:
    async with seeded_evaluation(world(), caught_up) as service:
        yield service


async def test_a_month_with_an_exclusion_an_appeal_and_a_small_sample(
    evaluation: RunningService,
) -> None:
    client = evaluation.client
    ranking_url = f"/v1/rankings?parent=county&period={PERIOD}"
    exclusion = await client.post(
        "/v1/exclusions",
        json={
            "request_id": "a7",
            "reason": "重复诉求，已有最终答复",
            "category": "repeated_after_final_answer",
        },
        headers=TOWN_CADRE,
    )
    assert exclusion.status_code == 201 and exclusion.json()["status"] == "pending"
    other_town = auth("cadre", "230321102000")
    assert (
        await client.post(
            "/v1/exclusions", json={"request_id": "a1", "reason": "越权"}, headers=other_town
        )
    ).status_code == 403
    appeal = await client.post(
        "/v1/appeals",
        json={"request_id": "a6", "indicator": "satisfaction_rate", "reason": "群众误评"},
        headers=TOWN_CADRE,
    )
    assert appeal.status_code == 201
    late = await client.post(
        "/v1/appeals",
        json={"request_id": "a8", "indicator": "resolution_rate", "reason": "超期申诉"},
        headers=TOWN_CADRE,
    )
    assert late.status_code == 409
    bad = await client.post(
        "/v1/appeals",
        json={"request_id": "a6", "indicator": "happiness", "reason": "x"},
        headers=TOWN_CADRE,
    )
    assert bad.status_code == 422

    first = await client.post(
        "/v1/rankings/publish", json={"parent": "county", "period": PERIOD}, headers=ADMIN
    )
    assert first.status_code == 201 and first.json()["version"] == 1
    v1 = {i["org_unit_id"]: i for i in first.json()["items"]}
    # Nothing decided yet: town-a 8 received, 7 on time, 7 resolved, 5 of 7 satisfied.
    assert v1["town-a"]["score"] == round(100 * (0.1 * 7 / 8 + 0.5 * 7 / 8 + 0.4 * 5 / 7), 2)

    # The township cannot decide; the county can, once.
    town_admin = auth("org_admin", "230321100000")
    exclusion_id, appeal_id = exclusion.json()["id"], appeal.json()["id"]
    assert (
        await client.post(f"/v1/exclusions/{exclusion_id}/approve", headers=town_admin)
    ).status_code == 403
    approved = await client.post(
        f"/v1/exclusions/{exclusion_id}/approve", json={"note": "同意"}, headers=ADMIN
    )
    assert (approved.json()["status"], approved.json()["decided_by"]) == (
        "approved",
        "county-admin",
    )
    assert (
        await client.post(f"/v1/exclusions/{exclusion_id}/reject", headers=ADMIN)
    ).status_code == 409
    upheld = await client.post(f"/v1/appeals/{appeal_id}/uphold", headers=ADMIN)
    assert upheld.json()["status"] == "upheld"

    # Published version 1 stays what it was until a correction is published.
    assert (await client.get(ranking_url, headers=ADMIN)).json()["version"] == 1
    live = await client.post(
        "/v1/rankings/publish",
        json={"parent": "county", "period": PERIOD, "note": "剔除不合理诉求、申诉成立后更正"},
        headers=ADMIN,
    )
    assert live.status_code == 201 and live.json()["version"] == 2
    items = {i["org_unit_id"]: i for i in live.json()["items"]}
    # town-a without a7 (excluded): 7 received, 6 on time, 7 resolved; satisfaction without
    # a6 (appeal upheld): 5 of 6.
    a = items["town-a"]
    assert (a["indicators"]["received"], a["indicators"]["accepted_on_time"]) == (7, 6)
    assert a["indicators"]["response_rate"] == pytest.approx(6 / 7)
    assert a["indicators"]["resolution_rate"] == 1.0
    assert a["indicators"]["satisfaction_rate"] == pytest.approx(5 / 6)
    assert a["status"] == "scored"
    assert a["score"] == round(100 * (0.1 * 6 / 7 + 0.5 * 1 + 0.4 * 5 / 6), 2) == 91.9
    # town-b has two answers (minimum 5): ranked on response and resolution only, not last
    # on one unsatisfied answer (with it: 100 × (0.1 + 0.5 + 0.4 × 0.5) = 80).
    b = items["town-b"]
    assert (b["status"], b["score"], b["rank"]) == ("insufficient_sample", 100.0, 1)
    assert a["rank"] == 2
    changed = {(c["org_unit_id"], c["field"]) for c in live.json()["changes"]}
    assert ("town-a", "score") in changed
    old = (await client.get(ranking_url + "&version=1", headers=ADMIN)).json()
    assert old["items"][0]["score"] == first.json()["items"][0]["score"]
    newest = (await client.get(ranking_url, headers=ADMIN)).json()
    assert (newest["version"], newest["latest_version"]) == (2, 2)
    again = await client.post(
        "/v1/rankings/publish", json={"parent": "county", "period": PERIOD}, headers=ADMIN
    )
    assert again.status_code == 409

    # Pay and indicators agree with the ranking.
    pay = (await client.get(f"/v1/pay?org_unit=town-a&period={PERIOD}", headers=ADMIN)).json()
    assert pay["score"] == 91.9
    indicators = (
        await client.get(f"/v1/orgs/town-a/indicators?period={PERIOD}", headers=ADMIN)
    ).json()
    assert indicators["counts"]["received"] == 7
    assert indicators["rates"]["satisfaction_rate"] == pytest.approx(5 / 6)

    # The attribution lists exactly the requests counted, and the excluded one apart.
    pages, cursor = [], None
    while True:
        url = f"/v1/orgs/town-a/attribution?period={PERIOD}&limit=3"
        page = (
            await client.get(url + (f"&cursor={cursor}" if cursor else ""), headers=ADMIN)
        ).json()
        pages += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            break
    by_id = {i["request_id"]: i for i in pages}
    assert sorted(by_id) == [f"a{i}" for i in range(8)]
    counted = [i for i in pages if "received" in i["counted_in"]]
    assert len(counted) == a["indicators"]["received"]
    assert sum("accepted_on_time" in i["counted_in"] for i in counted) == 6
    assert by_id["a7"]["excluded"] and by_id["a7"]["counted_in"] == []
    assert by_id["a7"]["exclusion"]["decided_by"] == "county-admin"
    assert by_id["a6"]["removed_from"] == ["satisfaction_rate"]
    assert "accepted_on_time" not in by_id["a5"]["counted_in"]
    export = await client.get(
        f"/v1/orgs/town-a/attribution/export?period={PERIOD}&format=csv", headers=ADMIN
    )
    lines = export.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("诉求编号") and len(lines) == 9
    assert any(line.startswith("a7,") and ",是,county-admin" in line for line in lines)


async def test_a_scheme_can_list_small_samples_apart(evaluation: RunningService) -> None:
    client = evaluation.client
    scheme = await client.post(
        "/v1/schemes",
        json={
            "county_area_code": COUNTY,
            "name": "apart",
            "weights": {"response_rate": 0.1, "resolution_rate": 0.5, "satisfaction_rate": 0.4},
            "small_sample": "list_apart",
        },
        headers=ADMIN,
    )
    assert scheme.status_code == 201
    ranking = (
        await client.get(f"/v1/rankings?parent=county&period={PERIOD}&scheme=apart", headers=ADMIN)
    ).json()
    order = [(i["org_unit_id"], i["rank"], i["status"]) for i in ranking["items"]]
    assert order == [("town-a", 1, "scored"), ("town-b", None, "insufficient_sample")]
