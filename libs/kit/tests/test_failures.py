"""Unexpected errors answer 500 problem+json with a correlation id; an outage answers 503."""

from __future__ import annotations

import logging

import httpx
import pytest
from fastapi import APIRouter
from sqlalchemy import text

from grassroots.kit.app import Runtime, create_app
from grassroots.kit.testing.servers import PostgresServer
from grassroots.kit.testing.services import DatabaseFactory, eventually, run_app, settings_for_tests

from .conftest import ProbeSettings


def failing_router(runtime_box: list[Runtime]) -> APIRouter:
    router = APIRouter()

    @router.get("/boom")
    async def boom() -> None:
        raise RuntimeError("a bug nobody caught")

    @router.get("/count")
    async def count() -> dict[str, int]:
        async with runtime_box[0].db.read_only() as session:
            return {"one": int(await session.scalar(text("SELECT 1")) or 0)}

    return router


async def test_an_unexpected_exception_is_a_500_problem_with_its_correlation_id(
    tmp_path: object, caplog: pytest.LogCaptureFixture
) -> None:
    settings = settings_for_tests(ProbeSettings, probe_database_url="sqlite+aiosqlite://")
    box: list[Runtime] = []
    runtime = Runtime(settings)
    box.append(runtime)
    app = create_app(runtime, [failing_router(box)], title="probe")
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        with caplog.at_level(logging.ERROR):
            response = await client.get("/boom", headers={"X-Correlation-Id": "corr-42"})
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 500 and problem["correlation_id"] == "corr-42"
    assert response.headers["x-correlation-id"] == "corr-42"
    assert "a bug nobody caught" not in response.text  # internals stay in the log
    logged = [r for r in caplog.records if r.exc_info and "/boom" in r.getMessage()]
    assert logged, "the traceback is logged"


@pytest.mark.component
async def test_a_stopped_database_is_a_503_with_retry_after_and_the_service_recovers(
    databases: DatabaseFactory, postgres_server: PostgresServer
) -> None:
    url = await databases.empty()
    settings = settings_for_tests(ProbeSettings, probe_database_url=url)
    box: list[Runtime] = []
    runtime = Runtime(settings)
    box.append(runtime)
    app = create_app(runtime, [failing_router(box)], title="probe")
    async with run_app(app, wait_ready=False) as service:
        assert (await service.client.get("/count")).json() == {"one": 1}
        postgres_server.stop()
        try:
            down = await service.client.get("/count")
            again = await service.client.get("/count")
        finally:
            postgres_server.start()
        for response in (down, again):
            assert response.status_code == 503, response.text
            assert response.headers["content-type"] == "application/problem+json"
            assert int(response.headers["retry-after"]) > 0
            assert response.json()["status"] == 503

        async def recovered() -> bool:
            return (await service.client.get("/count")).status_code == 200

        await eventually(recovered, timeout=20, interval=0.2)
