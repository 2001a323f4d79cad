"""A township with two villages on members, requests and evaluation, for handling flows.

鸡东镇 (230321100000) under 鸡东县 with 东升村 (east) and 西山村 (west); the catalogue holds
村道维修 handled at the township; requests run without their SLA scanner so a flow's clock
moves only when the test moves it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from grassroots.contracts.timezone import platform_zone
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
from grassroots.requests.main import SPEC as REQUESTS

COUNTY, TOWN = "230321000000", "230321100000"
EAST, WEST = "230321100201", "230321100202"
UNITS = (
    ("county", "中共鸡东县委员会", COUNTY, "county", "committee", None),
    ("town", "中共鸡东镇委员会", TOWN, "township", "committee", "county"),
    ("east", "东升村党支部", EAST, "village", "branch", "town"),
    ("west", "西山村党支部", WEST, "village", "branch", "town"),
)
ROAD_REPAIR = {
    "code": "road-repair",
    "name": "村道维修",
    "category": "基础设施",
    "time_limit": "P7D",
    "handling_tier": "township",
}


@dataclass
class Township:
    """The three running services, the units' ids by key, and each tier's cadre."""

    members: RunningService
    requests: RunningService
    evaluation: RunningService
    ids: dict[str, str]

    # Tokens are signed when asked for: a module-level one would expire in a long run.
    @property
    def town(self) -> dict[str, str]:
        return auth("cadre", org=TOWN)

    @property
    def east(self) -> dict[str, str]:
        return auth("cadre", org=EAST)

    @property
    def west(self) -> dict[str, str]:
        return auth("cadre", org=WEST)

    @property
    def viewer(self) -> dict[str, str]:
        return auth("org_admin", org=COUNTY)

    async def submit(self, area_code: str, description: str) -> dict[str, Any]:
        """A hotline request taken by the township cadre."""
        answer = await self.requests.client.post(
            "/v1/requests",
            json={
                "service_code": ROAD_REPAIR["code"],
                "area_code": area_code,
                "description": description,
                "channel": "hotline",
                "citizen": {"name": "王秀兰", "phone": "13845671234"},
            },
            headers=self.town,
        )
        assert answer.status_code == 201, answer.text
        created: dict[str, Any] = answer.json()
        return created

    async def act(
        self,
        request_id: str,
        path: str,
        headers: dict[str, str],
        payload: Any = None,
        code: int = 200,
    ) -> Any:
        """POST /v1/requests/{id}/{path}; the answer's body once its status is `code`."""
        answer = await self.requests.client.post(
            f"/v1/requests/{request_id}/{path}", json=payload, headers=headers
        )
        assert answer.status_code == code, (path, answer.text)
        return answer.json()

    async def evaluated(self, unit: str, view: str = "indicators") -> dict[str, Any]:
        """The unit's indicators (or attribution) of this month, as the county sees them."""
        period = datetime.now(platform_zone()).strftime("%Y-%m")
        answer = await self.evaluation.client.get(
            f"/v1/orgs/{self.ids[unit]}/{view}?period={period}", headers=self.viewer
        )
        assert answer.status_code == 200, answer.text
        shown: dict[str, Any] = answer.json()
        return shown


@asynccontextmanager
async def township(databases: DatabaseFactory, nats_server: NatsServer) -> AsyncIterator[Township]:
    """Start the services on fresh databases, build the tree and the catalogue item."""
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
        for key, name, area, tier, kind, parent in UNITS:
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
            return len(tree.json()["items"]) == len(UNITS)

        await eventually(replicated)
        item = await requests.client.post(
            "/v1/catalog", json=ROAD_REPAIR, headers=auth("org_admin", org=COUNTY)
        )
        assert item.status_code == 201, item.text
        yield Township(members, requests, evaluation, ids)
