"""The org-unit endpoints over PostgreSQL and a real NATS: auth, scope, validation, events."""

from __future__ import annotations

import pytest

from grassroots.kit.testing.servers import NatsServer
from grassroots.kit.testing.services import DatabaseFactory, RunningService, auth, run_service
from grassroots.members.main import SPEC

pytestmark = pytest.mark.component

COUNTY = {
    "name": "中共鸡东县委员会",
    "area_code": "230321000000",
    "tier": "county",
    "kind": "committee",
    "domain": "organ",
}


@pytest.fixture
async def members(databases: DatabaseFactory, nats_server: NatsServer):  # type: ignore[no-untyped-def]
    url = await databases.fresh(SPEC)
    async with run_service(SPEC, database_url=url, nats_url=nats_server.url) as service:
        yield service


async def test_no_token_is_401(members: RunningService) -> None:
    response = await members.client.post("/v1/org-units", json=COUNTY)
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 401


async def test_a_bad_token_is_401(members: RunningService) -> None:
    headers = {"Authorization": "Bearer not-a-jwt"}
    response = await members.client.get("/v1/org-units", headers=headers)
    assert response.status_code == 401


async def test_a_token_outside_the_subtree_is_403(members: RunningService) -> None:
    other_county = auth("org_admin", org="230322000000")
    response = await members.client.post("/v1/org-units", json=COUNTY, headers=other_county)
    assert response.status_code == 403
    assert response.json()["title"] == "Forbidden"


async def test_a_cadre_may_not_create_units(members: RunningService) -> None:
    response = await members.client.post(
        "/v1/org-units", json=COUNTY, headers=auth("cadre", org="230321000000")
    )
    assert response.status_code == 403


async def test_a_bad_body_is_422_naming_each_field(members: RunningService) -> None:
    body = {**COUNTY, "tier": "galaxy", "area_code": "2303"}
    body.pop("name")
    response = await members.client.post("/v1/org-units", json=body, headers=auth())
    assert response.status_code == 422
    problem = response.json()
    assert response.headers["content-type"] == "application/problem+json"
    assert {e["field"] for e in problem["errors"]} == {"name", "tier", "area_code"}


@pytest.mark.parametrize("code", ["23032100000X", "230321000201", "23032"])
async def test_a_malformed_area_code_is_refused(members: RunningService, code: str) -> None:
    response = await members.client.post(
        "/v1/org-units", json={**COUNTY, "area_code": code}, headers=auth()
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["area_code"]


async def test_a_code_that_does_not_fit_its_tier_is_refused(members: RunningService) -> None:
    response = await members.client.post(
        "/v1/org-units", json={**COUNTY, "area_code": "230321100000"}, headers=auth()
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "area_code"


async def test_create_read_list_and_page(members: RunningService) -> None:
    county = (await members.client.post("/v1/org-units", json=COUNTY, headers=auth())).json()
    assert county["version"] == 1
    for i in range(3):
        town = {
            "name": f"乡镇{i}",
            "area_code": f"230321{100 + i}000",
            "tier": "township",
            "kind": "committee",
            "domain": "rural",
            "parent_id": county["id"],
        }
        assert (
            await members.client.post("/v1/org-units", json=town, headers=auth())
        ).status_code == 201
    duplicate = await members.client.post(
        "/v1/org-units", json={**COUNTY}, headers=auth("org_admin", org="230321000000")
    )
    assert duplicate.status_code == 409
    page = (await members.client.get("/v1/org-units?limit=2", headers=auth())).json()
    assert len(page["items"]) == 2 and page["next_cursor"]
    rest = (
        await members.client.get(
            f"/v1/org-units?limit=2&cursor={page['next_cursor']}", headers=auth()
        )
    ).json()
    assert len(rest["items"]) == 2 and rest["next_cursor"] is None
    township_token = auth("viewer", org="230321100000")
    seen = (await members.client.get("/v1/org-units", headers=township_token)).json()["items"]
    assert [u["area_code"] for u in seen] == ["230321100000"]
    outside = await members.client.get(f"/v1/org-units/{county['id']}", headers=township_token)
    assert outside.status_code == 403
    bad_cursor = await members.client.get("/v1/org-units?cursor=%%%", headers=auth())
    assert bad_cursor.status_code == 422
    assert bad_cursor.json()["errors"][0]["field"] == "cursor"


async def test_unknown_parent_is_named(members: RunningService) -> None:
    body = {**COUNTY, "parent_id": "nope"}
    response = await members.client.post("/v1/org-units", json=body, headers=auth())
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "parent_id"


async def test_health_ready_and_metrics(members: RunningService) -> None:
    assert (await members.client.get("/healthz")).status_code == 200
    ready = await members.client.get("/readyz")
    assert ready.status_code == 200, ready.text
    await members.client.get("/v1/org-units/some-id", headers=auth())
    text = (await members.client.get("/metrics")).text
    assert 'route="/v1/org-units/{unit_id}"' in text
    assert "some-id" not in text
