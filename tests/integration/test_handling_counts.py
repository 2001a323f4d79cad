"""A request returned, the return rejected, a helper called in, scored, and an extension
approved, all through the requests service: evaluation counts each for the unit it names."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from grassroots.kit.clock import utcnow
from grassroots.kit.testing.servers import NatsServer
from grassroots.kit.testing.services import DatabaseFactory, eventually

from .township import WEST, township

pytestmark = pytest.mark.integration


async def test_returns_extensions_and_helpers_count_for_the_units_they_name(
    databases: DatabaseFactory, nats_server: NatsServer
) -> None:
    async with township(databases, nats_server) as t:
        rid = (await t.submit(WEST, "西山村村口路灯不亮"))["id"]
        town, east, west, ids = t.town, t.east, t.west, t.ids

        async def step(path: str, headers: dict[str, str], payload: Any, code: int = 200) -> Any:
            return await t.act(rid, path, headers, payload, code)

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

        async def indicators(unit: str) -> dict[str, Any]:
            return await t.evaluated(unit)

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
