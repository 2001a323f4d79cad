"""Cursors are signed and opaque; anything else is a 422 naming `cursor`, never a 500."""

from __future__ import annotations

import base64
import json

import httpx
import pytest
from fastapi import FastAPI

from grassroots.kit.paging import Cursor, Page, decode_cursor, encode_cursor, use_cursor_secret
from grassroots.kit.problems import ProblemError, install_problem_handlers


def unsigned(value: object) -> str:
    """What a client could forge: the JSON of a key, base64url, as cursors used to be."""
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


HOSTILE = [
    "",
    "!!garbage",
    "a.b.c",
    unsigned("id-1"),
    unsigned({"id": "x"}),
    unsigned([1, 2]),
    unsigned(10**400),
    "W" * 100 + "." + "x",
    unsigned(json.loads("[" * 5 + "]" * 5)),
    base64.urlsafe_b64encode(b"[" * 20_000).decode(),
]


def test_cursors_round_trip_and_tampered_ones_are_refused() -> None:
    cursor = encode_cursor(["2026-01-01T00:00:00+08:00", "id-1"])
    assert decode_cursor(cursor) == ["2026-01-01T00:00:00+08:00", "id-1"]
    tag = cursor.split(".")[1]
    forged = unsigned(["2026-01-01T00:00:00+08:00", "id-0"]) + "." + tag
    for bad in [*HOSTILE, forged]:
        with pytest.raises(ProblemError) as caught:
            decode_cursor(bad)
        assert caught.value.status == 422
        assert caught.value.errors and caught.value.errors[0]["field"] == "cursor"


def test_another_deployments_cursor_is_refused() -> None:
    cursor = encode_cursor("id-1")
    use_cursor_secret("another deployment's cursor secret")
    try:
        with pytest.raises(ProblemError):
            decode_cursor(cursor)
    finally:
        use_cursor_secret("cursor:test-secret-for-the-harness-only")


async def test_the_cursor_parameter_refuses_hostile_values_before_the_route() -> None:
    app = FastAPI()
    install_problem_handlers(app)
    reached: list[str | None] = []

    @app.get("/things", response_model=Page[str])
    async def things(cursor: Cursor = None) -> Page[str]:
        reached.append(cursor)
        return Page(items=[], next_cursor=encode_cursor("z"))

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        first = (await c.get("/things")).json()["next_cursor"]
        assert (await c.get("/things", params={"cursor": first})).status_code == 200
        for bad in HOSTILE:
            response = await c.get("/things", params={"cursor": bad})
            assert response.status_code == 422, bad[:40]
            assert response.headers["content-type"] == "application/problem+json"
            assert [e["field"] for e in response.json()["errors"]] == ["cursor"]
    assert reached == [None, first]
