"""Accounts and clients: an org admin acts inside their subtree and never above their role."""

from __future__ import annotations

import base64

import jwt
import pytest

from grassroots.kit.testing.services import DatabaseFactory, run_app
from grassroots.portal.main import SPEC, build_app

from .conftest import COUNTY, OTHER_COUNTY, TOWNSHIP, Portal, password_of, portal_settings


async def test_org_admin_cannot_create_above_their_role_or_outside_their_subtree(
    portal: Portal,
) -> None:
    admin = await portal.admin()
    assert (
        await portal.create_account(admin, "county-admin", "org_admin", COUNTY)
    ).status_code == 201
    county = await portal.bearer("county-admin", password_of("county-admin"))

    above = await portal.create_account(county, "boss", "platform_admin", COUNTY)
    assert above.status_code == 403
    outside = await portal.create_account(county, "neighbour", "cadre", OTHER_COUNTY)
    assert outside.status_code == 403
    peer = await portal.create_account(county, "deputy", "org_admin", COUNTY)
    assert peer.status_code == 201  # their own role, inside: allowed
    inside = await portal.create_account(county, "township-cadre", "cadre", TOWNSHIP)
    assert inside.status_code == 201
    cadre_id = inside.json()["id"]

    promote = await portal.client.patch(
        f"/v1/accounts/{cadre_id}", json={"role": "platform_admin"}, headers=county
    )
    assert promote.status_code == 403
    move_out = await portal.client.patch(
        f"/v1/accounts/{cadre_id}", json={"org": OTHER_COUNTY}, headers=county
    )
    assert move_out.status_code == 403
    moved = await portal.client.patch(
        f"/v1/accounts/{cadre_id}", json={"org": COUNTY, "role": "org_admin"}, headers=county
    )
    assert moved.status_code == 200 and moved.json()["org"] == COUNTY
    disabled = await portal.client.patch(
        f"/v1/accounts/{cadre_id}", json={"status": "disabled"}, headers=county
    )
    assert disabled.status_code == 200
    assert (await portal.login("township-cadre", password_of("township-cadre"))).status_code == 401

    listed = (await portal.client.get("/v1/accounts", headers=county)).json()["items"]
    assert {a["username"] for a in listed} == {"county-admin", "deputy", "township-cadre"}
    admin_id = next(
        a["id"]
        for a in (await portal.client.get("/v1/accounts", headers=admin)).json()["items"]
        if a["username"] == "admin"
    )
    assert (await portal.client.get(f"/v1/accounts/{admin_id}", headers=county)).status_code == 404
    hidden = await portal.client.patch(
        f"/v1/accounts/{admin_id}", json={"status": "disabled"}, headers=county
    )
    assert hidden.status_code == 404
    cadre = await portal.create_account(admin, "plain-cadre", "cadre", COUNTY)
    assert cadre.status_code == 201
    plain = await portal.bearer("plain-cadre", password_of("plain-cadre"))
    assert (await portal.create_account(plain, "x-viewer", "viewer", COUNTY)).status_code == 403
    assert (await portal.client.get("/v1/accounts")).status_code == 401
    kinds = await portal.audit_kinds()
    assert {"account.created", "role.changed", "scope.changed", "status.changed"} <= set(kinds)


async def test_client_credentials_work_and_a_revoked_client_is_refused(portal: Portal) -> None:
    admin = await portal.admin()
    await portal.create_account(admin, "county-admin", "org_admin", COUNTY)
    county = await portal.bearer("county-admin", password_of("county-admin"))
    above = await portal.client.post(
        "/v1/clients", json={"name": "x", "role": "platform_admin", "org": COUNTY}, headers=county
    )
    assert above.status_code == 403
    made = await portal.client.post(
        "/v1/clients", json={"name": "12345 热线", "role": "cadre", "org": COUNTY}, headers=county
    )
    assert made.status_code == 201, made.text
    client_id, secret = made.json()["client_id"], made.json()["client_secret"]
    form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
    issued = await portal.client.post("/v1/auth/token", data=form)
    assert issued.status_code == 200, issued.text
    assert issued.json()["token_type"] == "Bearer" and issued.json()["expires_in"] == 900
    claims = jwt.decode(issued.json()["access_token"], options={"verify_signature": False})
    assert (claims["sub"], claims["role"], claims["org"]) == (client_id, "cadre", COUNTY)
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    by_basic = await portal.client.post(
        "/v1/auth/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {basic}"},
    )
    assert by_basic.status_code == 200
    listed = (await portal.client.get("/v1/clients", headers=county)).json()["items"]
    assert [c["client_id"] for c in listed] == [client_id] and "client_secret" not in listed[0]

    wrong = await portal.client.post("/v1/auth/token", data={**form, "client_secret": "nope"})
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
    grant = await portal.client.post("/v1/auth/token", data={**form, "grant_type": "password"})
    assert grant.status_code == 400 and grant.json()["error"] == "unsupported_grant_type"

    assert (
        await portal.client.delete(f"/v1/clients/{client_id}", headers=county)
    ).status_code == 204
    refused = await portal.client.post("/v1/auth/token", data=form)
    assert refused.status_code == 401 and refused.json()["error"] == "invalid_client"
    assert "client.revoked" in await portal.audit_kinds()


@pytest.mark.component
async def test_sign_in_and_refresh_on_postgresql(databases: DatabaseFactory) -> None:
    from .conftest import ADMIN_PASSWORD, MovableClock

    url = await databases.fresh(SPEC)
    settings = portal_settings(url)
    async with run_app(build_app(settings, clock=MovableClock())) as service:
        client = service.client
        signed = await client.post(
            "/v1/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD}
        )
        assert signed.status_code == 200, signed.text
        refresh = signed.json()["refresh_token"]
        import asyncio

        # Two refreshes with one token at once: one wins, and the other revokes the family.
        first, second = await asyncio.gather(
            client.post("/v1/auth/refresh", json={"refresh_token": refresh}),
            client.post("/v1/auth/refresh", json={"refresh_token": refresh}),
        )
        assert sorted([first.status_code, second.status_code]) == [200, 401]
