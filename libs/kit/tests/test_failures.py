"""Unexpected errors answer 500 problem+json with a correlation id; an outage answers 503."""

from __future__ import annotations

import asyncio
import logging

import httpx
import pytest
from fastapi import APIRouter
from sqlalchemy import text

from grassroots.kit.app import Runtime, create_app
from grassroots.kit.testing.servers import PostgresServer, free_port
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


async def refusing_postgres(sqlstate: str, message: str) -> asyncio.Server:
    """A socket that speaks just enough of PostgreSQL's protocol to refuse every connection
    with `sqlstate`, as a server does while it shuts down, starts up or is full."""

    async def refuse(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                length = int.from_bytes(await reader.readexactly(4), "big")
                packet = await reader.readexactly(length - 4)
                if packet[:4] == (80877103).to_bytes(4, "big"):  # SSLRequest: no TLS here
                    writer.write(b"N")
                    await writer.drain()
                    continue
                fields = b"".join(
                    kind + text.encode() + b"\0"
                    for kind, text in ((b"S", "FATAL"), (b"V", "FATAL"), (b"C", sqlstate))
                )
                fields += b"M" + message.encode() + b"\0\0"
                writer.write(b"E" + (len(fields) + 4).to_bytes(4, "big") + fields)
                await writer.drain()
                break
        except asyncio.IncompleteReadError:
            pass
        finally:
            writer.close()

    return await asyncio.start_server(refuse, "127.0.0.1", free_port())


@pytest.mark.parametrize(
    ("sqlstate", "message"),
    [
        ("57P03", "the database system is starting up"),
        ("57P03", "the database system is shutting down"),
        ("57P01", "terminating connection due to administrator command"),
        ("53300", "sorry, too many clients already"),
    ],
)
async def test_a_database_refusing_connections_is_a_503_not_a_500(
    sqlstate: str, message: str
) -> None:
    server = await refusing_postgres(sqlstate, message)
    port = server.sockets[0].getsockname()[1]
    settings = settings_for_tests(
        ProbeSettings, probe_database_url=f"postgresql+asyncpg://postgres@127.0.0.1:{port}/x"
    )
    box: list[Runtime] = []
    runtime = Runtime(settings)
    box.append(runtime)
    app = create_app(runtime, [failing_router(box)], title="probe")
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            response = await client.get("/count")
    finally:
        server.close()
        await runtime.db.dispose()
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert int(response.headers["retry-after"]) > 0
    assert "database" in response.json()["detail"]
