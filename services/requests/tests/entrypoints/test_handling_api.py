"""Intake and handling over PostgreSQL and a real NATS: the issue's component must-shows."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from grassroots.contracts.streams import NOTIFY, REQUESTS
from grassroots.kit.testing.servers import NatsServer
from grassroots.kit.testing.services import RunningService, auth, eventually, run_service
from grassroots.requests.service.sla import escalate_overdue_requests

from ..conftest import (
    CITIZEN,
    COUNTY,
    OTHER_VILLAGE,
    TOWN_CADRE,
    VILLAGE,
    VILLAGE_CADRE,
    make_overdue,
    submit,
)

pytestmark = pytest.mark.component

HANDLER = auth("member", org=VILLAGE, sub="member-handler")


async def published(service: RunningService, stream: str, subject: str) -> list[Any]:
    """Every message on `subject` in `stream`, once the outbox is empty."""

    async def drained() -> bool:
        return await service.runtime.relay_backlog() == 0

    await eventually(drained)
    assert service.runtime.nc is not None
    js = service.runtime.nc.jetstream()
    info = await js.stream_info(stream)
    sub = await js.pull_subscribe(subject, stream=stream)
    messages: list[Any] = []
    while len(messages) < info.state.messages:
        try:
            batch = await sub.fetch(100, timeout=1)
        except TimeoutError:
            break
        messages += batch
    await sub.unsubscribe()
    return messages


async def act(
    service: RunningService, request_id: str, action: str, headers: Any, body: Any = None
) -> Any:
    return await service.client.post(
        f"/v1/requests/{request_id}/{action}", json=body, headers=headers
    )


async def test_a_request_is_created_handled_resolved_rated_and_closed(
    service: RunningService,
) -> None:
    created = await submit(service)
    assert created["status"] == "submitted"
    assert created["org_unit_id"] == "u-village"
    assert created["citizen"] == {"name": "王**", "phone": "138****1234"}
    rid = created["id"]
    steps = [
        ("accept", VILLAGE_CADRE, None, "accepted"),
        ("assign", VILLAGE_CADRE, {"handler_member_id": "member-handler"}, "assigned"),
        ("start", HANDLER, None, "in_progress"),
        ("resolve", VILLAGE_CADRE, {"resolution": "材料已报送镇民政办，低保已批"}, "resolved"),
    ]
    for action, headers, body, status in steps:
        response = await act(service, rid, action, headers, body)
        assert response.status_code == 200, (action, response.text)
        assert response.json()["status"] == status
    feedback = await service.client.post(
        f"/v1/requests/{rid}/feedback",
        json={
            "tracking_code": created["tracking_code"],
            "phone_last4": "1234",
            "rating": "satisfied",
        },
    )
    assert feedback.status_code == 200, feedback.text
    assert feedback.json()["rating"] == "satisfied"
    closed = await act(service, rid, "close", VILLAGE_CADRE)
    assert closed.json()["status"] == "closed"

    detail = (await service.client.get(f"/v1/requests/{rid}", headers=VILLAGE_CADRE)).json()
    trail = [(h["version"], h["action"], h["to_status"], h["actor"]) for h in detail["history"]]
    assert trail == [
        (1, "submit", "submitted", "cadre-village"),
        (2, "accept", "accepted", "cadre-village"),
        (3, "assign", "assigned", "cadre-village"),
        (4, "start", "in_progress", "member-handler"),
        (5, "resolve", "resolved", "cadre-village"),
        (6, "feedback", "resolved", "citizen"),
        (7, "close", "closed", "cadre-village"),
    ]
    assert detail["handler_member_id"] == "member-handler"

    events = await published(service, REQUESTS.name, "gr.requests.v1.>")
    mine = [json.loads(m.data) for m in events]
    assert [e["type"] for e in mine] == [
        f"gr.requests.{name}.v1"
        for name in (
            "submitted",
            "accepted",
            "assigned",
            "started",
            "resolved",
            "feedback_given",
            "closed",
        )
    ]
    assert [e["data"]["version"] for e in mine] == [1, 2, 3, 4, 5, 6, 7]
    assert {m.subject.split(".", 4)[4] for m in events} == {"23.03.21.100.201"}
    assert mine[0]["data"]["received_at"] and mine[0]["data"]["channel"] == "window"
    assert mine[2]["data"]["handler_member_id"] == "member-handler"
    for event in mine:
        assert event["data"]["due_at"]
        assert CITIZEN["phone"] not in json.dumps(event) and CITIZEN["name"] not in json.dumps(
            event
        )

    contacts = await published(service, NOTIFY.name, "gr.notify.v1.>")
    contact = json.loads(contacts[0].data)["data"]
    assert contact["recipient_id"] == f"citizen:{rid}"
    assert contact["phone"] == CITIZEN["phone"]
    assert contact["tracking_code"] == created["tracking_code"]


async def test_an_explained_request_shows_the_explanation_to_the_citizen(
    service: RunningService,
) -> None:
    created = await submit(service)
    rid = created["id"]
    await act(service, rid, "accept", VILLAGE_CADRE)
    explanation = "镇民政办本月审核已截止，下月初一并报送"
    response = await act(
        service,
        rid,
        "explain",
        VILLAGE_CADRE,
        {"explanation": explanation, "expected_by": "2099-01-10T10:00:00+08:00"},
    )
    assert response.status_code == 200, response.text
    tracked = await service.client.get(f"/v1/track/{created['tracking_code'].lower()}")
    assert tracked.status_code == 200
    body = tracked.json()
    assert body["status"] == "explained"
    assert body["explanation"] == explanation
    assert body["expected_by"].startswith("2099-01-10T02:00:00")
    assert [s["status"] for s in body["history"]] == ["submitted", "accepted", "explained"]
    text = json.dumps(body, ensure_ascii=False)
    assert CITIZEN["phone"] not in text and "cadre-village" not in text


async def test_reopening_after_an_unsatisfied_rating(service: RunningService) -> None:
    created = await submit(service)
    rid = created["id"]
    for action, body in (("accept", None), ("start", None), ("resolve", {"resolution": "已处理"})):
        assert (await act(service, rid, action, VILLAGE_CADRE, body)).status_code == 200
    wrong_phone = await service.client.post(
        f"/v1/requests/{rid}/feedback",
        json={
            "tracking_code": created["tracking_code"],
            "phone_last4": "0000",
            "rating": "unsatisfied",
        },
    )
    assert wrong_phone.status_code == 404
    response = await service.client.post(
        f"/v1/requests/{rid}/feedback",
        json={
            "tracking_code": created["tracking_code"],
            "phone_last4": "1234",
            "rating": "unsatisfied",
            "comment": "材料还没报上去",
        },
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "reopened"
    detail = (await service.client.get(f"/v1/requests/{rid}", headers=VILLAGE_CADRE)).json()
    assert [h["action"] for h in detail["history"]][-2:] == ["feedback", "reopen"]
    assert detail["rating"] is None and detail["status"] == "reopened"
    assert detail["allowed_actions"] == ["accept", "escalate", "dispatch", "merge"]
    again = await act(service, rid, "accept", VILLAGE_CADRE)
    assert again.json()["status"] == "accepted"


async def test_an_overdue_request_is_escalated_exactly_once_with_two_scanner_replicas(
    service: RunningService, database_url: str, nats_server: Any
) -> None:
    from grassroots.kit.testing.services import run_service
    from grassroots.requests.main import SPEC

    ids = [(await submit(service))["id"] for _ in range(20)]
    for rid in ids:
        await make_overdue(service.runtime, rid)
    async with run_service(
        SPEC, database_url=database_url, nats_url=nats_server.url, requests_run_scanner=False
    ) as replica:
        contexts = [service.app.state.requests, replica.app.state.requests]
        results = await asyncio.gather(
            *(escalate_overdue_requests(ctx) for ctx in contexts for _ in range(3))
        )
    assert sum(r.overdue for r in results) == 20
    assert sum(r.escalated for r in results) == 20
    for rid in ids:
        detail = (await service.client.get(f"/v1/requests/{rid}", headers=TOWN_CADRE)).json()
        actions = [h["action"] for h in detail["history"]]
        assert actions == ["submit", "overdue", "escalate"]
        assert detail["org_unit_id"] == "u-town" and detail["status"] == "escalated"
        assert not detail["overdue"]
    # A later scan finds nothing more: the breach was handled.
    again = await escalate_overdue_requests(service.app.state.requests)
    assert again.overdue == 0
    events = [
        json.loads(m.data) for m in await published(service, REQUESTS.name, "gr.requests.v1.>")
    ]
    escalated = [e for e in events if e["type"] == "gr.requests.escalated.v1"]
    assert len(escalated) == 20
    assert {e["data"]["cause"] for e in escalated} == {"overdue"}
    assert {e["areacode"] for e in escalated} == {"230321100000"}


async def test_the_scanner_runs_on_its_own_in_the_background(
    database_url: str, nats_server: Any
) -> None:
    from grassroots.kit.testing.services import run_service
    from grassroots.requests.main import SPEC

    from ..conftest import ADMIN, ITEM, seed_org_tree

    async with run_service(
        SPEC, database_url=database_url, nats_url=nats_server.url, requests_sla_scan_seconds=0.1
    ) as running:
        await seed_org_tree(running.runtime)
        await running.client.post("/v1/catalog", json=ITEM, headers=ADMIN)
        rid = (await submit(running))["id"]
        await make_overdue(running.runtime, rid)

        async def moved_up() -> bool:
            got = await running.client.get(f"/v1/requests/{rid}", headers=TOWN_CADRE)
            return bool(got.json()["org_unit_id"] == "u-town")

        await eventually(moved_up)
        # The village cadre no longer sees it: it is held above.
        out = await running.client.get(f"/v1/requests/{rid}", headers=VILLAGE_CADRE)
        assert out.status_code == 403


async def test_a_burst_of_public_submissions_gets_429(service: RunningService) -> None:
    body = {
        "service_code": "dibao-proxy",
        "area_code": VILLAGE,
        "description": "网上申请低保",
        "channel": "online",
        "citizen": CITIZEN,
    }
    codes = [(await service.client.post("/v1/requests", json=body)).status_code for _ in range(6)]
    assert codes[:3] == [201, 201, 201]
    assert codes[3:] == [429, 429, 429]
    last = await service.client.post("/v1/requests", json=body)
    assert last.headers["content-type"] == "application/problem+json"
    assert int(last.headers["retry-after"]) >= 1


async def test_public_intake_is_online_only(service: RunningService) -> None:
    body = {
        "service_code": "dibao-proxy",
        "area_code": VILLAGE,
        "description": "x",
        "channel": "window",
        "citizen": CITIZEN,
    }
    assert (await service.client.post("/v1/requests", json=body)).status_code == 401


async def test_an_out_of_scope_cadre_gets_403(service: RunningService) -> None:
    created = await submit(service)
    neighbour = auth("cadre", org=OTHER_VILLAGE, sub="cadre-other")
    assert (await act(service, created["id"], "accept", neighbour)).status_code == 403
    assert (
        await service.client.get(f"/v1/requests/{created['id']}", headers=neighbour)
    ).status_code == 403
    body = {
        "service_code": "dibao-proxy",
        "area_code": VILLAGE,
        "description": "代报",
        "channel": "hotline",
        "citizen": CITIZEN,
    }
    assert (
        await service.client.post("/v1/requests", json=body, headers=neighbour)
    ).status_code == 403
    listed = (await service.client.get("/v1/requests", headers=neighbour)).json()
    assert listed["items"] == []


async def test_illegal_transitions_are_409_and_change_nothing(service: RunningService) -> None:
    created = await submit(service)
    rid = created["id"]
    response = await act(service, rid, "resolve", VILLAGE_CADRE, {"resolution": "done"})
    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    detail = (await service.client.get(f"/v1/requests/{rid}", headers=VILLAGE_CADRE)).json()
    assert detail["version"] == 1 and detail["status"] == "submitted"
    county_admin = auth("cadre", org=COUNTY, sub="cadre-county")
    await act(service, rid, "escalate", VILLAGE_CADRE, {"reason": "村里解决不了"})
    await act(service, rid, "escalate", TOWN_CADRE, {"reason": "镇里也解决不了"})
    top = await act(service, rid, "escalate", county_admin, {"reason": "再往上"})
    assert top.status_code == 409


async def test_bad_input_is_422_naming_the_field(service: RunningService) -> None:
    too_long = await service.client.post(
        "/v1/requests",
        json={
            "service_code": "dibao-proxy",
            "area_code": VILLAGE,
            "description": "长" * 4001,
            "citizen": CITIZEN,
        },
        headers=VILLAGE_CADRE,
    )
    assert too_long.status_code == 422
    assert [e["field"] for e in too_long.json()["errors"]] == ["description"]
    unknown = await submit_raw(service, service_code="nope")
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "service_code"
    anonymous = await submit_raw(service, anonymous=True, citizen=None)
    assert anonymous.status_code == 422 and anonymous.json()["errors"][0]["field"] == "anonymous"
    listed = (await service.client.get("/v1/requests", headers=VILLAGE_CADRE)).json()
    assert listed["items"] == []


async def submit_raw(service: RunningService, **overrides: Any) -> Any:
    body = {
        "service_code": "dibao-proxy",
        "area_code": VILLAGE,
        "description": "申请",
        "channel": "window",
        "citizen": CITIZEN,
        **overrides,
    }
    return await service.client.post("/v1/requests", json=body, headers=VILLAGE_CADRE)


async def test_only_the_handler_or_the_acceptor_may_start(service: RunningService) -> None:
    rid = (await submit(service))["id"]
    await act(service, rid, "accept", VILLAGE_CADRE)
    stranger = auth("member", org=VILLAGE, sub="someone-else")
    assert (await act(service, rid, "start", stranger)).status_code == 403
    started = await act(service, rid, "start", VILLAGE_CADRE)
    assert started.json()["handler_member_id"] == "cadre-village"


async def test_the_named_handler_resolves_without_a_cadre_role(service: RunningService) -> None:
    rid = (await submit(service))["id"]
    await act(service, rid, "accept", VILLAGE_CADRE)
    await act(service, rid, "assign", VILLAGE_CADRE, {"handler_member_id": "member-9"})
    handler = auth("member", org=VILLAGE, sub="member-9")
    stranger = auth("member", org=VILLAGE, sub="member-10")
    assert (await act(service, rid, "start", handler)).status_code == 200
    body = {"resolution": "修好了"}
    assert (await act(service, rid, "resolve", stranger, body)).status_code == 403
    assert (await act(service, rid, "reopen", handler, {"reason": "x"})).status_code == 403
    resolved = await act(service, rid, "resolve", handler, body)
    assert resolved.status_code == 200
    assert resolved.json()["status"] == "resolved"


async def test_reading_the_contact_is_logged(service: RunningService) -> None:
    from sqlalchemy import select

    from grassroots.requests.adapters.orm import personal_data_reads

    rid = (await submit(service))["id"]
    response = await service.client.get(
        f"/v1/requests/{rid}/contact", params={"purpose": "电话回访"}, headers=VILLAGE_CADRE
    )
    assert response.json() == CITIZEN
    async with service.runtime.db.read_only() as session:
        reads = (await session.execute(select(personal_data_reads))).all()
    assert [(r.reader, r.purpose) for r in reads] == [("cadre-village", "电话回访")]


async def test_an_appointment_outside_working_hours_and_door_to_door(
    service: RunningService,
) -> None:
    # Saturday evening: 预约服务 outside office hours, and the agent comes to the house.
    slot = {"start": "2026-12-05T18:30:00+08:00", "end": "2026-12-05T20:00:00+08:00"}
    created = await submit(service, appointment=slot, door_to_door=True)
    assert created["door_to_door"] is True
    start = datetime.fromisoformat(created["appointment"]["start"])
    assert start == datetime(2026, 12, 5, 10, 30, tzinfo=UTC)
    stored = (
        await service.client.get(f"/v1/requests/{created['id']}", headers=VILLAGE_CADRE)
    ).json()
    assert datetime.fromisoformat(stored["appointment"]["start"]) == start
    reversed_slot = {"start": slot["end"], "end": slot["start"]}
    refused = await submit_raw(service, appointment=reversed_slot)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "appointment.end"


async def test_business_metrics_are_exposed(service: RunningService) -> None:
    await submit(service)
    text = (await service.client.get("/metrics")).text
    assert 'gr_requests_intake_total{channel="window"}' in text
    assert "gr_requests_time_to_accept_seconds_bucket" in text
    assert "gr_requests_sla_scan_lag_seconds" in text


async def test_the_scanner_honours_the_area_filter(service: RunningService) -> None:
    import dataclasses

    from grassroots.requests.service.context import RequestsContext

    rid = (await submit(service))["id"]
    await make_overdue(service.runtime, rid)
    ctx: RequestsContext = service.app.state.requests

    def narrowed(area_filter: str) -> RequestsContext:
        settings = ctx.settings.model_copy(update={"area_filter": area_filter})
        return dataclasses.replace(ctx, settings=settings)

    assert (await escalate_overdue_requests(narrowed("23.03.22"))).overdue == 0
    assert (await escalate_overdue_requests(narrowed("23.03.21.100"))).escalated == 1


async def test_a_catalogue_change_applies_to_the_very_next_intake(service: RunningService) -> None:
    from ..conftest import ADMIN, ITEM

    await submit(service)  # the item is now in intake's lookup cache
    changed = {**ITEM, "active": False}
    response = await service.client.put(
        f"/v1/catalog/{COUNTY}/dibao-proxy", json=changed, headers=ADMIN
    )
    assert response.status_code == 200, response.text
    refused = await service.client.post(
        "/v1/requests",
        json={
            "service_code": "dibao-proxy",
            "area_code": VILLAGE,
            "description": "再次申请",
            "channel": "window",
            "citizen": CITIZEN,
        },
        headers=VILLAGE_CADRE,
    )
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["field"] == "service_code"


async def test_a_unit_created_later_takes_the_requests_of_its_area_at_once(
    service: RunningService,
) -> None:
    import nats

    from grassroots.contracts.envelope import CloudEvent
    from grassroots.contracts.events.members import OrgUnitCreated

    new_village = "230321100203"
    body = {
        "service_code": "dibao-proxy",
        "area_code": new_village,
        "description": "新村的低保申请",
        "channel": "window",
        "citizen": CITIZEN,
    }
    first = await service.client.post("/v1/requests", json=body, headers=TOWN_CADRE)
    assert first.status_code == 201, first.text
    # No unit serves the new village yet: its township holds the request.
    assert first.json()["org_unit_id"] == "u-town"

    data = OrgUnitCreated(
        org_unit_id="u-new",
        name="新建村党支部",
        area_code=new_village,
        tier="village",
        kind="branch",
        domain="rural",
        parent_id="u-town",
        version=1,
        occurred_at=datetime.now(UTC),
    )
    event = CloudEvent(
        id="new-village-unit",
        source="/tests",
        type=data.event_type(),
        subject="u-new",
        data=data.model_dump(mode="json"),
        areacode=new_village,
    )
    nc = await nats.connect(service.runtime.settings.nats_url)
    try:
        await nc.jetstream().publish(data.subject_for(new_village), event.to_json_bytes())
    finally:
        await nc.close()

    async def replica_knows_it() -> bool:
        listed = await service.client.get("/v1/org-tree?limit=100", headers=TOWN_CADRE)
        return any(u["id"] == "u-new" for u in listed.json()["items"])

    await eventually(replica_knows_it)
    second = await service.client.post("/v1/requests", json=body, headers=TOWN_CADRE)
    assert second.status_code == 201, second.text
    assert second.json()["org_unit_id"] == "u-new"


async def test_look_ups_by_tracking_code_are_rate_limited(
    database_url: str, nats_server: NatsServer
) -> None:
    from grassroots.requests.main import SPEC

    from ..conftest import ADMIN, ITEM, seed_org_tree

    async with run_service(
        SPEC,
        database_url=database_url,
        nats_url=nats_server.url,
        requests_run_scanner=False,
        requests_lookup_burst=3,
        requests_lookup_per_minute=1,
    ) as running:
        await seed_org_tree(running.runtime)
        await running.client.post("/v1/catalog", json=ITEM, headers=ADMIN)
        made = await submit(running)
        code = made["tracking_code"]
        for _ in range(2):
            assert (await running.client.get(f"/v1/track/{code}")).status_code == 200
        # Guessing the phone's last four digits draws on the same allowance.
        guess = {"tracking_code": code, "phone_last4": "0000", "rating": "satisfied"}
        wrong = await running.client.post(f"/v1/requests/{made['id']}/feedback", json=guess)
        assert wrong.status_code != 429
        for _ in range(2):
            refused = await running.client.post(f"/v1/requests/{made['id']}/feedback", json=guess)
            assert refused.status_code == 429
            assert refused.headers["content-type"] == "application/problem+json"
        assert (await running.client.get(f"/v1/track/{code}")).status_code == 429
        # Cadres working with a token are not held back by it.
        held = await running.client.get(f"/v1/requests/{made['id']}", headers=VILLAGE_CADRE)
        assert held.status_code == 200


async def test_contacts_are_sealed_and_fernet_rows_of_earlier_releases_still_read(
    service: RunningService,
) -> None:
    import base64
    import hashlib

    from cryptography.fernet import Fernet
    from sqlalchemy import select, update

    from grassroots.requests.adapters.orm import requests

    rid = (await submit(service))["id"]
    async with service.runtime.db.read_only() as session:
        row = (await session.execute(select(requests).where(requests.c.id == rid))).one()
    assert bytes(row.citizen_phone_enc).startswith(b"v1:data:")
    assert CITIZEN["phone"].encode() not in bytes(row.citizen_phone_enc)
    # A row written before the key ring: Fernet under the development key of that release.
    secret = service.runtime.settings.jwt_secret
    digest = hashlib.sha256(b"grassroots-requests-data:" + secret.encode()).digest()
    fernet = Fernet(base64.urlsafe_b64encode(digest))
    async with service.runtime.db.transaction() as session:
        await session.execute(
            update(requests)
            .where(requests.c.id == rid)
            .values(
                citizen_name_enc=fernet.encrypt("李四".encode()),
                citizen_phone_enc=fernet.encrypt(b"13900001111"),
            )
        )
    response = await service.client.get(
        f"/v1/requests/{rid}/contact", params={"purpose": "电话回访"}, headers=VILLAGE_CADRE
    )
    assert response.json() == {"name": "李四", "phone": "13900001111"}
    shown = (await service.client.get(f"/v1/requests/{rid}", headers=VILLAGE_CADRE)).json()
    assert shown["citizen"] == {"name": "李*", "phone": "139****1111"}


async def test_concurrent_intakes_each_land_once_with_their_history_and_events(
    service: RunningService,
) -> None:
    from sqlalchemy import func, select

    from grassroots.requests.adapters.orm import history, requests

    count = 80
    answers = await asyncio.gather(
        *(submit(service, description=f"同时提交的第{n}件诉求") for n in range(count))
    )
    ids = {a["id"] for a in answers}
    codes = {a["tracking_code"] for a in answers}
    assert len(ids) == len(codes) == count
    async with service.runtime.db.read_only() as session:
        rows = await session.scalar(
            select(func.count()).select_from(requests).where(requests.c.id.in_(ids))
        )
        entries = await session.scalar(
            select(func.count()).select_from(history).where(history.c.request_id.in_(ids))
        )
    assert rows == entries == count
    submitted = await published(service, REQUESTS.name, "gr.requests.v1.submitted.>")
    announced = [json.loads(m.data)["data"]["request_id"] for m in submitted]
    assert sorted(announced) == sorted(ids)
    contacts = await published(service, NOTIFY.name, "gr.notify.v1.>")
    assert {json.loads(m.data)["data"]["request_id"] for m in contacts} >= ids
    # Each answer can be tracked by its own code and shows its own description.
    for answer in answers[:5]:
        tracked = await service.client.get(f"/v1/track/{answer['tracking_code']}")
        assert tracked.json()["id"] == answer["id"]
