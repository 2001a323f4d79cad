"""Auth, problem answers, paging and settings, without I/O beyond an in-process app."""

from __future__ import annotations

import time
from datetime import timedelta

import httpx
import jwt
import pytest
from fastapi import FastAPI
from pydantic import BaseModel, Field, ValidationError

from grassroots.kit.auth import CurrentPrincipal, Principal, decode_token, issue_token
from grassroots.kit.paging import decode_cursor, encode_cursor
from grassroots.kit.problems import Conflict, Invalid, ProblemError, install_problem_handlers
from grassroots.kit.settings import DEV_JWT_SECRET, ServiceSettings

SECRET = "unit-test-secret-that-is-long-enough-for-hs384-keys-0123456789"


class Body(BaseModel):
    name: str = Field(min_length=1)
    count: int


def make_app() -> FastAPI:
    app = FastAPI()
    app.state.settings = ServiceSettings(jwt_secret=SECRET)
    install_problem_handlers(app)

    @app.post("/things")
    async def create(body: Body, principal: CurrentPrincipal) -> dict[str, str]:
        principal.require_area("230321000000")
        return {"by": principal.sub}

    @app.get("/conflict")
    async def conflict() -> None:
        raise Conflict("already accepted")

    @app.get("/invalid")
    async def invalid() -> None:
        raise Invalid("due", "must be in the future")

    return app


@pytest.fixture
async def client() -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=make_app())
    return httpx.AsyncClient(transport=transport, base_url="http://t")


def bearer(**claims: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(SECRET, **claims)}"}  # type: ignore[arg-type]


async def test_no_token_401_wrong_scope_403_in_scope_200(client: httpx.AsyncClient) -> None:
    body = {"name": "x", "count": 1}
    assert (await client.post("/things", json=body)).status_code == 401
    outside = bearer(sub="u", role="cadre", org="230322000000")
    assert (await client.post("/things", json=body, headers=outside)).status_code == 403
    inside = bearer(sub="u", role="cadre", org="230300000000")
    response = await client.post("/things", json=body, headers=inside)
    assert response.status_code == 200
    assert response.json() == {"by": "u"}


async def test_validation_problem_names_every_field(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/things", json={"name": "", "count": "many"}, headers=bearer(sub="u", role="viewer")
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert set(problem) >= {"type", "title", "status", "detail", "errors"}
    assert {e["field"] for e in problem["errors"]} == {"name", "count"}


async def test_raised_problems_keep_their_status(client: httpx.AsyncClient) -> None:
    conflict = await client.get("/conflict")
    assert conflict.status_code == 409
    assert conflict.json()["detail"] == "already accepted"
    invalid = await client.get("/invalid")
    assert invalid.status_code == 422
    assert invalid.json()["errors"][0]["field"] == "due"
    missing = await client.get("/nowhere")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"


def test_tokens_are_verified() -> None:
    token = issue_token(SECRET, sub="m1", role="member", org="230321100000")
    assert decode_token(SECRET, token) == Principal("m1", "member", "230321100000")
    for bad in [
        issue_token("another-secret-that-is-also-long-enough-0123456789", sub="m1", role="member"),
        issue_token(SECRET, sub="m1", role="member", ttl=timedelta(seconds=-5)),
        jwt.encode({"sub": "x", "role": "god", "org": "000000000000", "exp": 9e9}, SECRET),
        jwt.encode({"sub": "x", "role": "viewer", "org": "23", "exp": 9e9}, SECRET),
        jwt.encode(
            {"sub": "x", "role": "viewer", "org": "000000000000", "exp": 9e9}, SECRET, "HS384"
        ),
    ]:
        with pytest.raises(ProblemError) as caught:
            decode_token(SECRET, bad)
        assert caught.value.status == 401


def test_a_remembered_token_still_expires(monkeypatch: pytest.MonkeyPatch) -> None:
    token = issue_token(SECRET, sub="m1", role="member", ttl=timedelta(minutes=5))
    assert decode_token(SECRET, token).sub == "m1"
    assert decode_token(SECRET, token).sub == "m1"  # the second answer comes from memory
    later = time.time() + 301
    monkeypatch.setattr("grassroots.kit.auth.time.time", lambda: later)
    with pytest.raises(ProblemError) as caught:
        decode_token(SECRET, token)
    assert caught.value.status == 401 and "expired" in caught.value.detail
    # The same text under another secret is not taken from memory either.
    with pytest.raises(ProblemError):
        decode_token("another-secret-that-is-also-long-enough-0123456789", token)


def test_roles_rank() -> None:
    cadre = Principal("c", "cadre", "230321000000")
    cadre.require_role("cadre")
    cadre.require_role("member", "cadre")
    with pytest.raises(ProblemError):
        cadre.require_role("org_admin")
    assert Principal("r", "platform_admin", "000000000000").covers("110101001001")


def test_cursors_round_trip_and_foreign_ones_are_named() -> None:
    assert decode_cursor(encode_cursor(["2026-01-01", "id-1"])) == ["2026-01-01", "id-1"]
    assert decode_cursor(None) is None
    with pytest.raises(ProblemError) as caught:
        decode_cursor("!!not-ours")
    assert caught.value.errors and caught.value.errors[0]["field"] == "cursor"


def test_production_refuses_the_development_secret() -> None:
    with pytest.raises(ValidationError, match="GR_JWT_SECRET"):
        ServiceSettings(env="production", jwt_secret=DEV_JWT_SECRET, cursor_secret="c" * 32)
    assert ServiceSettings(env="production", jwt_secret="real").jwt_secret == "real"
    assert ServiceSettings().jwt_secret == DEV_JWT_SECRET


def test_production_needs_no_jwt_secret_but_a_cursor_secret(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("GR_JWT_SECRET", raising=False)
    monkeypatch.setenv("GR_ENV", "production")
    monkeypatch.setenv("GR_CURSOR_SECRET", "a-cursor-secret-of-the-deployment")
    settings = ServiceSettings()
    assert settings.cursor_key == "a-cursor-secret-of-the-deployment"
    # The dev default, when someone sets it, is still refused.
    monkeypatch.setenv("GR_JWT_SECRET", DEV_JWT_SECRET)
    with pytest.raises(ValidationError, match="GR_JWT_SECRET"):
        ServiceSettings()
    # Without either, cursors would be signed with a key everyone knows.
    monkeypatch.delenv("GR_JWT_SECRET")
    monkeypatch.delenv("GR_CURSOR_SECRET")
    with pytest.raises(ValidationError, match="GR_CURSOR_SECRET"):
        ServiceSettings()


def test_a_malformed_area_filter_is_refused() -> None:
    with pytest.raises(ValidationError, match="area filter"):
        ServiceSettings(area_filter="23.3")
    assert ServiceSettings(area_filter="23.03.21").area_prefix == "230321"


def test_settings_come_from_gr_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GR_NATS_URL", "nats://example:4333")
    monkeypatch.setenv("GR_AREA_FILTER", "23.03")
    settings = ServiceSettings()
    assert settings.nats_url == "nats://example:4333"
    assert settings.area_prefix == "2303"
