"""Key rotation, the county skill vocabulary and the business metrics, over PostgreSQL."""

from __future__ import annotations

import base64
import os
from typing import Any

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import select

from grassroots.kit.testing.servers import NatsServer
from grassroots.kit.testing.services import DatabaseFactory, RunningService, auth, run_service
from grassroots.members.adapters.orm import floating_spells
from grassroots.members.adapters.orm import members as members_table
from grassroots.members.main import SPEC
from grassroots.members.service.gauges import refresh_gauges

pytestmark = pytest.mark.component

Tree = dict[str, dict[str, Any]]


def new_key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


async def test_keys_rotate_without_losing_data(
    databases: DatabaseFactory, nats_server: NatsServer, new_member: Any
) -> None:
    url = await databases.fresh(SPEC)
    old, new = new_key(), new_key()
    body: dict[str, Any] = {}
    async with run_service(
        SPEC,
        database_url=url,
        nats_url=nats_server.url,
        members_encryption_keys={"2025": old},
        members_encryption_key_id="2025",
    ) as first:
        county = await first.client.post(
            "/v1/org-units",
            json={
                "name": "县委",
                "area_code": "230321000000",
                "tier": "county",
                "kind": "committee",
                "domain": "organ",
            },
            headers=auth(),
        )
        body = new_member(county.json()["id"], 31)
        member = (await first.client.post("/v1/members", json=body, headers=auth())).json()
        await first.client.post(
            f"/v1/members/{member['id']}/flow-out",
            json={"destination": "哈尔滨", "reason": "务工"},
            headers=auth(),
        )
    async with run_service(
        SPEC,
        database_url=url,
        nats_url=nats_server.url,
        members_encryption_keys={"2025": old, "2026": new},
        members_encryption_key_id="2026",
    ) as second:
        reveal = f"/v1/members/{member['id']}/reveal"
        read = await second.client.post(reveal, json={"reason": "轮换前核对"}, headers=auth())
        assert read.json()["id_number"] == body["id_number"]
        cadre = await second.client.post("/v1/admin/reencrypt", headers=auth("org_admin"))
        assert cadre.status_code == 403
        done = await second.client.post("/v1/admin/reencrypt", headers=auth())
        assert done.json() == {"reencrypted": 2, "active_key_id": "2026"}
        async with second.runtime.db.read_only() as session:
            sealed = (await session.execute(select(members_table))).one()
            spell = (await session.execute(select(floating_spells))).one()
        assert sealed.id_number_enc.startswith("v1:2026:")
        assert sealed.phone_enc.startswith("v1:2026:")
        assert spell.destination_enc.startswith("v1:2026:")
    async with run_service(
        SPEC,
        database_url=url,
        nats_url=nats_server.url,
        members_encryption_keys={"2026": new},
        members_encryption_key_id="2026",
    ) as third:
        read = await third.client.post(reveal, json={"reason": "轮换后核对"}, headers=auth())
        assert read.json() == {
            "member_id": member["id"],
            "id_number": body["id_number"],
            "phone": body["phone"],
        }


async def test_the_county_vocabulary_normalises_new_tags(
    members: RunningService, tree: Tree, new_member: Any
) -> None:
    alias = {"county_area": "230321000000", "alias": "修拖拉机", "skill": "农机维修"}
    assert (
        await members.client.put("/v1/skills/aliases", json=alias, headers=auth("cadre"))
    ).status_code == 403
    put = await members.client.put("/v1/skills/aliases", json=alias, headers=auth("org_admin"))
    assert put.status_code == 200
    not_county = {**alias, "county_area": "230321100000"}
    refused = await members.client.put(
        "/v1/skills/aliases", json=not_county, headers=auth("org_admin")
    )
    assert refused.status_code == 422
    created = await members.client.post(
        "/v1/members",
        json=new_member(tree["village"]["id"], 32, skills=["修拖拉机", "电路维修", "唢呐"]),
        headers=auth(),
    )
    assert created.json()["skills"] == ["农机维修", "电工", "唢呐"]
    other_county = await members.client.post(
        "/v1/members",
        json=new_member(tree["other_village"]["id"], 33, skills=["修拖拉机"]),
        headers=auth(),
    )
    assert other_county.json()["skills"] == ["修拖拉机"]
    in_use = await members.client.get(f"/v1/skills?org_unit={tree['county']['id']}", headers=auth())
    assert in_use.json() == [
        {"skill": "农机维修", "members": 1},
        {"skill": "唢呐", "members": 1},
        {"skill": "电工", "members": 1},
    ]
    listed = await members.client.get("/v1/skills/aliases?county_area=230321000000", headers=auth())
    assert [a["alias"] for a in listed.json()] == ["修拖拉机"]


async def test_business_gauges_and_import_counters_are_exposed(
    members: RunningService, tree: Tree, new_member: Any
) -> None:
    for serial, extra in ((34, {}), (35, {"stage": "probationary"}), (36, {})):
        await members.client.post(
            "/v1/members", json=new_member(tree["village"]["id"], serial, **extra), headers=auth()
        )
    member = (await members.client.get("/v1/members?limit=1", headers=auth())).json()["items"][0]
    await members.client.post(
        f"/v1/members/{member['id']}/flow-out",
        json={"destination": "大连", "reason": "务工"},
        headers=auth(),
    )
    await refresh_gauges(members.runtime)
    text = (await members.client.get("/metrics")).text
    assert 'gr_members_members{county="230321000000",stage="full"} 2.0' in text
    assert 'gr_members_members{county="230321000000",stage="probationary"} 1.0' in text
    assert 'gr_members_floating_ratio{county="230321000000"} 0.333' in text
    assert member["id"] not in text


async def test_import_rows_are_counted(
    members: RunningService, tree: Tree, new_member: Any
) -> None:
    def counted(outcome: str) -> float:
        value = REGISTRY.get_sample_value("gr_members_import_rows_total", {"outcome": outcome})
        return value or 0.0

    before = counted("accepted"), counted("rejected")
    good = new_member(tree["village"]["id"], 37)
    bad = new_member(tree["village"]["id"], 38, stage="boss")
    lines = ["name,id_number,org_unit_id,stage,joined_at"] + [
        f"{m['name']},{m['id_number']},{m['org_unit_id']},{m['stage']},{m['joined_at']}"
        for m in (good, bad)
    ]
    response = await members.client.post(
        "/v1/members/import",
        files={"file": ("m.csv", "\n".join(lines).encode(), "text/csv")},
        headers=auth("org_admin"),
    )
    assert response.json()["accepted"] == 1
    assert (counted("accepted") - before[0], counted("rejected") - before[1]) == (1.0, 1.0)
    text = (await members.client.get("/metrics")).text
    assert 'gr_members_import_rows_total{outcome="rejected"}' in text
