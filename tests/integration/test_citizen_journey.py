"""A citizen's request across all four services, over real NATS and PostgreSQL.

Members registers the village's handler and supervisor; requests takes the citizen's need,
the village handles and resolves it, the citizen rates it; notifications tells the citizen
and the handler; evaluation counts it for the village.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from grassroots.evaluation.main import SPEC as EVALUATION
from grassroots.kit.testing.servers import NatsServer
from grassroots.kit.testing.services import (
    DatabaseFactory,
    RunningService,
    auth,
    eventually,
    run_service,
)
from grassroots.members.main import SPEC as MEMBERS
from grassroots.notifications.main import SPEC as NOTIFICATIONS
from grassroots.requests.main import SPEC as REQUESTS

pytestmark = pytest.mark.integration

COUNTY, TOWN, VILLAGE = "230321000000", "230321100000", "230321100201"
WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def id_number(body17: str) -> str:
    """Complete 17 digits with the ISO 7064 MOD 11-2 check character."""
    total = sum(int(d) * w for d, w in zip(body17, WEIGHTS, strict=True))
    return body17 + "10X98765432"[total % 11]


async def post(service: RunningService, path: str, body: dict[str, Any], **kw: Any) -> Any:
    response = await service.client.post(path, json=body, **kw)
    assert response.status_code in (200, 201), f"{path}: {response.status_code} {response.text}"
    return response.json()


async def test_a_request_from_intake_to_rating_across_the_platform(
    databases: DatabaseFactory, nats_server: NatsServer
) -> None:
    specs = (MEMBERS, REQUESTS, NOTIFICATIONS, EVALUATION)
    urls = {spec.name: await databases.fresh(spec) for spec in specs}
    admin = auth("org_admin", org=COUNTY, sub="county-admin")
    async with (
        run_service(MEMBERS, database_url=urls["members"], nats_url=nats_server.url) as members,
        run_service(REQUESTS, database_url=urls["requests"], nats_url=nats_server.url) as reqs,
        run_service(
            NOTIFICATIONS, database_url=urls["notifications"], nats_url=nats_server.url
        ) as notes,
        run_service(EVALUATION, database_url=urls["evaluation"], nats_url=nats_server.url) as ev,
    ):
        county = await post(
            members,
            "/v1/org-units",
            {
                "name": "中共鸡东县委员会",
                "area_code": COUNTY,
                "tier": "county",
                "kind": "committee",
                "domain": "organ",
            },
            headers=admin,
        )
        town = await post(
            members,
            "/v1/org-units",
            {
                "name": "中共鸡东镇委员会",
                "area_code": TOWN,
                "tier": "township",
                "kind": "committee",
                "domain": "rural",
                "parent_id": county["id"],
            },
            headers=admin,
        )
        village = await post(
            members,
            "/v1/org-units",
            {
                "name": "东升村党支部",
                "area_code": VILLAGE,
                "tier": "village",
                "kind": "branch",
                "domain": "rural",
                "parent_id": town["id"],
            },
            headers=admin,
        )
        handler = await post(
            members,
            "/v1/members",
            {
                "name": "王建国",
                "id_number": id_number("23032119800101123"),
                "gender": "male",
                "birth_date": "1980-01-01",
                "org_unit_id": village["id"],
                "stage": "full",
                "joined_at": "2005-07-01",
                "phone": "13800001111",
                "duties": ["handler"],
                "skills": ["电工"],
            },
            headers=admin,
        )
        await post(
            members,
            "/v1/members",
            {
                "name": "李秀英",
                "id_number": id_number("23032119750202224"),
                "gender": "female",
                "birth_date": "1975-02-02",
                "org_unit_id": village["id"],
                "stage": "full",
                "joined_at": "2005-07-01",
                "phone": "13800002222",
                "duties": ["supervisor"],
            },
            headers=admin,
        )
        assert "1111" in handler["phone"] and "0000" not in handler["phone"]  # masked

        async def village_known_everywhere() -> bool:
            for service in (reqs, ev, notes):
                tree = await service.client.get("/v1/org-tree", headers=admin)
                if village["id"] not in {u["id"] for u in tree.json()["items"]}:
                    return False
            return True

        await eventually(village_known_everywhere)
        await post(
            reqs,
            "/v1/catalog",
            {
                "county_area": COUNTY,
                "code": "HOUSE-LEAK",
                "name": "房屋漏雨维修",
                "category": "生活服务",
                "time_limit": "P3D",
                "calendar": "workdays",
                "handling_tier": "village",
            },
            headers=admin,
        )
        submitted = await post(
            reqs,
            "/v1/requests",
            {
                "service_code": "HOUSE-LEAK",
                "area_code": VILLAGE,
                "channel": "online",
                "description": "屋顶漏雨，家中老人行动不便，请帮忙维修。",
                "citizen": {"name": "张大娘", "phone": "13912345678"},
            },
        )
        request_id, tracking = submitted["id"], submitted["tracking_code"]
        assert submitted["org_unit_id"] == village["id"]
        assert submitted["status"] == "submitted"

        cadre = auth("cadre", org=VILLAGE, sub="village-secretary")
        await post(reqs, f"/v1/requests/{request_id}/accept", {}, headers=cadre)
        await post(
            reqs,
            f"/v1/requests/{request_id}/assign",
            {"handler_member_id": handler["id"]},
            headers=cadre,
        )
        # The handler is a party member, not a cadre: the named handler still resolves it.
        handler_token = auth("member", org=VILLAGE, sub=handler["id"])
        await post(reqs, f"/v1/requests/{request_id}/start", {}, headers=handler_token)
        await post(
            reqs,
            f"/v1/requests/{request_id}/resolve",
            {"resolution": "已更换屋面防水卷材，雨天复查无渗漏。"},
            headers=handler_token,
        )
        rated = await post(
            reqs,
            f"/v1/requests/{request_id}/feedback",
            {"tracking_code": tracking, "phone_last4": "5678", "rating": "satisfied"},
        )
        assert rated["status"] in ("closed", "resolved")
        track = await reqs.client.get(f"/v1/track/{tracking}")
        assert track.status_code == 200
        assert "13912345678" not in track.text and "王建国" not in track.text

        staff = auth("cadre", org=COUNTY, sub="county-cadre")
        expected_rules = {
            "citizen_submitted",
            "citizen_accepted",
            "citizen_resolved",
            "handler_assigned",
        }

        async def notified() -> bool:
            page = await notes.client.get(
                "/v1/notifications",
                params={"request_id": request_id, "limit": 500},
                headers=staff,
            )
            rules = {n["rule"] for n in page.json()["items"]}
            return expected_rules <= rules

        await eventually(notified, timeout=40)
        items = (
            await notes.client.get(
                "/v1/notifications",
                params={"request_id": request_id, "limit": 500},
                headers=staff,
            )
        ).json()["items"]
        citizen_sms = [
            n for n in items if n["rule"] == "citizen_submitted" and n["channel"] == "sms"
        ]
        assert len(citizen_sms) == 1
        assert citizen_sms[0]["recipient_id"] == f"citizen:{request_id}"

        async def in_handlers_inbox() -> bool:
            inbox = await notes.client.get("/v1/inbox", headers=handler_token)
            return any(i["rule"] == "handler_assigned" for i in inbox.json()["items"])

        await eventually(in_handlers_inbox, timeout=40)
        handler_notes = [n for n in items if n["rule"] == "handler_assigned"]
        assert {n["recipient_id"] for n in handler_notes} == {f"member:{handler['id']}"}
        # Exactly one notification per (event, recipient, channel).
        keys = [(n["cause_id"], n["recipient_id"], n["channel"]) for n in items]
        assert len(keys) == len(set(keys))
        assert all("13912345678" not in (n["body"] or "") for n in items)

        period = datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")

        async def counted() -> bool:
            answer = await ev.client.get(
                f"/v1/orgs/{village['id']}/indicators", params={"period": period}, headers=admin
            )
            if answer.status_code != 200:
                return False
            counts = answer.json()["counts"]
            return bool(counts.get("received") == 1 and counts.get("satisfied") == 1)

        await eventually(counted, timeout=40)
        answer = (
            await ev.client.get(
                f"/v1/orgs/{village['id']}/indicators", params={"period": period}, headers=admin
            )
        ).json()
        assert answer["counts"]["resolved"] == 1
        assert answer["rates"]["satisfaction_rate"] == 1.0
        assert answer["rates"]["resolution_rate"] == 1.0
