"""Broadcasts to a subtree, the public board, signed webhooks, templates and access rules."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime
from types import ModuleType
from typing import Any

import pytest
from sqlalchemy import select

from grassroots.contracts.events import evaluation as ev
from grassroots.contracts.events import members as mem
from grassroots.contracts.events import requests as req
from grassroots.kit.testing.services import auth
from grassroots.notifications.adapters.orm import members as m
from grassroots.notifications.adapters.orm import notifications as n
from grassroots.notifications.adapters.orm import webhooks as w

pytestmark = pytest.mark.component

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


async def test_a_broadcast_reaches_exactly_the_members_of_the_subtree(
    h: ModuleType, start_notifications: Any, publisher: Any
) -> None:
    await publisher.unit("u-county", h.COUNTY, "county")
    await publisher.unit("u-town", h.TOWNSHIP, "township", "u-county")
    await publisher.unit("u-village", h.VILLAGE, "village", "u-town")
    await publisher.unit("u-other", h.OTHER_TOWNSHIP, "township", "u-county")
    inside = [f"m{i:05d}" for i in range(2000)]
    outside = [f"x{i:05d}" for i in range(300)]
    events = [
        (h.member_registered(m, "u-town" if i % 2 else "u-village", []), h.VILLAGE)
        for i, m in enumerate(inside)
    ]
    events += [(h.member_registered(m, "u-other", []), h.OTHER_TOWNSHIP) for m in outside]
    events += [(h.member_registered("m-gone", "u-village", []), h.VILLAGE)]
    events += [
        (
            mem.MemberExited(
                member_id="m-gone",
                org_unit_id="u-village",
                reason="voluntary",
                version=2,
                occurred_at=NOW,
            ),
            h.VILLAGE,
        )
    ]
    await publisher.publish_many(events)
    async with start_notifications(notifications_broadcast_batch=300) as svc:
        await h.settle(lambda: _members(svc, 2301), timeout=150)

        async def exit_applied() -> bool:
            active = await svc.scalar(select(m.c.active).where(m.c.member_id == "m-gone"))
            return active is False

        await h.settle(exit_applied)
        headers = auth("cadre", h.TOWNSHIP, "town-cadre")
        outside_scope = await svc.client.post(
            "/v1/broadcasts",
            json={"org_unit_id": "u-county", "title": "t", "body": "b"},
            headers=headers,
        )
        assert outside_scope.status_code == 403
        unknown = await svc.client.post(
            "/v1/broadcasts",
            json={"org_unit_id": "nope", "title": "t", "body": "b"},
            headers=headers,
        )
        assert unknown.status_code == 422
        assert unknown.json()["errors"][0]["field"] == "org_unit_id"
        created = await svc.client.post(
            "/v1/broadcasts",
            json={
                "org_unit_id": "u-town",
                "title": "学习通知",
                "body": "本周五下午三时集中学习。",
                "channels": ["inbox"],
            },
            headers=headers,
        )
        assert created.status_code == 201
        broadcast_id = created.json()["id"]

        async def finished() -> bool:
            answer = await svc.client.get(f"/v1/broadcasts/{broadcast_id}", headers=headers)
            body = answer.json()
            return bool(body["status"] == "done" and body["by_status"].get("delivered") == 2000)

        await h.settle(finished, timeout=60)
        final = (await svc.client.get(f"/v1/broadcasts/{broadcast_id}", headers=headers)).json()
        assert final["recipients"] == 2000
        assert final["by_status"] == {"delivered": 2000}
        rows = await svc.rows(n.c.broadcast_id == broadcast_id)
        assert sorted(r.recipient_id for r in rows) == [f"member:{m}" for m in inside]
        inbox = await svc.client.get("/v1/inbox", headers=auth("member", h.VILLAGE, inside[0]))
        assert [i["body"] for i in inbox.json()["items"]] == [
            "【学习通知】本周五下午三时集中学习。"
        ]
        nothing = await svc.client.get(
            "/v1/inbox", headers=auth("member", h.OTHER_TOWNSHIP, outside[0])
        )
        assert nothing.json()["items"] == []


async def _members(svc: Any, count: int) -> bool:
    return bool(await svc.member_count() >= count)


def verifying(secret: str) -> Any:
    """A receiver's judge: 204 when the signature matches the body, else 401."""

    def judge(request: Any, body: bytes) -> int:
        expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        given = request.headers.get("x-gr-signature", "")
        return 204 if hmac.compare_digest(expected, given) else 401

    return judge


async def test_a_webhook_receiver_verifies_the_signature_and_failing_ones_are_paused(
    h: ModuleType, start_notifications: Any, publisher: Any
) -> None:
    secret = "a-shared-secret-of-the-12345-line"
    async with (
        h.receiver(judge=verifying(secret)) as good,
        h.receiver(status=500) as bad,
        start_notifications(
            notifications_webhook_pause_after=3, notifications_max_attempts=10
        ) as svc,
    ):
        body = {
            "url": good.url,
            "event_types": ["gr.requests.submitted.v1"],
            "area_code": h.COUNTY,
            "secret": secret,
        }
        forbidden = await svc.client.post("/v1/webhooks", json=body, headers=auth("cadre"))
        assert forbidden.status_code == 403
        private = await svc.client.post(
            "/v1/webhooks",
            json={**body, "event_types": ["gr.notify.contact_upserted.v1"]},
            headers=h.STAFF,
        )
        assert private.status_code == 422
        created = await svc.client.post("/v1/webhooks", json=body, headers=h.STAFF)
        assert created.status_code == 201
        assert "secret" not in created.json()
        failing = await svc.client.post(
            "/v1/webhooks", json={**body, "url": bad.url}, headers=h.STAFF
        )
        failing_id = failing.json()["id"]

        submitted = req.RequestSubmitted(
            request_id="r-1",
            org_unit_id="u-village",
            area_code=h.VILLAGE,
            service_code="hukou",
            status="submitted",
            channel="window",
            received_at=NOW,
            version=1,
            occurred_at=NOW,
        )
        elsewhere = submitted.model_copy(update={"request_id": "r-2", "area_code": "230322100201"})
        accepted = req.RequestAccepted(**{**submitted.model_dump(), "status": "accepted"})
        event = await publisher.publish(submitted, h.VILLAGE, twice=True)
        await publisher.publish(elsewhere, "230322100201")
        await publisher.publish(accepted, h.VILLAGE)

        async def delivered() -> bool:
            return bool(await svc.count(n.c.channel == "webhook", n.c.status == "delivered") == 1)

        await h.settle(delivered)

        async def paused() -> bool:
            status = await svc.scalar(select(w.c.status).where(w.c.id == failing_id))
            return bool(status == "paused")

        await h.settle(paused)
        assert len(good.calls) == 1
        headers, raw = good.calls[0]
        assert headers["x-gr-signature"].startswith("sha256=")
        sent = json.loads(raw)
        assert sent["id"] == event.id
        assert sent["type"] == "gr.requests.submitted.v1"
        assert len(bad.calls) == 3
        listed = await svc.client.get("/v1/webhooks", headers=h.STAFF)
        states = {i["id"]: (i["status"], i["paused_reason"]) for i in listed.json()["items"]}
        assert states[failing_id] == ("paused", "3 failed deliveries in a row")
        resumed = await svc.client.post(f"/v1/webhooks/{failing_id}/resume", headers=h.STAFF)
        assert resumed.status_code == 200
        again = await svc.client.post(f"/v1/webhooks/{failing_id}/resume", headers=h.STAFF)
        assert again.status_code == 409
        metrics = (await svc.client.get("/metrics")).text
        assert "gr_webhooks_paused_total 1.0" in metrics


async def test_the_public_board_shows_names_only_with_consent(
    h: ModuleType, start_notifications: Any, publisher: Any
) -> None:
    await publisher.unit("u-county", h.COUNTY, "county")
    await publisher.unit("u-town", h.TOWNSHIP, "township", "u-county")
    await publisher.unit("u-village", h.VILLAGE, "village", "u-town")
    await publisher.unit("u-other", h.OTHER_TOWNSHIP, "township", "u-county")
    await publisher.contact("member:m-yes", h.VILLAGE, name="王丽", public_name_consent=True)
    await publisher.contact("member:m-no", h.VILLAGE, name="李强", public_name_consent=False)
    for member in ("m-yes", "m-no"):
        await publisher.publish(
            mem.MemberCheckedIn(
                member_id=member,
                org_unit_id="u-town",
                community_org_unit_id="u-village",
                version=2,
                occurred_at=NOW,
            ),
            h.VILLAGE,
        )
    await publisher.publish(
        mem.PostClaimed(
            member_id="m-yes",
            org_unit_id="u-town",
            post_id="p-1",
            title="政策宣传岗",
            version=3,
            occurred_at=NOW,
        ),
        h.TOWNSHIP,
    )
    await publisher.publish(
        ev.EvaluationPublished(
            publication_id="pub-1",
            kind="ranking",
            parent_org_unit_id="u-county",
            period="2026-10",
            entries=[
                ev.PublishedEntry(org_unit_id="u-town", rank=1, score=95.5, grade="优秀"),
                ev.PublishedEntry(org_unit_id="u-other", rank=2, score=88.0, grade="良好"),
            ],
            version=1,
            occurred_at=NOW,
        ),
        h.COUNTY,
    )
    async with start_notifications() as svc:

        async def four_items() -> bool:
            answer = await svc.client.get("/v1/board", params={"area": h.VILLAGE})
            return bool(len(answer.json()["items"]) == 4)

        await h.settle(four_items)
        items = (await svc.client.get("/v1/board", params={"area": h.VILLAGE})).json()["items"]
        check_ins = {i["member_id"]: i["member_name"] for i in items if i["kind"] == "check_in"}
        assert check_ins == {"m-yes": "王丽", "m-no": None}
        ranking = next(i for i in items if i["kind"] == "ranking")
        assert [e["rank"] for e in ranking["content"]["entries"]] == [1, 2]
        assert ranking["content"]["entries"][0]["org_unit_name"] == "unit u-town"
        other = (await svc.client.get("/v1/board", params={"area": h.OTHER_TOWNSHIP})).json()
        assert [i["kind"] for i in other["items"]] == ["ranking"]
        bad = await svc.client.get("/v1/board", params={"area": "23"})
        assert bad.status_code == 422
        assert bad.json()["errors"][0]["field"] == "area"


async def test_templates_are_versioned_and_checked_when_saved(
    h: ModuleType, start_notifications: Any, publisher: Any
) -> None:
    await publisher.contact("citizen:r-9", h.VILLAGE, phone="13800001234", tracking_code="Q1")
    async with start_notifications() as svc:
        await svc.contacts_stored(1)
        url = "/v1/templates/request_accepted"
        assert (await svc.client.get(url)).status_code == 401
        builtin = (await svc.client.get(url, headers=h.STAFF)).json()
        assert builtin["version"] == 0
        assert builtin["sms_segments"] == 1
        platform = auth()
        broken = await svc.client.put(
            url, json={"subject": "受理", "body": "{{ citizen_phone }}"}, headers=platform
        )
        assert broken.status_code == 422
        assert broken.json()["errors"][0]["field"] == "body"
        # Templates are platform-wide: a county's admin, let alone a cadre, may not change them.
        for staff in (auth("cadre", h.COUNTY), h.STAFF):
            refused = await svc.client.put(
                url, json={"subject": "受理", "body": "x"}, headers=staff
            )
            assert refused.status_code == 403
        long_body = "您的诉求（查询码{{ tracking_code }}）已受理。" + "请耐心等待。" * 20
        saved = await svc.client.put(
            url, json={"subject": "受理通知", "body": long_body}, headers=platform
        )
        assert saved.status_code == 200
        assert saved.json()["version"] == 1
        assert saved.json()["sms_segments"] == 3
        await publisher.publish(
            req.RequestAccepted(
                request_id="r-9",
                org_unit_id="u-village",
                area_code=h.VILLAGE,
                service_code="hukou",
                status="accepted",
                version=2,
                occurred_at=NOW,
            ),
            h.VILLAGE,
        )

        async def sent() -> bool:
            return bool(await svc.count(n.c.status == "sent") == 1)

        await h.settle(sent)
        (row,) = await svc.rows(n.c.recipient_id == "citizen:r-9")
        assert row.body.startswith("您的诉求（查询码Q1）已受理。请耐心等待。")


async def test_staff_lists_are_scoped_and_members_only_edit_their_own_preferences(
    h: ModuleType, start_notifications: Any
) -> None:
    async with start_notifications() as svc:
        assert (await svc.client.get("/v1/notifications")).status_code == 401
        member = auth("member", h.COUNTY, "m-1")
        assert (await svc.client.get("/v1/notifications", headers=member)).status_code == 403
        own = await svc.client.put(
            "/v1/preferences/member:m-1", json={"opted_out": ["sms"]}, headers=member
        )
        assert own.status_code == 200
        other = await svc.client.put(
            "/v1/preferences/member:m-2", json={"opted_out": ["sms"]}, headers=member
        )
        assert other.status_code == 403
        bad = await svc.client.put(
            "/v1/preferences/member:m-1", json={"opted_out": ["pigeon"]}, headers=member
        )
        assert bad.status_code == 422
        assert bad.json()["errors"][0]["field"] == "opted_out"
        status = await svc.client.get(
            "/v1/notifications", params={"status": "nonsense"}, headers=h.STAFF
        )
        assert status.status_code == 422
        assert status.json()["errors"][0]["field"] == "status"


async def test_commitments_and_community_posts_reach_both_boards_of_a_dual_member(
    h: ModuleType, start_notifications: Any, publisher: Any
) -> None:
    await publisher.unit("u-county", h.COUNTY, "county")
    await publisher.unit("u-town", h.TOWNSHIP, "township", "u-county")
    await publisher.unit("u-community", h.VILLAGE, "village", "u-town")
    await publisher.unit("u-work", h.OTHER_TOWNSHIP, "township", "u-county")
    await publisher.publish(
        mem.PostClaimed(
            member_id="m-1",
            org_unit_id="u-work",
            post_id="p-1",
            title="环境卫生岗",
            post_org_unit_id="u-community",
            post_area_code=h.VILLAGE,
            version=3,
            occurred_at=NOW,
        ),
        h.OTHER_TOWNSHIP,
    )
    await publisher.publish(
        mem.CommitmentPublished(
            member_id="m-1",
            org_unit_id="u-work",
            commitment_id="c-1",
            text="每月参加社区志愿服务两次",
            community_org_unit_id="u-community",
            community_area_code=h.VILLAGE,
            version=4,
            occurred_at=NOW,
        ),
        h.OTHER_TOWNSHIP,
        twice=True,
    )
    async with start_notifications() as svc:

        async def both_boards() -> bool:
            community = await svc.client.get("/v1/board", params={"area": h.VILLAGE})
            work = await svc.client.get("/v1/board", params={"area": h.OTHER_TOWNSHIP})
            return len(community.json()["items"]) == 2 and len(work.json()["items"]) == 1

        await h.settle(both_boards)
        community = (await svc.client.get("/v1/board", params={"area": h.VILLAGE})).json()
        assert sorted(i["kind"] for i in community["items"]) == ["commitment", "post_claimed"]
        promise = next(i for i in community["items"] if i["kind"] == "commitment")
        assert promise["content"]["text"] == "每月参加社区志愿服务两次"
        assert promise["org_unit_id"] == "u-community"
        work = (await svc.client.get("/v1/board", params={"area": h.OTHER_TOWNSHIP})).json()
        assert [(i["kind"], i["org_unit_id"]) for i in work["items"]] == [("commitment", "u-work")]
