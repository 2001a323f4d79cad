"""Staff see and change only what lies in their subtree: preferences, templates, the SMS sink."""

from __future__ import annotations

from datetime import UTC, datetime
from types import ModuleType
from typing import Any

from grassroots.kit.testing.services import auth, settings_for_tests
from grassroots.notifications.adapters.orm import notifications
from grassroots.notifications.config import NotificationsSettings

ELSEWHERE_ADMIN = auth("org_admin", "110101000000", "admin-dongcheng")


async def seed_member(h: ModuleType, svc: Any, publisher: Any) -> None:
    await publisher.unit("u-county", h.COUNTY, "county")
    await publisher.unit("u-village", h.VILLAGE, "village", "u-county")
    await publisher.member("m-9", "u-village", h.VILLAGE, ["secretary"])

    async def replicated() -> bool:
        return bool(await svc.member_count() == 1)

    await h.settle(replicated)


async def test_preferences_only_inside_the_callers_subtree(
    h: ModuleType, start_notifications: Any, publisher: Any
) -> None:
    async with start_notifications() as svc:
        await seed_member(h, svc, publisher)
        url = "/v1/preferences/member:m-9"
        assert (await svc.client.get(url, headers=ELSEWHERE_ADMIN)).status_code == 403
        for body in ({"opted_out": ["sms"]}, {"opted_out": "not a list"}):
            refused = await svc.client.put(url, json=body, headers=ELSEWHERE_ADMIN)
            assert refused.status_code == 403, refused.text
        township_elsewhere = auth("org_admin", h.OTHER_TOWNSHIP, "admin-other-township")
        assert (await svc.client.get(url, headers=township_elsewhere)).status_code == 403
        changed = await svc.client.put(url, json={"opted_out": ["sms"]}, headers=h.STAFF)
        assert changed.status_code == 200
        assert (await svc.client.get(url, headers=h.STAFF)).json()["opted_out"] == ["sms"]
        # Nobody below the root learns whether an unknown recipient exists.
        unknown = "/v1/preferences/member:nobody"
        assert (await svc.client.get(unknown, headers=h.STAFF)).status_code == 404
        assert (await svc.client.get(unknown, headers=auth())).status_code == 200


async def test_platform_templates_are_changed_by_platform_admins_only(
    h: ModuleType, start_notifications: Any
) -> None:
    async with start_notifications() as svc:
        url = "/v1/templates/request_accepted"
        body = {"subject": "受理", "body": "您的诉求已受理。"}
        for staff in (ELSEWHERE_ADMIN, h.STAFF):
            assert (await svc.client.put(url, json=body, headers=staff)).status_code == 403
            invalid = await svc.client.put(url, json={"subject": 1}, headers=staff)
            assert invalid.status_code == 403
        assert (await svc.client.put(url, json=body, headers=auth())).status_code == 200


async def test_the_sms_sink_shows_an_admin_their_own_area_only(
    h: ModuleType, start_notifications: Any
) -> None:
    async with start_notifications() as svc:
        now = datetime.now(UTC)
        async with svc.runtime.db.transaction() as session:
            for nid, area in (("n-jidong", h.VILLAGE), ("n-dongcheng", "110101001001")):
                await session.execute(
                    notifications.insert().values(
                        id=nid,
                        cause_id=f"cause-{nid}",
                        recipient_id="citizen:r-1",
                        channel="sms",
                        recipient_kind="citizen",
                        rule="test",
                        template_key="request_accepted",
                        context={},
                        critical=False,
                        urgent=False,
                        area_code=area,
                        status="sent",
                        attempts=1,
                        next_attempt_at=now,
                        created_at=now,
                    )
                )
        messages = [
            {"to": "13800001234", "text": f"to {ref}", "segments": 1, "reference": ref}
            for ref in ("n-jidong", "n-dongcheng", None)
        ]
        posted = await svc.client.post("/dev/sms-sink", json={"messages": messages})
        assert posted.status_code == 202

        async def texts(headers: dict[str, str]) -> list[str]:
            answer = await svc.client.get("/dev/sms-sink", headers=headers)
            assert answer.status_code == 200
            return sorted(item["text"] for item in answer.json()["items"])

        assert await texts(h.STAFF) == ["to n-jidong"]
        assert await texts(ELSEWHERE_ADMIN) == ["to n-dongcheng"]
        assert await texts(auth()) == ["to None", "to n-dongcheng", "to n-jidong"]


async def test_the_sms_sink_exists_only_in_development(start_notifications: Any) -> None:
    production: NotificationsSettings = settings_for_tests(
        NotificationsSettings, env="test"
    ).model_copy(update={"env": "production"})  # type: ignore[assignment]
    assert not production.dev_sms_sink_mounted
    assert production.sms_gateway_url() is None
    async with start_notifications(notifications_dev_sms_sink=False) as svc:
        assert (await svc.client.get("/dev/sms-sink", headers=auth())).status_code == 404
