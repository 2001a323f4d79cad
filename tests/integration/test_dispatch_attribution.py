"""A request dispatched to the wrong village, returned, re-dispatched and resolved: evaluation
counts it where it was received and never at the village that sent it back."""

from __future__ import annotations

from datetime import datetime

import pytest

from grassroots.contracts.timezone import platform_zone
from grassroots.evaluation.main import SPEC as EVALUATION
from grassroots.kit.testing.servers import NatsServer
from grassroots.kit.testing.services import DatabaseFactory, auth, eventually, run_service
from grassroots.members.main import SPEC as MEMBERS
from grassroots.requests.main import SPEC as REQUESTS

pytestmark = pytest.mark.integration

COUNTY, TOWN = "230321000000", "230321100000"
EAST, WEST = "230321100201", "230321100202"


async def test_the_village_that_returned_a_request_is_not_counted_for_it(
    databases: DatabaseFactory, nats_server: NatsServer
) -> None:
    urls = {spec.name: await databases.fresh(spec) for spec in (MEMBERS, REQUESTS, EVALUATION)}
    async with (
        run_service(MEMBERS, database_url=urls["members"], nats_url=nats_server.url) as members,
        run_service(
            REQUESTS,
            database_url=urls["requests"],
            nats_url=nats_server.url,
            requests_run_scanner=False,
        ) as requests,
        run_service(
            EVALUATION, database_url=urls["evaluation"], nats_url=nats_server.url
        ) as evaluation,
    ):
        ids: dict[str, str] = {}
        for key, name, area, tier, kind, parent in (
            ("county", "中共鸡东县委员会", COUNTY, "county", "committee", None),
            ("town", "中共鸡东镇委员会", TOWN, "township", "committee", "county"),
            ("east", "东升村党支部", EAST, "village", "branch", "town"),
            ("west", "西山村党支部", WEST, "village", "branch", "town"),
        ):
            body = {"name": name, "area_code": area, "tier": tier, "kind": kind, "domain": "rural"}
            created = await members.client.post(
                "/v1/org-units",
                json={**body, "parent_id": ids[parent] if parent else None},
                headers=auth(),
            )
            assert created.status_code == 201, created.text
            ids[key] = created.json()["id"]

        async def replicated() -> bool:
            tree = await requests.client.get("/v1/org-tree", headers=auth())
            return len(tree.json()["items"]) == 4

        await eventually(replicated)
        item = {
            "code": "road-repair",
            "name": "村道维修",
            "category": "基础设施",
            "time_limit": "P7D",
            "handling_tier": "township",
        }
        admin = auth("org_admin", org=COUNTY)
        created = await requests.client.post("/v1/catalog", json=item, headers=admin)
        assert created.status_code == 201, created.text
        town, east, west = (auth("cadre", org=a) for a in (TOWN, EAST, WEST))
        submitted = await requests.client.post(
            "/v1/requests",
            json={
                "service_code": "road-repair",
                "area_code": EAST,
                "description": "东升村村口道路塌陷",
                "channel": "hotline",
                "citizen": {"name": "王秀兰", "phone": "13845671234"},
            },
            headers=town,
        )
        assert submitted.status_code == 201, submitted.text
        rid = submitted.json()["id"]
        assert submitted.json()["org_unit_id"] == ids["town"]
        steps = [
            ("accept", town, None),
            ("dispatch", town, {"org_unit_id": ids["west"], "reason": "按属地派单"}),
            ("return", west, {"reason": "wrong_area", "note": "道路在东升村"}),
            ("return-decision", town, {"decision": "upheld"}),
            ("dispatch", town, {"org_unit_id": ids["east"], "reason": "改派东升村"}),
            ("accept", east, None),
            ("start", east, None),
            ("resolve", east, {"resolution": "已修复路面"}),
        ]
        for action, headers, payload in steps:
            answer = await requests.client.post(
                f"/v1/requests/{rid}/{action}", json=payload, headers=headers
            )
            assert answer.status_code == 200, (action, answer.text)

        period = datetime.now(platform_zone()).strftime("%Y-%m")
        viewer = auth("org_admin", org=COUNTY)

        async def counts(unit: str) -> dict[str, int]:
            answer = await evaluation.client.get(
                f"/v1/orgs/{ids[unit]}/indicators?period={period}", headers=viewer
            )
            assert answer.status_code == 200, answer.text
            result: dict[str, int] = answer.json()["counts"]
            return result

        async def projected() -> bool:
            return (await counts("town"))["resolved"] == 1

        await eventually(projected)
        assert (await counts("town"))["received"] == 1
        west_counts = await counts("west")
        assert west_counts["received"] == 0 and west_counts["resolved"] == 0
        assert west_counts["escalated"] == 0

        async def attributed(unit: str) -> list[dict[str, object]]:
            answer = await evaluation.client.get(
                f"/v1/orgs/{ids[unit]}/attribution?period={period}", headers=viewer
            )
            assert answer.status_code == 200, answer.text
            items: list[dict[str, object]] = answer.json()["items"]
            return items

        assert await attributed("west") == []
        town_items = await attributed("town")
        assert [i["request_id"] for i in town_items] == [rid]
        assert "received" in town_items[0]["counted_in"]  # type: ignore[operator]
