"""A request dispatched to the wrong village, returned, re-dispatched and resolved: evaluation
counts it where it was received and never at the village that sent it back."""

from __future__ import annotations

import pytest

from grassroots.kit.testing.servers import NatsServer
from grassroots.kit.testing.services import DatabaseFactory, eventually

from .township import EAST, township

pytestmark = pytest.mark.integration


async def test_the_village_that_returned_a_request_is_not_counted_for_it(
    databases: DatabaseFactory, nats_server: NatsServer
) -> None:
    async with township(databases, nats_server) as t:
        submitted = await t.submit(EAST, "东升村村口道路塌陷")
        rid = submitted["id"]
        assert submitted["org_unit_id"] == t.ids["town"]
        steps = [
            ("accept", t.town, None),
            ("dispatch", t.town, {"org_unit_id": t.ids["west"], "reason": "按属地派单"}),
            ("return", t.west, {"reason": "wrong_area", "note": "道路在东升村"}),
            ("return-decision", t.town, {"decision": "upheld"}),
            ("dispatch", t.town, {"org_unit_id": t.ids["east"], "reason": "改派东升村"}),
            ("accept", t.east, None),
            ("start", t.east, None),
            ("resolve", t.east, {"resolution": "已修复路面"}),
        ]
        for action, headers, payload in steps:
            await t.act(rid, action, headers, payload)

        async def counts(unit: str) -> dict[str, int]:
            shown: dict[str, int] = (await t.evaluated(unit))["counts"]
            return shown

        async def projected() -> bool:
            return (await counts("town"))["resolved"] == 1

        await eventually(projected)
        assert (await counts("town"))["received"] == 1
        west_counts = await counts("west")
        assert west_counts["received"] == 0 and west_counts["resolved"] == 0
        assert west_counts["escalated"] == 0
        assert (await t.evaluated("west", "attribution"))["items"] == []
        town_items = (await t.evaluated("town", "attribution"))["items"]
        assert [i["request_id"] for i in town_items] == [rid]
        assert "received" in town_items[0]["counted_in"]
