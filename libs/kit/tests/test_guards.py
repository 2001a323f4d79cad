"""Identity, role and scope come before the body on every route, without per-route code."""

from __future__ import annotations

from typing import Annotated

import httpx
from fastapi import APIRouter, Depends, File, UploadFile
from pydantic import BaseModel

from grassroots.kit.app import Runtime, create_app
from grassroots.kit.auth import CurrentPrincipal, OptionalPrincipal, Principal
from grassroots.kit.guards import OrgAdmin, viewers_may_call
from grassroots.kit.problems import Forbidden
from grassroots.kit.testing.services import auth, settings_for_tests

from .conftest import ProbeSettings


class Thing(BaseModel):
    name: str
    count: int


async def unit_in_scope(unit: str, principal: CurrentPrincipal) -> str:
    """A scope check on a path parameter, as a dependency."""
    if not principal.covers("230321" + unit.rjust(6, "0")[-6:]):
        raise Forbidden("outside")
    return unit


def router() -> APIRouter:
    api = APIRouter()

    @api.post("/things")
    async def create(body: Thing, principal: CurrentPrincipal) -> dict[str, str]:
        return {"by": principal.sub}

    @api.put("/admin-things")
    async def admin_put(body: Thing, principal: OrgAdmin) -> dict[str, str]:
        return {"by": principal.sub}

    @api.put("/units/{unit}")
    async def put_unit(body: Thing, unit: Annotated[str, Depends(unit_in_scope)]) -> dict[str, str]:
        return {"unit": unit}

    @api.post("/upload")
    async def upload(principal: CurrentPrincipal, file: UploadFile = File(...)) -> dict[str, str]:
        return {"name": file.filename or ""}

    @api.post("/public")
    async def public(body: Thing, principal: OptionalPrincipal) -> dict[str, str]:
        return {"by": principal.sub if principal else "citizen"}

    @api.post("/read-marks", dependencies=[Depends(viewers_may_call)])
    async def mark(principal: CurrentPrincipal) -> dict[str, str]:
        return {"by": principal.sub}

    return api


def client() -> httpx.AsyncClient:
    settings = settings_for_tests(ProbeSettings, probe_database_url="sqlite+aiosqlite://")
    app = create_app(Runtime(settings), [router()], title="probe")
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


async def test_no_token_or_a_bad_one_is_401_before_a_malformed_body() -> None:
    async with client() as http:
        for method, path, kind in (
            ("POST", "/things", "application/json"),
            ("PUT", "/admin-things", "application/json"),
            ("PUT", "/units/1", "application/json"),
            ("POST", "/upload", "multipart/form-data; boundary=x"),
        ):
            for headers in ({}, {"Authorization": "Bearer not.a.token"}):
                response = await http.request(
                    method, path, content=b"{not json", headers={**headers, "Content-Type": kind}
                )
                assert response.status_code == 401, (path, response.text)
                assert response.headers["content-type"] == "application/problem+json"
                assert "segment" not in response.text.lower()


async def test_a_viewer_or_the_wrong_role_or_area_is_403_before_a_malformed_body() -> None:
    async with client() as http:
        viewer = auth("viewer", org="230321000000")
        cadre = auth("cadre", org="230321100000")
        for method, path, headers in (
            ("POST", "/things", viewer),
            ("PUT", "/admin-things", cadre),
            ("PUT", "/units/000001", auth("org_admin", org="110101000000")),
            ("POST", "/public", viewer),
        ):
            response = await http.request(method, path, json={"name": 1}, headers=headers)
            assert response.status_code == 403, (path, response.text)
        ok = await http.put("/units/100000", json={"name": "x", "count": 1}, headers=cadre)
        assert ok.status_code == 200
        assert (await http.post("/read-marks", headers=viewer)).status_code == 200
        # Allowed callers still get their 422 naming the field.
        invalid = await http.post("/things", json={"name": "x"}, headers=cadre)
        assert invalid.status_code == 422
        assert [e["field"] for e in invalid.json()["errors"]] == ["count"]
        anonymous = await http.post("/public", json={"name": "x", "count": 1})
        assert anonymous.json() == {"by": "citizen"}


async def test_a_principal_is_still_given_to_the_route() -> None:
    async with client() as http:
        response = await http.post(
            "/things", json={"name": "x", "count": 1}, headers=auth("member", sub="m-1")
        )
    assert response.json() == {"by": "m-1"}


def test_principal_type_is_the_kits() -> None:
    assert Principal("a", "viewer", "000000000000").role == "viewer"
