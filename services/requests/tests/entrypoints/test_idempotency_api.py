"""Idempotency-Key on intake and Open311 POST: a retried request is stored once."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from grassroots.kit.clock import utcnow
from grassroots.kit.idempotency import IdempotentCall
from grassroots.kit.limits import RateLimiter
from grassroots.kit.testing.services import RunningService
from grassroots.requests.adapters.orm import requests
from grassroots.requests.service.context import RequestsContext

from ..conftest import CITIZEN, VILLAGE, VILLAGE_CADRE
from .test_open311 import form, open311  # noqa: F401 (the fixture)

pytestmark = pytest.mark.component


def body(description: str) -> dict[str, object]:
    return {
        "service_code": "dibao-proxy",
        "area_code": VILLAGE,
        "description": description,
        "channel": "window",
        "citizen": CITIZEN,
        "attributes": {"household_size": 3},
    }


async def stored(service: RunningService, description: str) -> int:
    async with service.runtime.db.read_only() as session:
        count = await session.scalar(
            select(func.count()).where(requests.c.description == description)
        )
    return int(count or 0)


async def test_a_retried_intake_is_stored_once_and_answered_the_same(
    service: RunningService,
) -> None:
    headers = {**VILLAGE_CADRE, "Idempotency-Key": "a6f1c1e2-retry-1"}
    first = await service.client.post("/v1/requests", json=body("重试一次"), headers=headers)
    again = await service.client.post("/v1/requests", json=body("重试一次"), headers=headers)
    assert first.status_code == again.status_code == 201, again.text
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert first.headers["Location"] == again.headers["Location"]
    assert await stored(service, "重试一次") == 1
    other = await service.client.post("/v1/requests", json=body("换了内容"), headers=headers)
    assert other.status_code == 422
    assert other.json()["errors"][0]["field"] == "Idempotency-Key"
    assert await stored(service, "换了内容") == 0
    # Without a key every post is a new request, as before.
    for _ in range(2):
        plain = await service.client.post("/v1/requests", json=body("无键"), headers=VILLAGE_CADRE)
        assert plain.status_code == 201
    assert await stored(service, "无键") == 2


async def test_concurrent_retries_with_one_key_store_one_request(service: RunningService) -> None:
    headers = {**VILLAGE_CADRE, "Idempotency-Key": "concurrent-7"}
    answers = await asyncio.gather(
        *(
            service.client.post("/v1/requests", json=body("并发重试"), headers=headers)
            for _ in range(12)
        )
    )
    assert {a.status_code for a in answers} == {201}
    assert len({a.json()["id"] for a in answers}) == 1
    assert len({a.json()["tracking_code"] for a in answers}) == 1
    assert await stored(service, "并发重试") == 1


async def test_a_key_is_kept_for_a_day(service: RunningService) -> None:
    ctx: RequestsContext = service.app.state.requests
    headers = {**VILLAGE_CADRE, "Idempotency-Key": "day-old"}
    first = await service.client.post("/v1/requests", json=body("隔天"), headers=headers)
    assert first.status_code == 201
    call = IdempotentCall("requests:cadre-village", "day-old", "")
    assert await ctx.idempotency.purge_expired(utcnow() + timedelta(hours=23)) == 0
    assert await ctx.idempotency.purge_expired(utcnow() + timedelta(hours=25)) == 1
    assert await ctx.idempotency.find(call) is None
    bad = await service.client.post(
        "/v1/requests", json=body("坏键"), headers={**VILLAGE_CADRE, "Idempotency-Key": "x" * 201}
    )
    assert bad.status_code == 422


async def test_a_retried_open311_post_is_stored_once(open311: RunningService) -> None:  # noqa: F811
    open311.app.state.public_limiter = RateLimiter(
        open311.runtime.db, "requests.intake", burst=100, per_minute=100
    )
    headers = {"Idempotency-Key": "open311-retry"}
    answers = await asyncio.gather(
        *(
            open311.client.post("/open311/v2/requests.json", data=form(), headers=headers)
            for _ in range(6)
        )
    )
    assert {a.status_code for a in answers} == {201}, [a.text for a in answers]
    assert len({a.json()[0]["service_request_id"] for a in answers}) == 1
    assert await stored(open311, form()["description"]) == 1
    changed = await open311.client.post(
        "/open311/v2/requests.json", data=form(description="另一件事"), headers=headers
    )
    assert changed.status_code == 422
