"""Composition root of the portal: accounts, the token issuer and its keys."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from pathlib import Path

from fastapi import FastAPI
from starlette.middleware.gzip import GZipMiddleware

from grassroots.kit.app import Runtime, create_app
from grassroots.kit.auth import TokenVerifier
from grassroots.kit.cli import ServiceSpec
from grassroots.kit.clock import utcnow
from grassroots.kit.sealing import KeyRing as DataKeyRing
from grassroots.kit.sealing import development_key, ring_keys
from grassroots.kit.settings import ServiceSettings
from grassroots.portal.adapters.hashing import Argon2Hasher
from grassroots.portal.adapters.keys import KeyRing
from grassroots.portal.adapters.platform import Platform
from grassroots.portal.adapters.secrets import PhoneSeals, SessionTokenSeals, TotpFactor
from grassroots.portal.adapters.store import SqlUnitOfWork
from grassroots.portal.config import PortalSettings
from grassroots.portal.domain.lockout import BackOff
from grassroots.portal.entrypoints.http import install_error_answers, router
from grassroots.portal.entrypoints.web import install_website
from grassroots.portal.entrypoints.web.deps import WebDeps
from grassroots.portal.entrypoints.web.directory import Directory
from grassroots.portal.service.accounts import AccountAdmin
from grassroots.portal.service.signin import SignIn, SignInPolicy
from grassroots.portal.service.tokens import AccessTokens
from grassroots.portal.service.websessions import WebSessions

log = logging.getLogger(__name__)
DATA_KEY_PURPOSE = "grassroots-portal-data"


def signing_keys(settings: PortalSettings) -> KeyRing:
    """The configured signing keys; in development one kept under var/, in tests a fresh one."""
    if settings.portal_signing_keys:
        return KeyRing.from_settings(settings.portal_signing_keys, settings.portal_signing_key_id)
    if settings.env == "test":
        return KeyRing.development(None)
    return KeyRing.development(settings.var_dir / "portal" / "signing-key.pem")


def data_keys(settings: PortalSettings) -> DataKeyRing:
    """The ring sealing phones and TOTP secrets (a development key outside production)."""
    keys = dict(settings.portal_data_keys) or {
        "dev": development_key(settings.jwt_secret, DATA_KEY_PURPOSE, env=settings.env)
    }
    ring, active = ring_keys(keys, settings.portal_data_key_id, single_key_id="dev")
    return DataKeyRing(ring, active)


def policy_of(settings: PortalSettings) -> SignInPolicy:
    """The password, lock-out and lifetime rules of the settings."""
    return SignInPolicy(
        min_password_length=settings.portal_password_min_length,
        account_back_off=BackOff(
            settings.portal_lock_after,
            timedelta(seconds=settings.portal_lock_base_seconds),
            timedelta(seconds=settings.portal_lock_cap_seconds),
        ),
        client_back_off=BackOff(
            settings.portal_client_lock_after,
            timedelta(seconds=settings.portal_lock_base_seconds),
            timedelta(seconds=settings.portal_lock_cap_seconds),
        ),
        forget_failures_after=timedelta(seconds=settings.portal_forget_failures_seconds),
        refresh_ttl=timedelta(seconds=settings.portal_refresh_ttl_seconds),
        reset_code_ttl=timedelta(seconds=settings.portal_reset_code_ttl_seconds),
    )


class ServiceToken:
    """The portal's own viewer token for the website's public pages, renewed before it ends."""

    def __init__(self, tokens: AccessTokens, client_id: str) -> None:
        self.tokens = tokens
        self.client_id = client_id
        self._token = ""
        self._renew_at = 0.0

    def __call__(self) -> str:
        if time.monotonic() >= self._renew_at:
            issued = self.tokens.issue(sub=self.client_id, role="viewer", org="000000000000")
            self._token = issued.access_token
            self._renew_at = time.monotonic() + max(10, issued.expires_in - 60)
        return self._token


def build_app(
    settings: ServiceSettings | None = None, *, clock: Callable[[], datetime] = utcnow
) -> FastAPI:
    """Build the runtime and the app once, from settings (environment by default)."""
    config = settings if isinstance(settings, PortalSettings) else PortalSettings()
    # Sign-in publishes no events and consumes none: the portal needs no NATS.
    runtime = Runtime(config, messaging=False)
    keys = signing_keys(config)
    ring = data_keys(config)
    hasher = Argon2Hasher(
        time_cost=config.portal_argon2_time_cost,
        memory_kib=config.portal_argon2_memory_kib,
        parallelism=config.portal_argon2_parallelism,
    )
    uow = SqlUnitOfWork(runtime.db)
    policy = policy_of(config)
    second_factor = TotpFactor(ring)
    tokens = AccessTokens(
        keys,
        clock,
        issuer=config.issuer,
        audience=config.auth_audience,
        ttl=timedelta(seconds=config.portal_access_ttl_seconds),
    )
    dummy_hash = hasher.hash_now("a password nobody has: unknown usernames cost as much")
    signin = SignIn(uow, hasher, tokens, second_factor, clock, policy, dummy_hash)
    accounts = AccountAdmin(uow, hasher, PhoneSeals(ring), second_factor, clock, policy)
    web_sessions = WebSessions(
        uow,
        signin,
        SessionTokenSeals(ring),
        clock,
        idle=timedelta(seconds=config.portal_session_idle_seconds),
        refresh_ttl=policy.refresh_ttl,
    )
    platform = Platform(
        {
            "members": config.portal_members_url,
            "requests": config.portal_requests_url,
            "notifications": config.portal_notifications_url,
            "evaluation": config.portal_evaluation_url,
        },
        timeout=config.portal_service_timeout_seconds,
    )
    service_token = ServiceToken(tokens, config.portal_web_client_id)
    web = WebDeps(
        platform=platform,
        directory=Directory(platform, service_token),
        service_token=service_token,
        default_county=config.portal_default_county,
        cookie_secure=config.cookie_secure,
    )

    @asynccontextmanager
    async def first_admin(rt: Runtime) -> AsyncIterator[None]:
        if config.portal_admin_password and await accounts.ensure_admin(
            config.portal_admin_password
        ):
            log.info("created the platform admin account 'admin'")
        try:
            yield
        finally:
            await platform.close()

    app = create_app(
        runtime,
        [router],
        title="Grassroots portal",
        description="Sign-in (accounts, the token issuer and its keys) and the website.",
        extra_lifespan=first_admin,
    )
    install_error_answers(app)
    install_website(app)
    app.add_middleware(GZipMiddleware, minimum_size=1024)
    # The portal checks its own tokens with its own keys; with an external issuer configured
    # it trusts that issuer's tokens like every other service.
    own = config.issuer == config.auth_issuer
    app.state.token_verifier = TokenVerifier.from_settings(config, keys if own else None)
    app.state.signing_keys = keys
    app.state.signin = signin
    app.state.accounts = accounts
    app.state.web_sessions = web_sessions
    app.state.web = web
    return app


SPEC = ServiceSpec(
    name="portal",
    settings_factory=PortalSettings,
    app_factory=build_app,
    versions_dir=Path(__file__).parent / "migrations" / "versions",
    metadata_ref="grassroots.portal.adapters.orm:metadata",
)
