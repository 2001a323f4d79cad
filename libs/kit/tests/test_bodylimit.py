"""The body limit counts the bytes received, chunked or not, on public and secured routes."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
from fastapi import APIRouter
from pydantic import BaseModel

from grassroots.kit.app import Runtime, create_app
from grassroots.kit.auth import CurrentPrincipal, OptionalPrincipal
from grassroots.kit.testing.services import TEST_JWT_SECRET, auth, settings_for_tests

from .conftest import ProbeSettings

LIMIT = 64 * 1024


class Note(BaseModel):
    text: str


def router() -> APIRouter:
    api = APIRouter()

    @api.post("/public")
    async def public(body: Note, principal: OptionalPrincipal) -> dict[str, int]:
        return {"length": len(body.text)}

    @api.post("/secured")
    async def secured(body: Note, principal: CurrentPrincipal) -> dict[str, int]:
        return {"length": len(body.text)}

    return api


def client() -> httpx.AsyncClient:
    settings = settings_for_tests(
        ProbeSettings, probe_database_url="sqlite+aiosqlite://", max_body_bytes=LIMIT
    )
    assert settings.jwt_secret == TEST_JWT_SECRET
    app = create_app(Runtime(settings), [router()], title="probe")
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


def chunked(total: int, sent: list[int]) -> AsyncIterator[bytes]:
    """A JSON body of about `total` bytes sent in chunks without a Content-Length."""

    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"text": "'
        for _ in range(total // 4096):
            sent.append(4096)
            yield b"x" * 4096
        yield b'"}'

    return chunks()


async def test_a_chunked_body_over_the_limit_is_413_on_public_and_secured_routes() -> None:
    async with client() as http:
        for path, headers in (("/public", {}), ("/secured", auth("cadre"))):
            sent: list[int] = []
            response = await http.post(
                path,
                content=chunked(40 * LIMIT, sent),
                headers={**headers, "Content-Type": "application/json"},
            )
            assert response.status_code == 413, (path, response.text)
            assert response.headers["content-type"] == "application/problem+json"
            # Reading stopped at the limit, not at the end of the 40-times-larger body.
            assert sum(sent) <= LIMIT + 3 * 4096, (path, sum(sent))
        small = await http.post("/secured", json={"text": "短"}, headers=auth("cadre"))
        assert small.status_code == 200


async def test_a_declared_length_over_the_limit_is_refused_before_reading() -> None:
    async with client() as http:
        response = await http.post("/secured", content=b"x" * (LIMIT + 1))
    assert response.status_code == 413
    assert response.json()["status"] == 413
