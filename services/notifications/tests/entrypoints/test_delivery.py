"""Delivery over real NATS, PostgreSQL and HTTP: once per event, retries, quiet hours,
opt-outs, erasure, email over SMTP."""

from __future__ import annotations

import asyncio
import email
import email.policy
from datetime import UTC, datetime
from types import ModuleType
from typing import Any

import httpx
import nats
import pytest
from aiosmtpd.controller import Controller

from grassroots.contracts.envelope import CloudEvent
from grassroots.contracts.events import requests as req
from grassroots.kit.testing.servers import NatsServer, free_port
from grassroots.kit.testing.services import auth
from grassroots.notifications.adapters.channels import Outgoing, SmsGatewayChannel
from grassroots.notifications.adapters.orm import notifications as n

pytestmark = pytest.mark.component

REQUEST = "req-0001"
CITIZEN = f"citizen:{REQUEST}"


def request_event(model: type[req._RequestEvent], version: int, **extra: Any) -> Any:
    """A request event for REQUEST held by the village unit unless told otherwise."""
    values: dict[str, Any] = {
        "request_id": REQUEST,
        "org_unit_id": "u-village",
        "area_code": "230321100201",
        "service_code": "hukou",
        "status": "submitted",
        "due_at": datetime(2026, 11, 25, 9, 0, tzinfo=UTC),
        "version": version,
        "occurred_at": datetime.now(UTC),
    }
    values.update(extra)
    return model(**values)


async def tree(h: ModuleType, publisher: Any) -> None:
    """County, township and village units."""
    await publisher.unit("u-county", h.COUNTY, "county")
    await publisher.unit("u-town", h.TOWNSHIP, "township", "u-county")
    await publisher.unit("u-village", h.VILLAGE, "village", "u-town")


async def sink(svc: Any) -> list[dict[str, Any]]:
    """What the development SMS sink recorded."""
    answer = await svc.client.get("/dev/sms-sink", params={"limit": 500}, headers=auth())
    assert answer.status_code == 200
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


async def stream_events(nats_url: str, event: str) -> list[CloudEvent]:
    """Every gr.notifications event of one kind on the stream so far."""
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        sub = await js.pull_subscribe(f"gr.notifications.v1.{event}.>", stream="GR_NOTIFICATIONS")
        out: list[CloudEvent] = []
        while True:
            try:
                batch = await sub.fetch(100, timeout=0.5)
            except (nats.errors.TimeoutError, TimeoutError):
                return out
            out += [CloudEvent.from_json_bytes(m.data) for m in batch]
    finally:
        await nc.close()


async def test_a_requests_life_notifies_each_party_once_even_when_every_event_comes_twice(
    h: ModuleType, start_notifications: Any, publisher: Any, nats_server: NatsServer
) -> None:
    await tree(h, publisher)
    await publisher.member("m-handler", "u-village", h.VILLAGE, ["handler"])
    await publisher.member("m-super", "u-county", h.COUNTY, ["supervisor"])
    await publisher.member("m-bystander", "u-county", h.COUNTY, [])
    await publisher.contact(
        CITIZEN, h.VILLAGE, phone="13800001234", tracking_code="JD7K2M9Q", request_id=REQUEST
    )
    await publisher.contact("member:m-handler", h.VILLAGE, phone="13900005678")
    async with start_notifications() as svc:
        await svc.contacts_stored(2)
        await h.settle(lambda: _members_ready(svc, 3))
        life = [
            request_event(req.RequestSubmitted, 1, channel="proxy_point", received_at=svc.clock()),
            request_event(req.RequestAccepted, 2, status="accepted"),
            request_event(req.RequestAssigned, 3, status="assigned", handler_member_id="m-handler"),
            request_event(
                req.RequestEscalated,
                4,
                status="escalated",
                org_unit_id="u-county",
                from_org_unit_id="u-village",
                cause="manual",
            ),
            request_event(req.RequestOverdue, 5, status="escalated", org_unit_id="u-county"),
            request_event(req.RequestExplained, 6, status="explained", org_unit_id="u-county"),
            request_event(req.RequestResolved, 7, status="resolved", org_unit_id="u-county"),
        ]
        for data in life:
            await publisher.publish(data, h.VILLAGE, twice=True)

        async def all_out() -> bool:
            done = await svc.count(n.c.request_id == REQUEST, n.c.status.in_(("sent", "delivered")))
            return bool(done >= 9)

        await h.settle(all_out)
        await asyncio.sleep(1.0)  # let any duplicate surface before counting
        rows = await svc.rows(n.c.request_id == REQUEST)
        got = sorted((r.rule, r.recipient_id, r.channel, r.status) for r in rows)
        assert got == sorted(
            [
                ("citizen_submitted", CITIZEN, "sms", "sent"),
                ("citizen_accepted", CITIZEN, "sms", "sent"),
                ("citizen_escalated", CITIZEN, "sms", "sent"),
                ("citizen_explained", CITIZEN, "sms", "sent"),
                ("citizen_resolved", CITIZEN, "sms", "sent"),
                ("handler_assigned", "member:m-handler", "inbox", "delivered"),
                ("handler_assigned", "member:m-handler", "sms", "sent"),
                ("supervisor_escalated", "member:m-super", "inbox", "delivered"),
                ("supervisor_overdue", "member:m-super", "inbox", "delivered"),
            ]
        )
        texts = [m["text"] for m in await sink(svc)]
        assert len(texts) == 6
        assert "您的诉求已登记，查询码JD7K2M9Q，承诺办结时间2026-11-25 17:00。" in texts
        assert any("欢迎凭查询码对办理结果进行评价" in t for t in texts)
        assert all(m["to_masked"] in ("138****1234", "139****5678") for m in await sink(svc))

        staff = await svc.client.get(
            "/v1/notifications", params={"request_id": REQUEST}, headers=h.STAFF
        )
        assert staff.status_code == 200
        assert len(staff.json()["items"]) == 9
        assert "13800001234" not in staff.text

        inbox = await svc.client.get("/v1/inbox", headers=auth("member", h.COUNTY, "m-super"))
        subjects = sorted(i["subject"] for i in inbox.json()["items"])
        assert subjects == ["诉求上报提醒", "诉求超时督办"]
        first = inbox.json()["items"][0]["id"]
        read = await svc.client.post(
            f"/v1/inbox/{first}/read", headers=auth("member", h.COUNTY, "m-super")
        )
        assert read.status_code == 200
        assert read.json()["read_at"] is not None
        stranger = await svc.client.post(
            f"/v1/inbox/{first}/read", headers=auth("member", h.COUNTY, "m-bystander")
        )
        assert stranger.status_code == 404
        assert await svc.count(n.c.recipient_id == "member:m-bystander") == 0

        async def nine_sent_events() -> bool:
            return len(await stream_events(nats_server.url, "sent")) == 9

        await h.settle(nine_sent_events)
        sent = await stream_events(nats_server.url, "sent")
        assert {e.areacode for e in sent} <= {h.VILLAGE, h.COUNTY}
        assert all("13800001234" not in e.model_dump_json() for e in sent)


async def _sent(svc: Any, count: int) -> bool:
    return bool(await svc.count(n.c.status == "sent") >= count)


async def _members_ready(svc: Any, count: int) -> bool:
    return bool(await svc.member_count() >= count)


async def test_a_failing_gateway_retries_then_gives_up(
    h: ModuleType, start_notifications: Any, publisher: Any, nats_server: NatsServer
) -> None:
    async with h.receiver(status=503) as gateway:
        await publisher.contact(CITIZEN, h.VILLAGE, phone="13800001234", tracking_code="T1")
        async with start_notifications(
            notifications_sms_gateway_url=gateway.url, notifications_max_attempts=4
        ) as svc:
            await svc.contacts_stored(1)
            await publisher.publish(request_event(req.RequestAccepted, 2), h.VILLAGE)

            async def dead() -> bool:
                return bool(await svc.count(n.c.status == "dead") == 1)

            await h.settle(dead)
            (row,) = await svc.rows(n.c.recipient_id == CITIZEN)
            assert row.attempts == 4
            assert row.last_error == "SMS gateway answered 503"
            references = [body for _, body in gateway.calls]
            assert len(references) == 4
            assert all(row.id.encode() in body for body in references)

            async def outcome_events() -> bool:
                failed = await stream_events(nats_server.url, "failed")
                gone = await stream_events(nats_server.url, "dead")
                return len(failed) == 3 and len(gone) == 1

            await h.settle(outcome_events)
            failed = await stream_events(nats_server.url, "failed")
            assert sorted(e.data["attempt"] for e in failed) == [1, 2, 3]


async def test_a_gateway_that_recovers_delivers_after_retries(
    h: ModuleType, start_notifications: Any, publisher: Any
) -> None:
    answers = iter([500, 502, 200])
    async with h.receiver(judge=lambda _r, _b: next(answers)) as gateway:
        await publisher.contact(CITIZEN, h.VILLAGE, phone="13800001234", tracking_code="T1")
        async with start_notifications(notifications_sms_gateway_url=gateway.url) as svc:
            await svc.contacts_stored(1)
            await publisher.publish(request_event(req.RequestAccepted, 2), h.VILLAGE)

            async def sent() -> bool:
                return bool(await svc.count(n.c.status == "sent") == 1)

            await h.settle(sent)
            (row,) = await svc.rows(n.c.recipient_id == CITIZEN)
            assert row.attempts == 3
            assert len(gateway.calls) == 3


async def test_quiet_hours_hold_an_sms_until_morning(
    h: ModuleType, start_notifications: Any, publisher: Any
) -> None:
    await tree(h, publisher)
    await publisher.member("m-super", "u-village", h.VILLAGE, ["supervisor"])
    await publisher.contact("member:m-super", h.VILLAGE, phone="13900005678")
    await publisher.contact(CITIZEN, h.VILLAGE, phone="13800001234", tracking_code="T1")
    async with start_notifications() as svc:
        await svc.contacts_stored(2)
        svc.clock.set(h.beijing(23, 30))
        await h.settle(lambda: _members_ready(svc, 1))
        await publisher.publish(request_event(req.RequestAccepted, 2), h.VILLAGE)
        escalated = request_event(
            req.RequestEscalated,
            3,
            status="escalated",
            from_org_unit_id="u-x",
            cause="overdue",
        )
        await publisher.publish(escalated, h.VILLAGE)

        async def urgent_out() -> bool:
            return bool(
                await svc.count(n.c.rule == "supervisor_escalated", n.c.channel == "sms")
                == await svc.count(n.c.status == "sent", n.c.rule == "supervisor_escalated")
                == 1
            )

        await h.settle(urgent_out)  # the urgent rule is not held
        # The citizen's receipt of their own submission answers what they just did: not held.
        submitted = request_event(
            req.RequestSubmitted, 1, channel="online", received_at=datetime.now(UTC)
        )
        await publisher.publish(submitted, h.VILLAGE)

        async def receipt_out() -> bool:
            return bool(await svc.count(n.c.rule == "citizen_submitted", n.c.status == "sent") == 1)

        await h.settle(receipt_out)

        async def held_until_seven() -> bool:
            rows = await svc.rows(n.c.rule == "citizen_accepted")
            return bool(rows and rows[0].next_attempt_at == h.beijing(7, 0, day=24))

        await h.settle(held_until_seven)
        (held,) = await svc.rows(n.c.rule == "citizen_accepted")
        assert held.status == "pending"
        assert held.attempts == 0
        assert len(await sink(svc)) == 2

        svc.clock.set(h.beijing(7, 1, day=24))
        svc.wake()

        async def morning() -> bool:
            return bool(await svc.count(n.c.rule == "citizen_accepted", n.c.status == "sent") == 1)

        await h.settle(morning)
        await h.settle(lambda: _sent(svc, 4))
        texts = sorted(m["text"][:8] for m in await sink(svc))
        assert len(texts) == 4  # the urgent one and the receipt at night, the two held ones now


async def test_an_opted_out_channel_is_skipped_but_a_critical_rule_goes_out(
    h: ModuleType, start_notifications: Any, publisher: Any
) -> None:
    await publisher.contact(CITIZEN, h.VILLAGE, phone="13800001234", tracking_code="T1")
    async with start_notifications() as svc:
        await svc.contacts_stored(1)
        answer = await svc.client.put(
            f"/v1/preferences/{CITIZEN}", json={"opted_out": ["sms"]}, headers=auth()
        )
        assert answer.status_code == 200
        await publisher.publish(request_event(req.RequestAccepted, 2), h.VILLAGE)
        explained = request_event(
            req.RequestExplained,
            3,
            status="explained",
            expected_by=datetime(2026, 12, 1, 2, 0, tzinfo=UTC),
        )
        await publisher.publish(explained, h.VILLAGE)

        async def critical_sent() -> bool:
            return bool(await svc.count(n.c.rule == "citizen_explained", n.c.status == "sent") == 1)

        await h.settle(critical_sent)
        await asyncio.sleep(0.5)
        assert await svc.count(n.c.rule == "citizen_accepted") == 0
        texts = [m["text"] for m in await sink(svc)]
        assert texts == [
            "您的诉求（查询码T1）暂时无法解决，原因：详见办理进度查询页面；"
            "预计2026-12-01 10:00前答复。"
        ]


async def test_an_erased_contact_gets_nothing_more(
    h: ModuleType, start_notifications: Any, publisher: Any
) -> None:
    await publisher.contact(CITIZEN, h.VILLAGE, phone="13800001234", tracking_code="T1")
    async with start_notifications() as svc:
        await svc.contacts_stored(1)
        svc.clock.set(h.beijing(23, 0))  # the first SMS is held by quiet hours
        await publisher.publish(request_event(req.RequestAccepted, 2), h.VILLAGE)

        async def planned() -> bool:
            return bool(await svc.count(n.c.rule == "citizen_accepted") == 1)

        await h.settle(planned)
        await publisher.erase(CITIZEN, h.VILLAGE)
        await asyncio.sleep(0.5)
        svc.clock.set(h.beijing(8, 0, day=24))
        svc.wake()

        async def dropped() -> bool:
            return bool(await svc.count(n.c.status == "failed") == 1)

        await h.settle(dropped)
        (row,) = await svc.rows(n.c.rule == "citizen_accepted")
        assert row.last_error == "contact erased"
        await publisher.publish(request_event(req.RequestResolved, 3, status="resolved"), h.VILLAGE)
        await asyncio.sleep(1.0)
        assert await svc.count(n.c.rule == "citizen_resolved") == 0
        assert await sink(svc) == []
        metrics = (await svc.client.get("/metrics")).text
        assert "gr_notifications_dropped_total 2.0" in metrics


class Mailbox:
    """An aiosmtpd handler keeping every message."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append(parsed)  # type: ignore[arg-type]
        return "250 OK"


async def test_email_goes_through_a_real_smtp_server(
    h: ModuleType, start_notifications: Any, publisher: Any
) -> None:
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port, server_hostname="smtp.test")
    controller.start()
    try:
        await publisher.contact(
            CITIZEN, h.VILLAGE, email="citizen@example.org", tracking_code="JD7K2M9Q"
        )
        async with start_notifications(
            notifications_smtp_host="127.0.0.1", notifications_smtp_port=port
        ) as svc:
            await svc.contacts_stored(1)
            await publisher.publish(
                request_event(req.RequestResolved, 3, status="resolved"), h.VILLAGE
            )

            async def mailed() -> bool:
                return bool(await svc.count(n.c.channel == "email", n.c.status == "sent") == 1)

            try:
                await h.settle(mailed)
            except AssertionError:
                rows = await svc.rows()
                raise AssertionError([(r.channel, r.status, r.last_error) for r in rows]) from None
    finally:
        controller.stop()
    (message,) = mailbox.messages
    assert message["To"] == "citizen@example.org"
    assert message["Subject"] == "诉求已办结"
    body = message.get_content().strip()  # type: ignore[attr-defined]
    assert body == "您的诉求（查询码JD7K2M9Q）已办结，欢迎凭查询码对办理结果进行评价。"


async def test_an_english_speaker_gets_the_english_template(
    h: ModuleType, start_notifications: Any, publisher: Any
) -> None:
    await publisher.contact(CITIZEN, h.VILLAGE, phone="13800001234", tracking_code="T9")
    async with start_notifications() as svc:
        await svc.contacts_stored(1)
        await svc.client.put(f"/v1/preferences/{CITIZEN}", json={"locale": "en"}, headers=auth())
        await publisher.publish(request_event(req.RequestAccepted, 2), h.VILLAGE)

        async def sent() -> bool:
            return bool(await svc.count(n.c.status == "sent") == 1)

        await h.settle(sent)
        assert [m["text"] for m in await sink(svc)] == [
            "Your request T9 was accepted and is in hand."
        ]


async def test_a_county_can_switch_a_rule_off_or_change_its_channels(
    h: ModuleType, start_notifications: Any, publisher: Any
) -> None:
    await publisher.contact(
        CITIZEN, h.VILLAGE, phone="13800001234", email="c@example.org", tracking_code="T1"
    )
    async with start_notifications() as svc:
        await svc.contacts_stored(1)
        url = "/v1/rules/citizen_accepted"
        off = await svc.client.put(
            url,
            params={"county": h.COUNTY},
            json={"enabled": False, "channels": ["sms"]},
            headers=h.STAFF,
        )
        assert off.status_code == 200
        accepted = next(r for r in off.json() if r["name"] == "citizen_accepted")
        assert (accepted["enabled"], accepted["overridden"]) == (False, True)
        sms_only = await svc.client.put(
            "/v1/rules/citizen_resolved",
            params={"county": h.COUNTY},
            json={"channels": ["sms"]},
            headers=h.STAFF,
        )
        assert sms_only.status_code == 200
        township = await svc.client.put(
            url, params={"county": h.TOWNSHIP}, json={"channels": ["sms"]}, headers=h.STAFF
        )
        assert township.status_code == 422
        other_county = await svc.client.put(
            url, params={"county": "230322000000"}, json={"channels": ["sms"]}, headers=h.STAFF
        )
        assert other_county.status_code == 403
        await publisher.publish(request_event(req.RequestAccepted, 2), h.VILLAGE)
        await publisher.publish(request_event(req.RequestResolved, 3, status="resolved"), h.VILLAGE)

        async def resolved_sent() -> bool:
            return bool(await svc.count(n.c.rule == "citizen_resolved", n.c.status == "sent") == 1)

        await h.settle(resolved_sent)
        await asyncio.sleep(0.5)
        rows = await svc.rows(n.c.recipient_id == CITIZEN)
        assert [(r.rule, r.channel) for r in rows] == [("citizen_resolved", "sms")]


async def test_batched_sms_reach_the_development_sink_once_each(
    h: ModuleType, start_notifications: Any, publisher: Any
) -> None:
    citizens = [f"r-{i:03d}" for i in range(120)]
    for i, request_id in enumerate(citizens):
        await publisher.contact(
            f"citizen:{request_id}", h.VILLAGE, phone=f"138{i:08d}", tracking_code=f"Q{i}"
        )
    async with start_notifications(notifications_sms_batch_size=50) as svc:
        await svc.contacts_stored(len(citizens))
        await publisher.publish_many(
            [
                (request_event(req.RequestAccepted, 2, request_id=request_id), h.VILLAGE)
                for request_id in citizens
            ]
        )

        async def all_sent() -> bool:
            return bool(await svc.count(n.c.status == "sent") == len(citizens))

        await h.settle(all_sent)
        recorded = await sink(svc)
        rows = await svc.rows(n.c.channel == "sms")
        assert sorted(m["reference"] for m in recorded) == sorted(r.id for r in rows)
        assert {m["text"] for m in recorded} == {
            f"您的诉求（查询码Q{i}）已受理，正在办理。" for i in range(len(citizens))
        }


async def test_a_refused_sms_falls_back_to_email_as_the_rule_allows(
    h: ModuleType, start_notifications: Any, publisher: Any
) -> None:
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port, server_hostname="smtp.test")
    controller.start()
    try:
        async with h.receiver(status=400) as gateway:
            await publisher.contact(
                CITIZEN, h.VILLAGE, phone="13800001234", email="c@example.org", tracking_code="T1"
            )
            async with start_notifications(
                notifications_sms_gateway_url=gateway.url,
                notifications_smtp_host="127.0.0.1",
                notifications_smtp_port=port,
            ) as svc:
                await svc.contacts_stored(1)
                await publisher.publish(request_event(req.RequestAccepted, 2), h.VILLAGE)

                async def mailed() -> bool:
                    return bool(await svc.count(n.c.channel == "email", n.c.status == "sent") == 1)

                await h.settle(mailed)
                rows = await svc.rows(n.c.recipient_id == CITIZEN)
                assert sorted((r.channel, r.status) for r in rows) == [
                    ("email", "sent"),
                    ("sms", "failed"),
                ]
                assert len(gateway.calls) == 1
                assert all(
                    "fallback_channels" not in r.context for r in rows if r.channel == "email"
                )
    finally:
        controller.stop()
    (message,) = mailbox.messages
    assert message["To"] == "c@example.org"


async def test_a_gateway_that_reports_the_delivery_receipt_marks_the_sms_delivered() -> None:
    answers = iter([{"status": "delivered"}, {"status": "accepted"}])

    def gateway(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=next(answers))

    async with httpx.AsyncClient(transport=httpx.MockTransport(gateway)) as client:
        channel = SmsGatewayChannel(client, "http://gateway.test/sms", None)
        message = Outgoing("n-1", "13800001234", "", "您的诉求已登记")
        assert await channel.send(message) == "delivered"
        assert await channel.send(message) == "sent"
