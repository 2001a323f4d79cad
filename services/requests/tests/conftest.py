"""Shared fixtures: the requests service over PostgreSQL and NATS, with a small org tree."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import update

from grassroots.contracts.envelope import CloudEvent
from grassroots.contracts.events.members import OrgUnitCreated
from grassroots.kit.app import Runtime
from grassroots.kit.orgtree import apply_org_unit
from grassroots.kit.testing.servers import NatsServer
from grassroots.kit.testing.services import DatabaseFactory, RunningService, auth, run_service
from grassroots.requests.adapters.orm import requests
from grassroots.requests.main import SPEC

COUNTY, TOWN, VILLAGE = "230321000000", "230321100000", "230321100201"
OTHER_VILLAGE = "230321100202"
UNITS = [
    ("u-county", "中共鸡东县委员会", COUNTY, "county", "committee", None),
    ("u-town", "中共鸡东镇委员会", TOWN, "township", "committee", "u-county"),
    ("u-village", "东升村党支部", VILLAGE, "village", "branch", "u-town"),
    ("u-other", "西山村党支部", OTHER_VILLAGE, "village", "branch", "u-town"),
]
ITEM = {
    "county_area": COUNTY,
    "code": "dibao-proxy",
    "name": "低保申请代办",
    "category": "社会救助",
    "description": "村代办员代为收集材料、报送乡镇民政办",
    "time_limit": "P5D",
    "calendar": "workdays",
    "handling_tier": "village",
    "escalation_limits": {"township": "P3D"},
    "materials": ["身份证", "户口簿", "收入证明"],
    "door_to_door": True,
    "allow_anonymous": False,
    "skills": ["民政", "社会救助"],
    "attributes": [
        {
            "code": "household_size",
            "description": "家庭人口数",
            "datatype": "number",
            "required": True,
        }
    ],
}
CITIZEN = {"name": "王秀兰", "phone": "13845671234"}
VILLAGE_CADRE = auth("cadre", org=VILLAGE, sub="cadre-village")
TOWN_CADRE = auth("cadre", org=TOWN, sub="cadre-town")
ADMIN = auth("org_admin", org=COUNTY, sub="admin-county")


async def seed_org_tree(runtime: Runtime) -> None:
    """Feed the org-tree replica through its own consumer handler."""
    async with runtime.db.transaction() as session:
        for unit_id, name, area, tier, kind, parent in UNITS:
            data = OrgUnitCreated(
                org_unit_id=unit_id,
                name=name,
                area_code=area,
                tier=tier,  # type: ignore[arg-type]
                kind=kind,  # type: ignore[arg-type]
                domain="rural",
                parent_id=parent,
                version=1,
                occurred_at=datetime.now(UTC),
            )
            event = CloudEvent(
                id=f"seed-{unit_id}",
                source="/tests",
                type=data.event_type(),
                subject=unit_id,
                data=data.model_dump(mode="json"),
                areacode=area,
            )
            await apply_org_unit(session, event)


@pytest.fixture
async def database_url(databases: DatabaseFactory) -> str:
    return await databases.fresh(SPEC)


@pytest.fixture
async def service(database_url: str, nats_server: NatsServer) -> AsyncIterator[RunningService]:
    async with run_service(
        SPEC,
        database_url=database_url,
        nats_url=nats_server.url,
        requests_run_scanner=False,
        requests_public_burst=3,
        requests_public_per_minute=1,
    ) as running:
        await seed_org_tree(running.runtime)
        response = await running.client.post("/v1/catalog", json=ITEM, headers=ADMIN)
        assert response.status_code == 201, response.text
        yield running


async def submit(service: RunningService, **overrides: Any) -> dict[str, Any]:
    """A request taken in at the village window by its cadre."""
    body = {
        "service_code": "dibao-proxy",
        "area_code": VILLAGE,
        "description": "母亲年老多病，申请低保，请村里代办",
        "channel": "window",
        "citizen": CITIZEN,
        "attributes": {"household_size": 3},
        **overrides,
    }
    response = await service.client.post("/v1/requests", json=body, headers=VILLAGE_CADRE)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def make_overdue(runtime: Runtime, request_id: str) -> None:
    """Move a request's due time into the past."""
    async with runtime.db.transaction() as session:
        await session.execute(
            update(requests)
            .where(requests.c.id == request_id)
            .values(due_at=datetime(2020, 1, 1, tzinfo=UTC))
        )
