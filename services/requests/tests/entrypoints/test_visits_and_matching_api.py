"""Visits, their monthly summary, matching candidates, auto-close and the calendar override."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update

from grassroots.contracts.envelope import CloudEvent
from grassroots.contracts.events.members import MemberExited, MemberRegistered
from grassroots.kit.testing.services import RunningService, auth
from grassroots.requests.adapters.orm import requests
from grassroots.requests.entrypoints.subscribers import apply_member_exited, apply_member_state
from grassroots.requests.service.sla import close_stale_resolved

from ..conftest import CITIZEN, COUNTY, VILLAGE, VILLAGE_CADRE, submit

pytestmark = pytest.mark.component


async def feed_member(service: RunningService, event_model: Any, **fields: Any) -> None:
    data = event_model(version=fields.pop("version", 1), occurred_at=datetime.now(UTC), **fields)
    event = CloudEvent(
        id=f"ev-{fields['member_id']}-{data.version}",
        source="/tests",
        type=data.event_type(),
        subject=fields["member_id"],
        data=data.model_dump(mode="json"),
        areacode=VILLAGE,
    )
    handler = apply_member_exited if event_model is MemberExited else apply_member_state
    async with service.runtime.db.transaction() as session:
        await handler(session, event)


async def test_candidates_come_from_the_subtree_ranked(service: RunningService) -> None:
    common = {"stage": "full"}
    await feed_member(
        service,
        MemberRegistered,
        member_id="m-near",
        org_unit_id="u-village",
        skills=["民政"],
        **common,
    )
    await feed_member(
        service,
        MemberRegistered,
        member_id="m-both",
        org_unit_id="u-village",
        skills=["民政", "社会救助"],
        **common,
    )
    await feed_member(
        service,
        MemberRegistered,
        member_id="m-none",
        org_unit_id="u-village",
        skills=["农机"],
        **common,
    )
    # Outside the village's subtree: the township above it.
    await feed_member(
        service,
        MemberRegistered,
        member_id="m-town",
        org_unit_id="u-town",
        skills=["民政"],
        **common,
    )
    await feed_member(
        service,
        MemberRegistered,
        member_id="m-gone",
        org_unit_id="u-village",
        skills=["民政"],
        **common,
    )
    await feed_member(
        service,
        MemberExited,
        member_id="m-gone",
        org_unit_id="u-village",
        reason="deceased",
        version=2,
    )
    rid = (await submit(service))["id"]
    busy = await submit(service)
    await service.client.post(f"/v1/requests/{busy['id']}/accept", headers=VILLAGE_CADRE)
    await service.client.post(
        f"/v1/requests/{busy['id']}/assign",
        json={"handler_member_id": "m-both"},
        headers=VILLAGE_CADRE,
    )
    response = await service.client.get(f"/v1/requests/{rid}/candidates", headers=VILLAGE_CADRE)
    assert response.status_code == 200, response.text
    ranked = response.json()["items"]
    assert [c["member_id"] for c in ranked] == ["m-both", "m-near"]
    assert ranked[0]["open_load"] == 1 and ranked[0]["fit"] == 2
    assert response.json()["next_cursor"] is None
    first = await service.client.get(
        f"/v1/requests/{rid}/candidates?limit=1", headers=VILLAGE_CADRE
    )
    assert [c["member_id"] for c in first.json()["items"]] == ["m-both"]
    second = await service.client.get(
        f"/v1/requests/{rid}/candidates?limit=1&cursor={first.json()['next_cursor']}",
        headers=VILLAGE_CADRE,
    )
    assert [c["member_id"] for c in second.json()["items"]] == ["m-near"]
    assert second.json()["next_cursor"] is None


async def test_a_visit_turns_problems_into_requests_and_counts_in_the_summary(
    service: RunningService,
) -> None:
    body = {
        "visitor_member_id": "m-cadre",
        "kind": "home",
        "household": "王秀兰家",
        "area_code": VILLAGE,
        "notes": "老人独居，行动不便",
        "visited_at": "2026-11-05T10:00:00+08:00",
        "problems": [
            {"service_code": "dibao-proxy", "description": "申请低保", "citizen": CITIZEN},
        ],
    }
    created = await service.client.post("/v1/visits", json=body, headers=VILLAGE_CADRE)
    assert created.status_code == 201, created.text
    (problem_id,) = created.json()["problem_request_ids"]
    problem = (await service.client.get(f"/v1/requests/{problem_id}", headers=VILLAGE_CADRE)).json()
    assert problem["channel"] == "visit"
    for household in ("李家", "李家", "赵家"):
        again = await service.client.post(
            "/v1/visits",
            json={**body, "household": household, "problems": [], "kind": "patrol"},
            headers=VILLAGE_CADRE,
        )
        assert again.status_code == 201
    for action, extra in (("accept", None), ("start", None), ("resolve", {"resolution": "已报送"})):
        await service.client.post(
            f"/v1/requests/{problem_id}/{action}", json=extra, headers=VILLAGE_CADRE
        )
    summary = await service.client.get(
        "/v1/visits/summary",
        params={"org_unit": "u-village", "month": "2026-11"},
        headers=VILLAGE_CADRE,
    )
    assert summary.status_code == 200, summary.text
    data = summary.json()
    assert data["visits"] == 4 and data["problems_found"] == 1 and data["problems_solved"] == 1
    (cadre,) = data["cadres"]
    assert cadre["households"] == 3 and cadre["quota"] == 10 and cadre["quota_met"] is False
    assert cadre["by_kind"] == {"home": 1, "patrol": 3}
    bad = await service.client.post(
        "/v1/visits",
        json={**body, "problems": [{"service_code": "nope", "description": "x"}]},
        headers=VILLAGE_CADRE,
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "problems.0.service_code"


async def test_resolved_requests_close_themselves_after_the_feedback_period(
    service: RunningService,
) -> None:
    rid = (await submit(service))["id"]
    for action, extra in (("accept", None), ("start", None), ("resolve", {"resolution": "已办"})):
        await service.client.post(f"/v1/requests/{rid}/{action}", json=extra, headers=VILLAGE_CADRE)
    ctx = service.app.state.requests
    assert await close_stale_resolved(ctx) == 0
    async with service.runtime.db.transaction() as session:
        await session.execute(
            update(requests)
            .where(requests.c.id == rid)
            .values(resolved_at=datetime.now(UTC) - timedelta(days=8))
        )
    assert await close_stale_resolved(ctx) == 1
    detail = (await service.client.get(f"/v1/requests/{rid}", headers=VILLAGE_CADRE)).json()
    assert detail["status"] == "closed" and detail["history"][-1]["actor"] == "system:sla-scanner"


async def test_an_operator_loads_a_missing_year(service: RunningService) -> None:
    admin = auth("platform_admin")
    before = (await service.client.get("/v1/calendar/2031", headers=admin)).json()
    assert before["covered"] is False
    loaded = await service.client.put(
        "/v1/calendar/2031",
        json={"holidays": ["2031-01-01"], "workdays": ["2031-01-05"]},
        headers=admin,
    )
    assert loaded.status_code == 200, loaded.text
    assert loaded.json() == {
        "year": 2031,
        "covered": True,
        "holidays": ["2031-01-01"],
        "workdays": ["2031-01-05"],
    }
    assert service.app.state.requests.calendar.is_workday(datetime(2031, 1, 5).date())
    wrong = await service.client.put(
        "/v1/calendar/2031", json={"holidays": ["2030-01-01"]}, headers=admin
    )
    assert wrong.status_code == 422
    county = auth("org_admin", org=COUNTY)
    assert (
        await service.client.put("/v1/calendar/2031", json={}, headers=county)
    ).status_code == 403
