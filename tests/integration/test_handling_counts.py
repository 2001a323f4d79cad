"""A request returned, the return rejected, a helper called in, scored, and an extension
approved, all through the requests service: evaluation counts each for the unit it names."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from grassroots.contracts.timezone import platform_zone
from grassroots.evaluation.main import SPEC as EVALUATION
from grassroots.kit.clock import utcnow
from grassroots.kit.testing.servers import NatsServer
from grassroots.kit.testing.services import DatabaseFactory, auth, eventually, run_service
from grassroots.members.main import SPEC as MEMBERS
from grassroots.requests.main import SPEC as REQUESTS

pytestmark = pytest.mark.integration

COUNTY, TOWN = "230321000000", "230321100000"
EAST, WEST = "230321100201", "230321100202"


async def test_returns_extensions_and_helpers_count_for_the_units_they_name(
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
                "area_code": WEST,
                "description": "西山村村口路灯不亮",
                "channel": "hotline",
                "citizen": {"name": "王秀兰", "phone": "13845671234"},
            },
            headers=town,
        )
        assert submitted.status_code == 201, submitted.text
        rid = submitted.json()["id"]

        async def step(path: str, headers: dict[str, str], payload: Any, code: int = 200) -> Any:
            answer = await requests.client.post(
                f"/v1/requests/{rid}/{path}", json=payload, headers=headers
            )
            assert answer.status_code == code, (path, answer.text)
            return answer.json()

        await step("accept", town, None)
        await step("dispatch", town, {"org_unit_id": ids["west"], "reason": "按属地派单"})
        await step("return", west, {"reason": "not_our_duty", "note": "不归本村管"})
        # The town rejects the return: the request goes back to the village, accepted.
        back = await step("return-decision", town, {"decision": "rejected"})
        assert back["org_unit_id"] == ids["west"] and back["status"] == "accepted"
        task_due = (utcnow() + timedelta(days=2)).isoformat()
        task = await step(
            "co-handlers",
            west,
            {"org_unit_id": ids["east"], "task": "协助排查线路", "due_at": task_due},
            201,
        )
        await step(f"co-handlers/{task['id']}/done", east, {"note": "线路已排查"})
        await step(f"co-handlers/{task['id']}/score", west, {"score": 4})
        due = datetime.fromisoformat(back["due_at"])
        extension = await step(
            "extension",
            west,
            {"due_at": (due + timedelta(days=3)).isoformat(), "reason": "等待配件"},
            201,
        )
        await step(f"extension/{extension['id']}/approve", town, None)
        # Sent back unaccepted by anyone there: the village names its handler, who starts.
        await step("assign", west, {"handler_member_id": "tester"})
        await step("start", west, None)
        await step("resolve", west, {"resolution": "已更换路灯"})

        period = datetime.now(platform_zone()).strftime("%Y-%m")
        viewer = auth("org_admin", org=COUNTY)

        async def indicators(unit: str) -> dict[str, Any]:
            answer = await evaluation.client.get(
                f"/v1/orgs/{ids[unit]}/indicators?period={period}", headers=viewer
            )
            assert answer.status_code == 200, answer.text
            shown: dict[str, Any] = answer.json()
            return shown

        async def projected() -> bool:
            return bool((await indicators("town"))["counts"]["resolved"] == 1)

        await eventually(projected)
        west_shown = await indicators("west")
        assert {k: v for k, v in west_shown["handling"].items() if v} == {
            "dispatched_in": 1,
            "returned": 1,
            "returns_rejected": 1,
            "extensions": 1,
        }
        assert west_shown["rates"]["return_rate"] == 1.0
        east_shown = await indicators("east")
        assert {k: v for k, v in east_shown["handling"].items() if v} == {
            "helper_tasks": 1,
            "helper_on_time": 1,
            "helper_scored": 1,
            "helper_score_total": 4,
        }
        assert east_shown["rates"]["helper_score_rate"] == pytest.approx(0.8)
        town_shown = await indicators("town")
        assert town_shown["counts"]["received"] == 1
        assert town_shown["handling"]["returned"] == 1  # rolled up from the village
        assert town_shown["rates"]["extension_rate"] == 1.0
