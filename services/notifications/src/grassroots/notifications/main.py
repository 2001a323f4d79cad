"""Composition root: settings -> Deps -> Runtime (subscribers) -> routers and loops."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import datetime, time
from pathlib import Path

import httpx
from fastapi import FastAPI

from grassroots.kit.app import Runtime, create_app
from grassroots.kit.cli import ServiceSpec
from grassroots.kit.clock import utcnow
from grassroots.kit.orgtree import replica_router
from grassroots.kit.outbox import Outbox
from grassroots.kit.resealing import SealedColumn
from grassroots.kit.sealing import KeyRing
from grassroots.kit.settings import ServiceSettings
from grassroots.notifications.adapters.channels import (
    Channel,
    InboxChannel,
    SmsGatewayChannel,
    SmtpChannel,
    WebhookChannel,
)
from grassroots.notifications.adapters.crypto import Sealer
from grassroots.notifications.adapters.orm import contacts, webhooks
from grassroots.notifications.config import NotificationsSettings
from grassroots.notifications.domain.policy import DispatchPolicy, QuietHours, RateLimit
from grassroots.notifications.entrypoints.http import api_router, dev_router
from grassroots.notifications.entrypoints.loops import build_loops
from grassroots.notifications.entrypoints.subscribers import subscribers
from grassroots.notifications.service.deps import Deps

EXPLANATION_PLACEHOLDER = "详见办理进度查询页面"


def _clock_time(text: str) -> time:
    hours, _, minutes = text.partition(":")
    return time(int(hours), int(minutes or 0))


def sealed_columns(settings: ServiceSettings) -> tuple[KeyRing, Sequence[SealedColumn]]:
    """The key ring and every column it seals."""
    assert isinstance(settings, NotificationsSettings)
    return Sealer.from_settings(settings).ring, [
        SealedColumn(contacts, "sealed", "contact", record_id="recipient_id"),
        SealedColumn(webhooks, "sealed_secret", "webhook_secret"),
    ]


def dispatch_policy(config: NotificationsSettings) -> DispatchPolicy:
    """The tunables of delivery, from the settings."""
    return DispatchPolicy(
        max_attempts=config.notifications_max_attempts,
        retry_base_seconds=config.notifications_retry_base_seconds,
        retry_cap_seconds=config.notifications_retry_cap_seconds,
        batch_size=config.notifications_dispatch_batch,
        concurrency=config.notifications_dispatch_concurrency,
        lease_seconds=config.notifications_lease_seconds,
        poll_seconds=config.notifications_dispatch_poll_seconds,
        webhook_pause_after=config.notifications_webhook_pause_after,
        quiet=QuietHours(
            _clock_time(config.notifications_quiet_start),
            _clock_time(config.notifications_quiet_end),
            config.notifications_utc_offset_hours,
        ),
        rate_limit=RateLimit(
            config.notifications_rate_limit_count, config.notifications_rate_limit_window_seconds
        ),
        area_prefix=config.area_prefix,
    )


def build_channels(config: NotificationsSettings, http: httpx.AsyncClient) -> dict[str, Channel]:
    """Every delivery channel, the HTTP ones sharing `http`."""
    return {
        "inbox": InboxChannel(),
        "sms": SmsGatewayChannel(
            http,
            config.sms_gateway_url(),
            config.notifications_sms_gateway_token,
            config.notifications_sms_batch_size,
        ),
        "email": SmtpChannel(
            config.notifications_smtp_host,
            config.notifications_smtp_port,
            config.notifications_mail_from,
            config.notifications_smtp_username,
            config.notifications_smtp_password,
            config.notifications_smtp_starttls,
        ),
        "webhook": WebhookChannel(http),
    }


def build_deps(
    config: NotificationsSettings, clock: Callable[[], datetime], http: httpx.AsyncClient
) -> Deps:
    """What every use case is given, from the settings."""
    return Deps(
        sealer=Sealer.from_settings(config),
        clock=clock,
        # The runtime's outbox writes the same source; the deps come first, for the consumers.
        outbox=Outbox(source=f"/grassroots/{config.SERVICE}"),
        channels=build_channels(config, http),
        policy=dispatch_policy(config),
        explanation_text=EXPLANATION_PLACEHOLDER,
        broadcast_batch=config.notifications_broadcast_batch,
    )


def build_app(
    settings: ServiceSettings | None = None, *, clock: Callable[[], datetime] = utcnow
) -> FastAPI:
    """Build the deps, the runtime and the app once, from settings (environment by default)."""
    config = settings if isinstance(settings, NotificationsSettings) else NotificationsSettings()
    http = httpx.AsyncClient(
        timeout=config.notifications_http_timeout_seconds,
        limits=httpx.Limits(max_connections=config.notifications_dispatch_concurrency),
    )
    deps = build_deps(config, clock, http)
    runtime = Runtime(config, subscribers(deps))
    loops = build_loops(runtime.db, deps)

    @asynccontextmanager
    async def background(rt: Runtime) -> AsyncIterator[None]:
        for loop in loops.all():
            rt.add_task(loop.start())
        try:
            yield
        finally:
            await http.aclose()

    routers = [api_router(), replica_router()]
    if config.dev_sms_sink_mounted:
        routers.append(dev_router())
    app = create_app(
        runtime,
        routers,
        title="Grassroots notifications",
        description="Templates, channels, delivery, broadcasts, public board, webhooks.",
        extra_lifespan=background,
    )
    app.state.deps = deps
    app.state.loops = loops
    return app


SPEC = ServiceSpec(
    name="notifications",
    settings_factory=NotificationsSettings,
    app_factory=build_app,
    versions_dir=Path(__file__).parent / "migrations" / "versions",
    metadata_ref="grassroots.notifications.adapters.orm:metadata",
    sealed=sealed_columns,
)
