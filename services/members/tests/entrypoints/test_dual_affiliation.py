"""Dual affiliation (seed 004), paged posts and commitments, nulls in a PATCH, pay's duties."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from grassroots.kit.testing.services import RunningService, auth
from grassroots.members.adapters.orm import members as members_table

pytestmark = pytest.mark.component

Tree = dict[str, dict[str, Any]]


async def register(service: RunningService, body: dict[str, Any]) -> dict[str, Any]:
    response = await service.client.post("/v1/members", json=body, headers=auth())
    assert response.status_code == 201, response.text
    member: dict[str, Any] = response.json()
    return member


async def test_the_residence_community_sees_its_checked_in_member_and_their_posts(
    members: RunningService, tree: Tree, new_member: Any, published: Any
) -> None:
    worker = await register(members, new_member(tree["other_village"]["id"], 31, in_service=True))
    community_cadre = auth("cadre", org=tree["community"]["area_code"])
    before = await members.client.get(f"/v1/members/{worker['id']}", headers=community_cadre)
    assert before.status_code == 403
    checked = await members.client.post(
        f"/v1/members/{worker['id']}/community-checkin",
        json={"community_org_unit_id": tree["community"]["id"]},
        headers=community_cadre,
    )
    assert checked.status_code == 200, checked.text
    own = auth("member", org=tree["other_village"]["area_code"], sub=worker["id"])
    for title in ("政策宣传岗", "环境卫生岗", "邻里调解岗"):
        claimed = await members.client.post(
            f"/v1/members/{worker['id']}/posts", json={"title": title}, headers=own
        )
        assert (
            claimed.status_code == 201 and claimed.json()["org_unit_id"] == tree["community"]["id"]
        )
    committed = await members.client.post(
        f"/v1/members/{worker['id']}/commitments",
        json={"text": "每月参加社区志愿服务两次"},
        headers=own,
    )
    assert committed.status_code == 201

    listed = await members.client.get(
        f"/v1/members?org_unit={tree['community']['id']}", headers=community_cadre
    )
    assert [m["id"] for m in listed.json()["items"]] == [worker["id"]]
    in_scope = await members.client.get("/v1/members", headers=community_cadre)
    assert [m["id"] for m in in_scope.json()["items"]] == [worker["id"]]
    assert (
        await members.client.get(f"/v1/members/{worker['id']}", headers=community_cadre)
    ).status_code == 200
    first = await members.client.get(
        f"/v1/members/{worker['id']}/posts?limit=2", headers=community_cadre
    )
    assert first.status_code == 200, first.text
    page = first.json()
    assert [p["title"] for p in page["items"]] == ["政策宣传岗", "环境卫生岗"]
    rest = await members.client.get(
        f"/v1/members/{worker['id']}/posts?limit=2&cursor={page['next_cursor']}",
        headers=community_cadre,
    )
    assert [p["title"] for p in rest.json()["items"]] == ["邻里调解岗"]
    assert rest.json()["next_cursor"] is None
    commitments = await members.client.get(
        f"/v1/members/{worker['id']}/commitments", headers=community_cadre
    )
    assert commitments.json()["items"][0]["text"] == "每月参加社区志愿服务两次"
    # A cadre of an unrelated village still sees nothing.
    stranger = auth("cadre", org=tree["village"]["area_code"])
    assert (
        await members.client.get(f"/v1/members/{worker['id']}/posts", headers=stranger)
    ).status_code == 403

    events = [json.loads(d) for s, d in published.on("gr.members.v1.") if "post_claimed" in s]
    assert {e["data"]["post_org_unit_id"] for e in events} == {tree["community"]["id"]}
    assert {e["data"]["post_area_code"] for e in events} == {tree["community"]["area_code"]}
    promised = [
        json.loads(d) for s, d in published.on("gr.members.v1.") if "commitment_published" in s
    ]
    assert promised[0]["data"]["community_org_unit_id"] == tree["community"]["id"]
    assert promised[0]["data"]["community_area_code"] == tree["community"]["area_code"]
    assert promised[0]["data"]["text"] == "每月参加社区志愿服务两次"


async def test_a_null_for_a_required_field_is_refused_and_pay_duties_are_accepted(
    members: RunningService, tree: Tree, new_member: Any
) -> None:
    member = await register(
        members,
        new_member(tree["village"]["id"], 32, duties=["deputy_secretary", "committee_member"]),
    )
    assert member["duties"] == ["committee_member", "deputy_secretary"]
    for field in ("name", "in_service", "public_name_consent"):
        response = await members.client.patch(
            f"/v1/members/{member['id']}",
            json={field: None, "work_unit": "县供电局"},
            headers=auth(),
        )
        assert response.status_code == 422, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert [e["field"] for e in response.json()["errors"]] == [field]
    async with members.runtime.db.read_only() as session:
        row = (
            await session.execute(select(members_table).where(members_table.c.id == member["id"]))
        ).one()
    assert (row.name, row.work_unit, row.version) == (member["name"], None, 1)
    cadre = await members.client.patch(
        f"/v1/members/{member['id']}", json={"duties": ["cadre", "secretary"]}, headers=auth()
    )
    assert cadre.status_code == 200 and cadre.json()["duties"] == ["cadre", "secretary"]
