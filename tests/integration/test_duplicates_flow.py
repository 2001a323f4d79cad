"""Two reports of one matter from one village: proposed as duplicates, merged, counted once.

Over real NATS and PostgreSQL: members builds the tree, requests takes both reports and
merges them, notifications tells the second citizen, evaluation counts the village once.
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


async def post(service: RunningService, path: str, body: dict[str, Any], **kw: Any) -> Any:
    response = await service.client.post(path, json=body, **kw)
    assert response.status_code in (200, 201), f"{path}: {response.status_code} {response.text}"
    return response.json()


async def test_two_reports_of_one_matter_are_merged_and_counted_once(
    databases: DatabaseFactory, nats_server: NatsServer
) -> None:
    specs = (MEMBERS, REQUESTS, NOTIFICATIONS, EVALUATION)
    urls = {spec.name: await databases.fresh(spec) for spec in specs}
    admin = auth("org_admin", org=COUNTY, sub="county-admin")
    cadre = auth("cadre", org=VILLAGE, sub="village-secretary")
    async with (
        run_service(MEMBERS, database_url=urls["members"], nats_url=nats_server.url) as members,
        run_service(REQUESTS, database_url=urls["requests"], nats_url=nats_server.url) as reqs,
        run_service(
            NOTIFICATIONS, database_url=urls["notifications"], nats_url=nats_server.url
        ) as notes,
        run_service(EVALUATION, database_url=urls["evaluation"], nats_url=nats_server.url) as ev,
    ):
        parent = None
        for name, area, tier, kind in (
            ("中共鸡东县委员会", COUNTY, "county", "committee"),
            ("中共鸡东镇委员会", TOWN, "township", "committee"),
            ("东升村党支部", VILLAGE, "village", "branch"),
        ):
            unit = await post(
                members,
                "/v1/org-units",
                {
                    "name": name,
                    "area_code": area,
                    "tier": tier,
                    "kind": kind,
                    "domain": "rural",
                    "parent_id": parent,
                },
                headers=admin,
            )
            parent = unit["id"]
        village_id = parent

        async def tree_known() -> bool:
            tree = await reqs.client.get("/v1/org-tree", headers=admin)
            return village_id in {u["id"] for u in tree.json()["items"]}

        await eventually(tree_known)
        await post(
            reqs,
            "/v1/catalog",
            {
                "county_area": COUNTY,
                "code": "STREET-LAMP",
                "name": "路灯维修",
                "category": "公共设施",
                "time_limit": "P3D",
                "handling_tier": "village",
            },
            headers=admin,
        )

        async def report(description: str, phone: str) -> dict[str, Any]:
            body = {
                "service_code": "STREET-LAMP",
                "area_code": VILLAGE,
                "channel": "window",
                "description": description,
                "citizen": {"name": "张大娘", "phone": phone},
            }
            answer: dict[str, Any] = await post(reqs, "/v1/requests", body, headers=cadre)
            return answer

        first = await report("村东头的路灯坏了三天了，晚上太黑，老人走路不安全", "13912345678")
        second = await report("村东头路灯坏了，晚上很黑，老人走路不安全！", "13712340000")
        assert [d["id"] for d in second["duplicates"]] == [first["id"]]
        listed = await reqs.client.get(f"/v1/requests/{first['id']}/duplicates", headers=cadre)
        assert [d["id"] for d in listed.json()["items"]] == [second["id"]]

        merged = await post(
            reqs, f"/v1/requests/{second['id']}/merge", {"into": first["id"]}, headers=cadre
        )
        assert merged["status"] == "merged"
        await post(reqs, f"/v1/requests/{first['id']}/accept", {}, headers=cadre)

        period = datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")

        async def indicators() -> dict[str, Any]:
            answer = await ev.client.get(
                f"/v1/orgs/{village_id}/indicators", params={"period": period}, headers=admin
            )
            assert answer.status_code == 200, answer.text
            counts: dict[str, Any] = answer.json()["counts"]
            return counts

        async def counted_once() -> bool:
            counts = await indicators()
            return bool(counts.get("received") == 1 and counts.get("accepted_on_time") == 1)

        await eventually(counted_once, timeout=40)

        staff = auth("cadre", org=COUNTY, sub="county-cadre")

        async def second_citizen_told() -> bool:
            page = await notes.client.get(
                "/v1/notifications",
                params={"request_id": second["id"], "limit": 500},
                headers=staff,
            )
            return any(
                n["rule"] == "citizen_merged" and n["recipient_id"] == f"citizen:{second['id']}"
                for n in page.json()["items"]
            )

        await eventually(second_citizen_told, timeout=40)

        # Undone, both count again.
        await post(reqs, f"/v1/requests/{second['id']}/unmerge", {}, headers=cadre)

        async def counted_twice() -> bool:
            return bool((await indicators()).get("received") == 2)

        await eventually(counted_twice, timeout=40)
