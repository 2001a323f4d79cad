"""Issuer-signed tokens: verified from the JWKS, every defect refused, rotation, mapping."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import jwt
import pytest
from fastapi import FastAPI

from grassroots.kit.auth import CurrentPrincipal, JwksKeys, TokenVerifier, issue_token
from grassroots.kit.problems import install_problem_handlers
from grassroots.kit.settings import DEV_JWT_SECRET, ServiceSettings
from grassroots.kit.testing.issuer import StandInIssuer, running_issuer

SECRET = "verifier-test-secret-long-enough-0123456789"
COUNTY = "230321000000"


def app_trusting(issuer: StandInIssuer, **settings: Any) -> FastAPI:
    """A service-shaped app whose settings point at the stand-in issuer."""
    app = FastAPI()
    values = {
        "env": "test",
        "jwt_secret": SECRET,
        "auth_issuer": issuer.issuer,
        "auth_jwks_url": issuer.jwks_url,
        **settings,
    }
    app.state.settings = ServiceSettings(**values)
    install_problem_handlers(app)

    @app.get("/whoami")
    async def whoami(principal: CurrentPrincipal) -> dict[str, str]:
        return {"sub": principal.sub, "role": principal.role, "org": principal.org}

    return app


@pytest.fixture
async def issuer() -> AsyncIterator[StandInIssuer]:
    async with running_issuer(algorithm="EdDSA") as running:
        yield running


async def call(app: FastAPI, token: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        return await client.get("/whoami", headers={"Authorization": f"Bearer {token}"})


CLAIMS = {"sub": "u1", "role": "cadre", "org": COUNTY, "jti": "j1"}


async def test_a_good_token_passes_and_every_defect_is_refused(issuer: StandInIssuer) -> None:
    app = app_trusting(issuer)
    good = await call(app, issuer.sign(CLAIMS))
    assert good.status_code == 200 and good.json() == {"sub": "u1", "role": "cadre", "org": COUNTY}

    stranger = StandInIssuer(algorithm="EdDSA")
    forged_kid = jwt.encode(
        {**CLAIMS, "iss": issuer.issuer, "aud": "grassroots", "exp": time.time() + 300},
        stranger.keys[stranger.active],
        "EdDSA",
        headers={"kid": issuer.active},  # a known key id, the wrong key
    )
    unsigned = jwt.encode(
        {**CLAIMS, "iss": issuer.issuer, "aud": "grassroots", "exp": time.time() + 300},
        "",
        "none",
    )
    bad = {
        "unknown key": stranger.sign(CLAIMS),
        "known kid, other key": forged_kid,
        "wrong iss": issuer.sign({**CLAIMS, "iss": "https://elsewhere.example.org"}),
        "wrong aud": issuer.sign({**CLAIMS, "aud": "another-system"}),
        "expired": issuer.sign(CLAIMS, ttl=-60),
        "alg none": unsigned,
        "no kid": jwt.encode({"sub": "x"}, stranger.keys[stranger.active], "EdDSA"),
        "unknown role": issuer.sign({**CLAIMS, "role": "god"}),
        "garbage": "not.a.token",
    }
    for name, token in bad.items():
        refused = await call(app, token)
        assert refused.status_code == 401, name
        assert refused.headers["content-type"] == "application/problem+json", name
        assert "www-authenticate" in refused.headers, name


async def test_hs256_only_in_development_and_test(issuer: StandInIssuer) -> None:
    token = issue_token(SECRET, sub="dev", role="platform_admin")
    assert (await call(app_trusting(issuer), token)).status_code == 200
    production = app_trusting(issuer, env="production")
    refused = await call(production, token)
    assert refused.status_code == 401 and "production" in refused.json()["detail"]
    # Issuer-signed tokens still pass there.
    assert (await call(production, issuer.sign(CLAIMS))).status_code == 200


async def test_production_verifies_issuer_tokens_without_any_jwt_secret(
    issuer: StandInIssuer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GR_JWT_SECRET", raising=False)
    for name, value in {
        "GR_ENV": "production",
        "GR_CURSOR_SECRET": "cursor-secret-of-this-deployment",
        "GR_AUTH_ISSUER": issuer.issuer,
        "GR_AUTH_JWKS_URL": issuer.jwks_url,
    }.items():
        monkeypatch.setenv(name, value)
    app = FastAPI()
    app.state.settings = ServiceSettings()
    install_problem_handlers(app)

    @app.get("/whoami")
    async def whoami(principal: CurrentPrincipal) -> dict[str, str]:
        return {"sub": principal.sub, "role": principal.role}

    assert (await call(app, issuer.sign(CLAIMS))).json() == {"sub": "u1", "role": "cadre"}
    # An HS256 token signed with the secret everyone knows (the unset default) opens nothing.
    known = issue_token(DEV_JWT_SECRET, sub="dev", role="platform_admin")
    assert (await call(app, known)).status_code == 401


async def test_key_rotation_without_a_failed_request(issuer: StandInIssuer) -> None:
    app = app_trusting(issuer)
    statuses: list[int] = []
    kids: set[str] = set()
    stop = asyncio.Event()

    async def traffic() -> None:
        while not stop.is_set():
            kids.add(issuer.active)
            statuses.append((await call(app, issuer.sign(CLAIMS, ttl=2))).status_code)
            await asyncio.sleep(0.01)

    runner = asyncio.create_task(traffic())
    await asyncio.sleep(0.3)
    old = issuer.active
    issuer.active = issuer.add_key()  # published and signing at once: unknown kid → refetch
    await asyncio.sleep(0.3)
    newer = issuer.add_key()  # the careful way: publish first...
    await asyncio.sleep(0.3)
    issuer.active = newer  # ...then sign with it
    await asyncio.sleep(2.2)  # tokens of the old keys have expired
    del issuer.keys[old]
    await asyncio.sleep(0.3)
    stop.set()
    await runner
    assert set(statuses) == {200} and len(kids) == 3
    # Cached: a fetch per new key id (at most), not one per request.
    assert issuer.jwks_requests <= 3 < len(statuses)


async def test_made_up_key_ids_cost_one_fetch_per_interval(issuer: StandInIssuer) -> None:
    verifier = TokenVerifier(
        env="test",
        secret=SECRET,
        issuer=issuer.issuer,
        audience="grassroots",
        keys=JwksKeys(issuer.jwks_url, min_interval=1.0),
    )
    assert (await verifier.verify(issuer.sign(CLAIMS))).sub == "u1"
    stranger = StandInIssuer(algorithm="EdDSA")
    forged = [stranger.sign(CLAIMS, kid=stranger.add_key()) for _ in range(20)]
    results = await asyncio.gather(
        *(verifier.verify(token) for token in forged), return_exceptions=True
    )
    assert all(getattr(r, "status", None) == 401 for r in results)
    assert issuer.jwks_requests <= 2


async def test_an_external_issuer_is_accepted_and_its_claims_mapped() -> None:
    async with running_issuer(algorithm="RS256") as keycloak:
        app = app_trusting(
            keycloak,
            auth_role_claim="realm_access.roles",
            auth_org_claim="gr_org",
            auth_role_map={"gr-county-admin": "org_admin", "gr-cadre": "cadre"},
        )
        token = keycloak.sign(
            {
                "sub": "0b6f-keycloak-user",
                "realm_access": {"roles": ["offline_access", "gr-cadre", "gr-county-admin"]},
                "gr_org": [COUNTY],
            }
        )
        mapped = await call(app, token)
        assert mapped.status_code == 200, mapped.text
        assert mapped.json() == {"sub": "0b6f-keycloak-user", "role": "org_admin", "org": COUNTY}
        unmapped = keycloak.sign(
            {"sub": "x", "realm_access": {"roles": ["offline_access"]}, "gr_org": COUNTY}
        )
        assert (await call(app, unmapped)).status_code == 401
        no_org = keycloak.sign({"sub": "x", "realm_access": {"roles": ["gr-cadre"]}})
        assert (await call(app, no_org)).status_code == 401


def test_the_jwks_url_follows_the_issuer_unless_set() -> None:
    settings = ServiceSettings(auth_issuer="https://portal.example.org")
    assert settings.jwks_url == "https://portal.example.org/.well-known/jwks.json"
    other = ServiceSettings(auth_jwks_url="http://portal:8000/.well-known/jwks.json")
    assert other.jwks_url == "http://portal:8000/.well-known/jwks.json"
