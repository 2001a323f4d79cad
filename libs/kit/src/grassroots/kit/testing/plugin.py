"""pytest plugin: real nats-server and PostgreSQL for every test that asks for them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from hypothesis import settings

from grassroots.kit.testing.servers import NatsServer, PostgresServer
from grassroots.kit.testing.services import DatabaseFactory

# Properties are about values, not speed: on a shared 2-core machine one example can take
# longer than Hypothesis's 200 ms default without anything being wrong.
settings.register_profile("grassroots", deadline=None)
settings.load_profile("grassroots")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One throwaway PostgreSQL cluster for the session."""
    server = PostgresServer().start()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture(scope="session")
def databases(postgres_server: PostgresServer) -> DatabaseFactory:
    """Fresh migrated databases per test, cloned from per-service templates."""
    return DatabaseFactory(postgres_server)


@pytest.fixture
def nats_server() -> Iterator[NatsServer]:
    """A nats-server with JetStream of this test's own (stop and restart it at will)."""
    server = NatsServer().start()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
async def nats_client(nats_server: NatsServer) -> AsyncIterator[object]:
    """A plain nats-py client on the test's server."""
    import nats

    client = await nats.connect(nats_server.url)
    try:
        yield client
    finally:
        await client.close()


@pytest.fixture(autouse=True)
def published_events_follow_their_schemas(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fail the test if any event it writes to an outbox breaks its committed JSON Schema."""
    from grassroots.kit.outbox import Outbox
    from grassroots.kit.testing.event_contracts import violations

    found: list[str] = []
    write_row = Outbox.row

    def checked_row(event: Any, data: Any) -> dict[str, Any]:
        row = write_row(event, data)
        found.extend(violations(row["payload"]))
        return row

    monkeypatch.setattr(Outbox, "row", staticmethod(checked_row))
    yield
    if found:
        shown = "\n".join(sorted(set(found))[:20])
        pytest.fail(f"{len(found)} published event(s) break their committed schema:\n{shown}")
