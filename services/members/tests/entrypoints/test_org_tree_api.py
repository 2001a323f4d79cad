"""Moving and renaming units (with history), subtree queries and stations, over PostgreSQL."""

from __future__ import annotations

import json
from typing import Any

import pytest

from grassroots.kit.testing.services import RunningService, auth, eventually

pytestmark = pytest.mark.component

Tree = dict[str, dict[str, Any]]


async def test_move_and_rename_keep_history_and_reroot_the_subtree(
    members: RunningService, tree: Tree, published: Any
) -> None:
    client = members.client
    second_town = (
        await client.post(
            "/v1/org-units",
            json={
                "name": "向阳镇党委",
                "area_code": "230321102000",
                "tier": "township",
                "kind": "committee",
                "domain": "rural",
                "parent_id": tree["county"]["id"],
            },
            headers=auth(),
        )
    ).json()
    grid = (
        await client.post(
            "/v1/org-units",
            json={
                "name": "第一网格",
                "area_code": "230321100201",
                "tier": "grid",
                "kind": "group",
                "domain": "rural",
                "parent_id": tree["village"]["id"],
            },
            headers=auth(),
        )
    ).json()
    # A village of 鸡东镇 cannot move under 向阳镇: its code lies outside.
    misfit = await client.patch(
        f"/v1/org-units/{tree['village']['id']}",
        json={"parent_id": second_town["id"]},
        headers=auth(),
    )
    assert misfit.status_code == 422 and misfit.json()["errors"][0]["field"] == "area_code"
    cycle = await client.patch(
        f"/v1/org-units/{tree['town']['id']}", json={"parent_id": grid["id"]}, headers=auth()
    )
    assert cycle.status_code == 422
    # A grid cannot move to the community: its code names the village. The village is renamed.
    moved = await client.patch(
        f"/v1/org-units/{grid['id']}", json={"parent_id": tree["community"]["id"]}, headers=auth()
    )
    assert moved.status_code == 422
    renamed = await client.patch(
        f"/v1/org-units/{tree['village']['id']}", json={"name": "东升村党支部"}, headers=auth()
    )
    assert renamed.status_code == 200 and renamed.json()["version"] == 2
    history = (
        await client.get(f"/v1/org-units/{tree['village']['id']}/history", headers=auth())
    ).json()
    assert [(h["change"], h["previous_name"], h["name"]) for h in history] == [
        ("rename", "东升村支部", "东升村党支部")
    ]
    subtree = (
        await client.get(f"/v1/org-units/{tree['town']['id']}/subtree?limit=2", headers=auth())
    ).json()
    assert subtree["items"][0]["id"] == tree["town"]["id"] and subtree["next_cursor"]
    rest = (
        await client.get(
            f"/v1/org-units/{tree['town']['id']}/subtree?cursor={subtree['next_cursor']}",
            headers=auth(),
        )
    ).json()
    ids = {u["id"] for u in subtree["items"] + rest["items"]}
    assert ids == {tree["town"]["id"], tree["village"]["id"], tree["community"]["id"], grid["id"]}

    async def update_published() -> bool:
        return bool(published.on("gr.members.v1.org_unit_updated.23.03.21.100.201"))

    await eventually(update_published)
    event = json.loads(published.on("gr.members.v1.org_unit_updated.")[0][1])
    assert event["data"]["name"] == "东升村党支部" and event["data"]["version"] == 2


async def test_moving_a_township_carries_its_subtree(members: RunningService, tree: Tree) -> None:
    client = members.client
    city = (
        await client.post(
            "/v1/org-units",
            json={
                "name": "鸡西市委",
                "area_code": "230300000000",
                "tier": "city",
                "kind": "committee",
                "domain": "organ",
            },
            headers=auth(),
        )
    ).json()
    # An organ unit of the county (same code, same tier) takes the township under it.
    organ = (
        await client.post(
            "/v1/org-units",
            json={
                "name": "县直机关工委",
                "area_code": "230321000000",
                "tier": "county",
                "kind": "committee",
                "domain": "organ",
                "parent_id": tree["county"]["id"],
            },
            headers=auth(),
        )
    ).json()
    moved = await client.patch(
        f"/v1/org-units/{tree['town']['id']}", json={"parent_id": organ["id"]}, headers=auth()
    )
    assert moved.status_code == 200, moved.text
    under_organ = (await client.get(f"/v1/org-units/{organ['id']}/subtree", headers=auth())).json()
    assert {u["id"] for u in under_organ["items"]} == {
        organ["id"],
        tree["town"]["id"],
        tree["village"]["id"],
        tree["community"]["id"],
    }
    county_moved = await client.patch(
        f"/v1/org-units/{tree['county']['id']}", json={"parent_id": city["id"]}, headers=auth()
    )
    assert county_moved.status_code == 200
    under_city = (await client.get(f"/v1/org-units/{city['id']}/subtree", headers=auth())).json()
    assert len(under_city["items"]) == 6
    scoped = await client.patch(
        f"/v1/org-units/{tree['town']['id']}",
        json={"name": "x"},
        headers=auth("org_admin", org="230322000000"),
    )
    assert scoped.status_code == 403


async def test_stations_attach_to_units(members: RunningService, tree: Tree) -> None:
    client = members.client
    body = {"kind": "proxy_point", "name": "东升村代办点", "address": "村部一楼"}
    created = await client.post(
        f"/v1/org-units/{tree['village']['id']}/stations", json=body, headers=auth()
    )
    assert created.status_code == 201
    duplicate = await client.post(
        f"/v1/org-units/{tree['village']['id']}/stations", json=body, headers=auth()
    )
    assert duplicate.status_code == 409
    await client.post(
        f"/v1/org-units/{tree['town']['id']}/stations",
        json={"kind": "service_center", "name": "鸡东镇便民服务中心"},
        headers=auth(),
    )
    village_view = auth("viewer", org="230321100201")
    seen = (await client.get("/v1/stations", headers=village_view)).json()["items"]
    assert [s["name"] for s in seen] == ["东升村代办点"]
    proxies = (
        await client.get(
            f"/v1/stations?org_unit={tree['county']['id']}&kind=proxy_point", headers=auth()
        )
    ).json()["items"]
    assert [s["area_code"] for s in proxies] == ["230321100201"]
    bad = await client.post(
        f"/v1/org-units/{tree['village']['id']}/stations",
        json={"kind": "castle", "name": "x"},
        headers=auth(),
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "kind"
