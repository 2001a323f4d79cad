"""First vertical slice: members creates units; requests and evaluation replicate the tree."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from grassroots.evaluation.main import SPEC as EVALUATION
from grassroots.kit.cli import ServiceSpec
from grassroots.kit.tables import org_units as replica
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

pytestmark = pytest.mark.integration


async def create_tree(members: RunningService, townships: int) -> list[dict[str, Any]]:
    county = await members.client.post(
        "/v1/org-units",
        json={
            "name": "中共鸡东县委员会",
            "area_code": "230321000000",
            "tier": "county",
            "kind": "committee",
            "domain": "organ",
        },
        headers=auth(),
    )
    assert county.status_code == 201, county.text
    units = [county.json()]
    for i in range(townships):
        response = await members.client.post(
            "/v1/org-units",
            json={
                "name": f"乡镇{i}",
                "area_code": f"230321{100 + i:03d}000",
                "tier": "township",
                "kind": "committee",
                "domain": "rural",
                "parent_id": units[0]["id"],
            },
            headers=auth(),
        )
        assert response.status_code == 201, response.text
        units.append(response.json())
    return units


async def replica_ids(service: RunningService) -> set[str]:
    async with service.runtime.db.read_only() as session:
        return set((await session.execute(select(replica.c.id))).scalars())


async def test_requests_and_evaluation_replicate_the_org_tree(
    databases: DatabaseFactory, nats_server: NatsServer
) -> None:
    urls = {spec.name: await databases.fresh(spec) for spec in (MEMBERS, REQUESTS, EVALUATION)}
    async with (
        run_service(MEMBERS, database_url=urls["members"], nats_url=nats_server.url) as members,
        run_service(REQUESTS, database_url=urls["requests"], nats_url=nats_server.url) as reqs,
        run_service(EVALUATION, database_url=urls["evaluation"], nats_url=nats_server.url) as ev,
    ):
        units = await create_tree(members, townships=4)
        expected = {u["id"] for u in units}

        async def replicated() -> bool:
            return await replica_ids(reqs) == expected and await replica_ids(ev) == expected

        await eventually(replicated)
        listed = await reqs.client.get("/v1/org-tree", headers=auth("viewer", "230321101000"))
        assert [u["area_code"] for u in listed.json()["items"]] == ["230321101000"]


async def test_the_sqlite_default_works_end_to_end(tmp_path: Path, nats_server: NatsServer) -> None:
    async def sqlite(spec: ServiceSpec) -> str:
        url = f"sqlite+aiosqlite:///{tmp_path / (spec.name + '.db')}"
        settings = spec.settings_factory(**{f"{spec.name}_database_url": url})  # type: ignore[call-arg]
        await asyncio.to_thread(spec.migrate, settings)
        return url

    members_url, requests_url = await sqlite(MEMBERS), await sqlite(REQUESTS)
    async with (
        run_service(MEMBERS, database_url=members_url, nats_url=nats_server.url) as members,
        run_service(REQUESTS, database_url=requests_url, nats_url=nats_server.url) as reqs,
    ):
        units = await create_tree(members, townships=2)

        async def replicated() -> bool:
            async with reqs.runtime.db.read_only() as session:
                count = await session.scalar(select(func.count()).select_from(replica))
            return count == len(units)

        await eventually(replicated)
        assert (await members.client.get("/readyz")).status_code == 200
