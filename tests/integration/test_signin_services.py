"""The portal signs, the four services verify from its JWKS: sign-in end to end, and a key
rotation that fails no request."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest

from grassroots.evaluation.main import SPEC as EVALUATION
from grassroots.kit.testing.issuer import StandInIssuer, serve
from grassroots.kit.testing.servers import NatsServer, free_port
from grassroots.kit.testing.services import DatabaseFactory, RunningService, run_service
from grassroots.members.main import SPEC as MEMBERS
from grassroots.notifications.main import SPEC as NOTIFICATIONS
from grassroots.portal.config import PortalSettings
from grassroots.portal.main import SPEC as PORTAL
from grassroots.portal.main import build_app
from grassroots.requests.main import SPEC as REQUESTS

pytestmark = pytest.mark.integration

ADMIN_PASSWORD = "integration-root-secret-7"
# One read of each service that needs a token.
READS = {
    "members": "/v1/org-units",
    "requests": "/v1/requests",
    "notifications": "/v1/templates",
    "evaluation": "/v1/schemes?county=230321000000",
}


def seed() -> str:
    """A signing key as the Secret holds it: base64 of 32 random bytes."""
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


@asynccontextmanager
async def portal_on(
    port: int, database_url: str, keys: dict[str, str], active: str
) -> AsyncIterator[None]:
    """The real portal under uvicorn on `port`, signing with `active` of `keys`."""
    issuer = f"http://127.0.0.1:{port}"
    settings = PortalSettings(
        env="test",
        portal_database_url=database_url,
        portal_port=port,
        auth_issuer=issuer,
        portal_signing_keys=keys,
        portal_signing_key_id=active,
        portal_admin_password=ADMIN_PASSWORD,
        portal_argon2_time_cost=1,
        portal_argon2_memory_kib=1024,
        portal_argon2_parallelism=1,
        log_json=False,
    )
    async with serve(build_app(settings), port):
        yield


async def sign_in(portal: str) -> str:
    """An access token of the portal's admin."""
    async with httpx.AsyncClient(base_url=portal, timeout=10) as client:
        response = await client.post(
            "/v1/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD}
        )
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


@pytest.fixture
async def platform(
    databases: DatabaseFactory, nats_server: NatsServer, tmp_path: Path
) -> AsyncIterator[dict[str, Any]]:
    port = free_port()
    portal_db = await databases.fresh(PORTAL)
    issuer = f"http://127.0.0.1:{port}"
    async with AsyncExitStack() as stack:
        services: dict[str, RunningService] = {}
        for spec in (MEMBERS, REQUESTS, NOTIFICATIONS, EVALUATION):
            services[spec.name] = await stack.enter_async_context(
                run_service(
                    spec,
                    database_url=await databases.fresh(spec),
                    nats_url=nats_server.url,
                    auth_issuer=issuer,
                )
            )
        yield {"port": port, "issuer": issuer, "db": portal_db, "services": services}


async def test_each_service_verifies_portal_tokens_and_a_rotation_fails_no_request(
    platform: dict[str, Any],
) -> None:
    """One platform for both (starting five services costs more than either check)."""
    await each_service_verifies_portal_tokens_through_its_jwks(platform)
    await key_rotation_fails_no_request_of_any_service(platform)


async def each_service_verifies_portal_tokens_through_its_jwks(platform: dict[str, Any]) -> None:
    keys = {"k0": seed()}
    async with portal_on(platform["port"], platform["db"], keys, "k0"):
        token = await sign_in(platform["issuer"])
    stranger = StandInIssuer(algorithm="EdDSA", issuer=platform["issuer"])
    forged = stranger.sign({"sub": "x", "role": "platform_admin", "org": "000000000000"})
    for name, service in platform["services"].items():
        # The portal has stopped: the key fetched with the first token serves on.
        async with portal_on(platform["port"], platform["db"], keys, "k0"):
            good = await service.client.get(
                READS[name], headers={"Authorization": f"Bearer {token}"}
            )
        assert good.status_code == 200, (name, good.text)
        again = await service.client.get(READS[name], headers={"Authorization": f"Bearer {token}"})
        assert again.status_code == 200, name
        refused = await service.client.get(
            READS[name], headers={"Authorization": f"Bearer {forged}"}
        )
        assert refused.status_code == 401, name


async def key_rotation_fails_no_request_of_any_service(platform: dict[str, Any]) -> None:
    port, issuer, db = platform["port"], platform["issuer"], platform["db"]
    old, new = seed(), seed()
    services: dict[str, RunningService] = platform["services"]
    statuses: list[tuple[str, int]] = []
    tokens: list[str] = []
    stop = asyncio.Event()

    async def traffic() -> None:
        while not stop.is_set():
            # While the portal itself restarts there is no new token; the last one serves.
            with contextlib.suppress(httpx.TransportError):
                tokens.append(await sign_in(issuer))
            for name, service in services.items():
                response = await service.client.get(
                    READS[name], headers={"Authorization": f"Bearer {tokens[-1]}"}
                )
                statuses.append((name, response.status_code))
            await asyncio.sleep(0.05)

    async with portal_on(port, db, {"k1": old}, "k1"):
        tokens.append(await sign_in(issuer))
        for name, service in services.items():  # each has fetched the keys once already
            response = await service.client.get(
                READS[name], headers={"Authorization": f"Bearer {tokens[0]}"}
            )
            assert response.status_code == 200, name
        runner = asyncio.create_task(traffic())
        await asyncio.sleep(1.0)
    # Roll out: both keys published, the new one signing (tokens of the old still valid).
    async with portal_on(port, db, {"k1": old, "k2": new}, "k2"):
        await asyncio.sleep(2.5)
        stop.set()
        await runner
        first = tokens[0]
        for name, service in services.items():
            response = await service.client.get(
                READS[name], headers={"Authorization": f"Bearer {first}"}
            )
            assert response.status_code == 200, name
    failed = [entry for entry in statuses if entry[1] != 200]
    assert failed == [] and len(statuses) >= 8
    assert {jwt.get_unverified_header(t)["kid"] for t in tokens} == {"k1", "k2"}
