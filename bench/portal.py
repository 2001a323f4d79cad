"""Sign-in and token verification: what the password hash costs, and what a service pays
per request to verify an issuer-signed token."""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import httpx
from fastapi import FastAPI

from bench.common import report
from grassroots.kit.auth import CurrentPrincipal, TokenVerifier
from grassroots.kit.problems import install_problem_handlers
from grassroots.kit.settings import ServiceSettings
from grassroots.kit.testing.services import run_app
from grassroots.portal.adapters.hashing import Argon2Hasher
from grassroots.portal.adapters.keys import KeyRing
from grassroots.portal.config import PortalSettings
from grassroots.portal.main import SPEC, build_app

PASSWORD = "bench-long-passphrase-2026"  # noqa: S105 (a throwaway bench account)
LOGINS = 30


def percentile(samples: list[float], share: float) -> float:
    """The nearest-rank percentile of `samples`."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def hash_cost(settings: PortalSettings) -> None:
    """argon2id at the production cost, verified alone (no HTTP, no database)."""
    hasher = Argon2Hasher(
        time_cost=settings.portal_argon2_time_cost,
        memory_kib=settings.portal_argon2_memory_kib,
        parallelism=settings.portal_argon2_parallelism,
    )
    hashed = hasher.hash_now(PASSWORD)
    samples = []
    for _ in range(10):
        started = time.perf_counter()
        assert hasher.verify_now(hashed, PASSWORD)
        samples.append(time.perf_counter() - started)
    report("portal_argon2id_verify_p50_ms", statistics.median(samples) * 1000)
    report("portal_argon2id_verify_max_ms", max(samples) * 1000)


async def sign_in_latency(directory: Path) -> None:
    """POST /v1/auth/login end to end (hash, SQLite, signing) at the production hash cost."""
    url = f"sqlite+aiosqlite:///{directory / 'portal.db'}"
    settings = PortalSettings(
        env="test",
        portal_database_url=url,
        portal_admin_password=PASSWORD,
        log_json=False,
        var_dir=directory,
    )
    await asyncio.to_thread(SPEC.migrate, settings)
    report("portal_argon2id_time_cost", settings.portal_argon2_time_cost)
    report("portal_argon2id_memory_kib", settings.portal_argon2_memory_kib)
    async with run_app(build_app(settings)) as service:
        body = {"username": "admin", "password": PASSWORD}
        samples = []
        for _ in range(LOGINS):
            started = time.perf_counter()
            response = await service.client.post("/v1/auth/login", json=body)
            samples.append(time.perf_counter() - started)
            assert response.status_code == 200, response.text
        report("portal_sign_in_p50_ms", statistics.median(samples) * 1000)
        report("portal_sign_in_p99_ms", percentile(samples, 0.99) * 1000)
        # Eight at once: the hash runs in worker threads, so the event loop stays free.
        started = time.perf_counter()
        answers = await asyncio.gather(
            *(service.client.post("/v1/auth/login", json=body) for _ in range(8))
        )
        assert all(a.status_code == 200 for a in answers)
        report("portal_sign_in_8_concurrent_total_ms", (time.perf_counter() - started) * 1000)


async def verification_cost() -> None:
    """A service's verifier: cached token, first sight of a token, and the per-request
    difference an authenticated route makes."""
    keys = KeyRing.development(None)
    issuer = "http://127.0.0.1:8000"
    verifier = TokenVerifier(
        env="production", secret="", issuer=issuer, audience="grassroots", keys=keys
    )

    def token(n: int) -> str:
        now = int(time.time())
        claims = {
            "iss": issuer,
            "aud": "grassroots",
            "sub": f"u{n}",
            "role": "cadre",
            "org": "230321000000",
            "iat": now,
            "exp": now + 900,
            "jti": str(n),
        }
        return keys.sign(claims)

    fresh = [token(n) for n in range(2000)]
    started = time.perf_counter()
    for text in fresh:
        await verifier.verify(text)
    report("token_verify_first_sight_us", (time.perf_counter() - started) / len(fresh) * 1e6)
    repeated = fresh[0]
    rounds = 100_000
    started = time.perf_counter()
    for _ in range(rounds):
        await verifier.verify(repeated)
    report("token_verify_cached_us", (time.perf_counter() - started) / rounds * 1e6)

    app = FastAPI()
    app.state.settings = ServiceSettings(env="production", jwt_secret="bench-" + "x" * 40)
    app.state.token_verifier = verifier
    install_problem_handlers(app)

    @app.get("/open")
    async def open_route() -> dict[str, str]:
        return {"ok": "yes"}

    @app.get("/guarded")
    async def guarded(principal: CurrentPrincipal) -> dict[str, str]:
        return {"ok": principal.sub}

    transport = httpx.ASGITransport(app=app)
    headers = {"Authorization": f"Bearer {repeated}"}
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        timings = {}
        for path, extra in [("/open", {}), ("/guarded", headers)] * 2:
            count = 2000
            started = time.perf_counter()
            for _ in range(count):
                response = await client.get(path, headers=extra)
            assert response.status_code == 200
            timings[path] = (time.perf_counter() - started) / count * 1e6
    report("service_request_without_auth_us", timings["/open"])
    report("service_request_with_issuer_token_us", timings["/guarded"])
    report("service_auth_overhead_per_request_us", timings["/guarded"] - timings["/open"])


async def run() -> None:
    """Every portal figure."""
    hash_cost(PortalSettings())
    with tempfile.TemporaryDirectory(prefix="gr-bench-portal-") as directory:
        await sign_in_latency(Path(directory))
    await verification_cost()
