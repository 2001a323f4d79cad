"""Dispatch, return, waiting, extensions, helpers, chasing, callbacks: PostgreSQL and NATS."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update

from grassroots.contracts.streams import REQUESTS
from grassroots.contracts.timezone import platform_zone
from grassroots.kit.testing.services import RunningService, auth
from grassroots.requests.adapters.orm import requests
from grassroots.requests.domain.calendar import WorkCalendar, due_at
from grassroots.requests.service.chasing import chase_due_requests, supervise_breaches
from grassroots.requests.service.context import RequestsContext
from grassroots.requests.service.dispatching import resume_expired_waits
from grassroots.requests.service.sla import escalate_overdue_requests

from ..conftest import ADMIN, COUNTY, ITEM, TOWN_CADRE, VILLAGE, VILLAGE_CADRE, make_overdue, submit
from .test_handling_api import act, published

CHINA = platform_zone()
pytestmark = pytest.mark.component

OTHER_CADRE = auth("cadre", org="230321100202", sub="cadre-other")
COUNTY_CADRE = auth("cadre", org=COUNTY, sub="cadre-county")
PLATFORM = auth("platform_admin", sub="ops")


def ctx_of(service: RunningService) -> RequestsContext:
    ctx: RequestsContext = service.app.state.requests
    return ctx


async def events_of(service: RunningService, request_id: str) -> list[dict[str, Any]]:
    messages = await published(service, REQUESTS.name, "gr.requests.v1.>")
    mine = [json.loads(m.data) for m in messages]
    return [e for e in mine if e["subject"] == request_id]


async def township_request(service: RunningService) -> dict[str, Any]:
    """A request for an item the township handles, raised in the village."""
    item = {**ITEM, "code": "road-repair", "name": "村道维修", "handling_tier": "township"}
    created = await service.client.post("/v1/catalog", json=item, headers=ADMIN)
    assert created.status_code in (201, 409), created.text
    return await submit(service, service_code="road-repair", description="村口道路塌陷")


async def set_columns(service: RunningService, request_id: str, **values: Any) -> None:
    async with service.runtime.db.transaction() as session:
        await session.execute(update(requests).where(requests.c.id == request_id).values(**values))


async def test_a_request_dispatched_to_the_wrong_village_is_returned_redispatched_and_resolved(
    service: RunningService,
) -> None:
    created = await township_request(service)
    rid = created["id"]
    assert created["org_unit_id"] == "u-town"
    assert (await act(service, rid, "accept", TOWN_CADRE)).status_code == 200
    sent = await act(
        service, rid, "dispatch", TOWN_CADRE, {"org_unit_id": "u-other", "reason": "属地"}
    )
    assert sent.status_code == 200, sent.text
    assert sent.json()["status"] == "dispatched" and sent.json()["org_unit_id"] == "u-other"
    assert sent.json()["dispatcher_unit_id"] == "u-town" and sent.json()["sign_by"]
    due_before = datetime.fromisoformat(sent.json()["due_at"])
    # Not the receiving unit's to work on until it signs: the village beside it cannot touch it.
    assert (await act(service, rid, "accept", VILLAGE_CADRE)).status_code == 403
    back = await act(
        service, rid, "return", OTHER_CADRE, {"reason": "wrong_area", "note": "不属本村"}
    )
    assert back.status_code == 200, back.text
    assert back.json()["status"] == "returned" and back.json()["org_unit_id"] == "u-town"
    bad = await act(service, rid, "return-decision", TOWN_CADRE, {"decision": "maybe"})
    assert bad.status_code == 422
    upheld = await act(service, rid, "return-decision", TOWN_CADRE, {"decision": "upheld"})
    assert upheld.status_code == 200, upheld.text
    assert upheld.json()["status"] == "accepted" and upheld.json()["org_unit_id"] == "u-town"
    # The time the wrong village held it is given back, never taken.
    assert datetime.fromisoformat(upheld.json()["due_at"]) >= due_before
    again = await act(
        service, rid, "dispatch", TOWN_CADRE, {"org_unit_id": "u-village", "reason": "属地"}
    )
    assert again.status_code == 200, again.text
    for action, body in (("accept", None), ("start", None), ("resolve", {"resolution": "已修复"})):
        response = await act(service, rid, action, VILLAGE_CADRE, body)
        assert response.status_code == 200, (action, response.text)
    assert response.json()["status"] == "resolved" and response.json()["org_unit_id"] == "u-village"

    events = await events_of(service, rid)
    names = [e["type"].split(".")[2] for e in events]
    assert names == [
        "submitted",
        "accepted",
        "dispatched",
        "returned",
        "return_decided",
        "dispatched",
        "accepted",
        "started",
        "resolved",
    ]
    returned = events[3]["data"]
    assert returned["returning_org_unit_id"] == "u-other" and returned["reason"] == "wrong_area"
    assert events[4]["data"]["decision"] == "upheld"
    assert events[2]["areacode"] == "230321100202" and events[5]["areacode"] == VILLAGE
    assert [e["data"]["version"] for e in events] == list(range(1, 10))


async def test_a_rejected_return_goes_back_signed_for_and_a_late_return_is_refused(
    service: RunningService,
) -> None:
    rid = (await township_request(service))["id"]
    await act(service, rid, "dispatch", TOWN_CADRE, {"org_unit_id": "u-other", "reason": "属地"})
    await act(service, rid, "return", OTHER_CADRE, {"reason": "not_our_duty"})
    rejected = await act(
        service, rid, "return-decision", TOWN_CADRE, {"decision": "rejected", "note": "属本村职责"}
    )
    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["status"] == "accepted" and rejected.json()["org_unit_id"] == "u-other"

    late = (await township_request(service))["id"]
    await act(service, late, "dispatch", TOWN_CADRE, {"org_unit_id": "u-other", "reason": "属地"})
    await set_columns(service, late, sign_by=datetime(2020, 1, 1, tzinfo=UTC))
    refused = await act(service, late, "return", OTHER_CADRE, {"reason": "unclear"})
    assert refused.status_code == 409, refused.text
    # Only a unit below or a department: a unit beside the holder is no dispatch target.
    sideways = await act(
        service, late, "dispatch", OTHER_CADRE, {"org_unit_id": "u-village", "reason": "x"}
    )
    assert sideways.status_code in (409, 422)


async def test_a_co_handled_request_cannot_resolve_with_an_open_helper_task(
    service: RunningService,
) -> None:
    rid = (await submit(service))["id"]
    await act(service, rid, "accept", VILLAGE_CADRE)
    await act(service, rid, "start", VILLAGE_CADRE)
    due = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    added = await act(
        service,
        rid,
        "co-handlers",
        VILLAGE_CADRE,
        {"org_unit_id": "u-other", "task": "核实邻村户籍", "due_at": due},
    )
    assert added.status_code == 201, added.text
    task_id = added.json()["id"]
    second = await act(
        service,
        rid,
        "co-handlers",
        VILLAGE_CADRE,
        {"org_unit_id": "u-town", "task": "民政办审核", "due_at": due},
    )
    blocked = await act(service, rid, "resolve", VILLAGE_CADRE, {"resolution": "已办"})
    assert blocked.status_code == 409, blocked.text
    # The lead may not report the helper's work; the helper's own cadre does.
    assert (
        await act(service, rid, f"co-handlers/{task_id}/done", VILLAGE_CADRE, {"note": "x"})
    ).status_code == 403
    done = await act(service, rid, f"co-handlers/{task_id}/done", OTHER_CADRE, {"note": "已核实"})
    assert done.status_code == 200 and done.json()["status"] == "done"
    assert (
        await act(service, rid, f"co-handlers/{task_id}/score", VILLAGE_CADRE, {"score": 6})
    ).status_code == 422
    scored = await act(service, rid, f"co-handlers/{task_id}/score", VILLAGE_CADRE, {"score": 4})
    assert scored.status_code == 200 and scored.json()["score"] == 4
    still = await act(service, rid, "resolve", VILLAGE_CADRE, {"resolution": "已办"})
    assert still.status_code == 409
    closed = await act(
        service,
        rid,
        f"co-handlers/{second.json()['id']}/close",
        VILLAGE_CADRE,
        {"reason": "镇里已直接办理"},
    )
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    resolved = await act(service, rid, "resolve", VILLAGE_CADRE, {"resolution": "已办"})
    assert resolved.status_code == 200, resolved.text
    listed = await service.client.get(f"/v1/requests/{rid}/co-handlers", headers=OTHER_CADRE)
    assert [t["id"] for t in listed.json()["items"]] == [task_id]
    names = [e["type"].split(".")[2] for e in await events_of(service, rid)]
    assert names.count("co_handler_added") == 2 and names.count("co_task_done") == 2
    assert "co_task_scored" in names and names[-1] == "resolved"


async def test_a_paused_request_does_not_breach_and_resumes_with_the_time_it_had_left(
    service: RunningService,
) -> None:
    ctx = ctx_of(service)
    paused = (await submit(service))["id"]
    control = (await submit(service))["id"]
    for rid in (paused, control):
        await act(service, rid, "accept", VILLAGE_CADRE)
    waiting = await act(service, paused, "wait", VILLAGE_CADRE, {"reason": "等待补交收入证明"})
    assert waiting.status_code == 200, waiting.text
    assert waiting.json()["status"] == "waiting" and waiting.json()["paused_until"]
    assert (
        await act(service, paused, "resolve", VILLAGE_CADRE, {"resolution": "x"})
    ).status_code == 409
    for rid in (paused, control):
        await make_overdue(service.runtime, rid)
    result = await escalate_overdue_requests(ctx)
    assert result.overdue == 1
    detail = (await service.client.get(f"/v1/requests/{paused}", headers=VILLAGE_CADRE)).json()
    assert detail["status"] == "waiting" and not detail["overdue"]
    resumed = await act(service, paused, "resume", VILLAGE_CADRE)
    assert resumed.status_code == 200, resumed.text
    assert resumed.json()["status"] == "accepted"
    # The due time comes from the history (five working days less the little used), not the
    # column the test pushed into the past.
    assert datetime.fromisoformat(resumed.json()["due_at"]) > datetime.now(UTC) + timedelta(days=4)

    again = await act(service, paused, "wait", VILLAGE_CADRE, {"reason": "联系不上"})
    assert again.status_code == 200
    await set_columns(service, paused, paused_until=datetime(2020, 1, 1, tzinfo=UTC))
    assert await resume_expired_waits(ctx) == 1
    names = [e["type"].split(".")[2] for e in await events_of(service, paused)]
    assert names == ["submitted", "accepted", "waiting", "resumed", "waiting", "resumed"]
    last = (await events_of(service, paused))[-1]["data"]
    assert last["cause"] == "timeout" and last["status"] == "accepted"


async def test_an_approved_extension_moves_the_due_time_and_is_counted(
    service: RunningService,
) -> None:
    rid = (await submit(service))["id"]
    accepted = await act(service, rid, "accept", VILLAGE_CADRE)
    due = datetime.fromisoformat(accepted.json()["due_at"])
    wanted = (due + timedelta(days=7)).isoformat()
    asked = await act(
        service, rid, "extension", VILLAGE_CADRE, {"due_at": wanted, "reason": "需县民政局审批"}
    )
    assert asked.status_code == 201, asked.text
    assert asked.json()["status"] == "pending"
    ext = asked.json()["id"]
    # The holding unit does not approve its own extension; the unit above does.
    assert (await act(service, rid, f"extension/{ext}/approve", VILLAGE_CADRE)).status_code == 403
    approved = await act(service, rid, f"extension/{ext}/approve", TOWN_CADRE, {"note": "同意"})
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    detail = (await service.client.get(f"/v1/requests/{rid}", headers=VILLAGE_CADRE)).json()
    assert datetime.fromisoformat(detail["due_at"]) == datetime.fromisoformat(wanted)
    assert detail["extensions"] == 1 and not detail["overdue"]
    assert (await act(service, rid, f"extension/{ext}/reject", TOWN_CADRE)).status_code == 409

    late = (await submit(service))["id"]
    await make_overdue(service.runtime, late)
    refused = await act(
        service, late, "extension", VILLAGE_CADRE, {"due_at": wanted, "reason": "x"}
    )
    assert refused.status_code == 409
    decided = [
        e for e in await events_of(service, rid) if e["type"].endswith("extension_decided.v1")
    ]
    assert decided[0]["data"]["decision"] == "approved"
    assert datetime.fromisoformat(decided[0]["data"]["due_at"]) == datetime.fromisoformat(wanted)


async def test_reminders_before_the_due_time_supervision_after_a_breach_and_repeat_offenders(
    service: RunningService,
) -> None:
    ctx = ctx_of(service)
    soon = (await submit(service))["id"]
    await set_columns(service, soon, chase_at=datetime(2020, 1, 1, tzinfo=UTC))
    assert await chase_due_requests(ctx) == 1
    assert await chase_due_requests(ctx) == 0
    late = [(await submit(service))["id"] for _ in range(2)]
    for rid in late:
        await make_overdue(service.runtime, rid)
    await escalate_overdue_requests(ctx)
    # Not on the day of the breach; the day after, once.
    assert await supervise_breaches(ctx) == 0
    tomorrow = datetime.now(UTC) + timedelta(days=1)
    assert await supervise_breaches(ctx, now=tomorrow) == 2
    assert await supervise_breaches(ctx, now=tomorrow) == 0
    supervised = [
        e for e in await events_of(service, late[0]) if e["type"].endswith("supervised.v1")
    ]
    assert supervised[0]["data"]["breached_org_unit_id"] == "u-village"
    assert supervised[0]["data"]["supervising_org_unit_id"] == "u-town"
    assert [e["type"].split(".")[2] for e in await events_of(service, soon)][-1] == "chased"

    month = datetime.now(CHINA).strftime("%Y-%m")
    listed = await service.client.get(
        f"/v1/breaches/repeated?county={COUNTY}&month={month}", headers=COUNTY_CADRE
    )
    assert listed.status_code == 200, listed.text
    assert listed.json()["items"] == [{"org_unit_id": "u-village", "breaches": 2}]
    outside = await service.client.get(
        f"/v1/breaches/repeated?county=110101000000&month={month}", headers=COUNTY_CADRE
    )
    assert outside.status_code == 403


async def test_callbacks_count_as_feedback_and_three_misses_are_unreachable(
    service: RunningService,
) -> None:
    rids = []
    for _ in range(2):
        rid = (await submit(service))["id"]
        for action, body in (
            ("accept", None),
            ("start", None),
            ("resolve", {"resolution": "已办"}),
        ):
            await act(service, rid, action, VILLAGE_CADRE, body)
        rids.append(rid)
    reached = await act(
        service,
        rids[0],
        "callback",
        COUNTY_CADRE,
        {"reached": True, "rating": "satisfied", "comment": "挺好"},
    )
    assert reached.status_code == 201, reached.text
    assert reached.json()["outcome"] == "reached"
    detail = (await service.client.get(f"/v1/requests/{rids[0]}", headers=VILLAGE_CADRE)).json()
    assert detail["rating"] == "satisfied"
    assert detail["history"][-1]["actor"] == "cadre-county"
    assert (
        await act(service, rids[1], "callback", VILLAGE_CADRE, {"reached": False})
    ).status_code == 403
    outcomes = [
        (await act(service, rids[1], "callback", COUNTY_CADRE, {"reached": False})).json()[
            "outcome"
        ]
        for _ in range(3)
    ]
    assert outcomes == ["not_reached", "not_reached", "unreachable"]
    assert (
        await act(service, rids[1], "callback", COUNTY_CADRE, {"reached": False})
    ).status_code == 409
    names = [e["type"].split(".")[2] for e in await events_of(service, rids[0])]
    assert names[-2:] == ["callback_recorded", "feedback_given"]


async def test_a_calendar_change_recomputes_the_due_times_of_open_requests(
    service: RunningService,
) -> None:
    created = await submit(service)
    received = datetime.fromisoformat(created["received_at"])
    due = datetime.fromisoformat(created["due_at"])
    holiday: date = due.astimezone(CHINA).date()
    response = await service.client.put(
        f"/v1/calendar/{holiday.year}", json={"holidays": [holiday.isoformat()]}, headers=PLATFORM
    )
    assert response.status_code == 200, response.text
    detail = (
        await service.client.get(f"/v1/requests/{created['id']}", headers=VILLAGE_CADRE)
    ).json()
    expected = due_at(received, timedelta(days=5), "workdays", WorkCalendar({holiday: False}))
    assert datetime.fromisoformat(detail["due_at"]) == expected
    assert expected > due
