"""Composition root of the notifications service."""

from __future__ import annotations

import asyncio
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
from grassroots.notifications.domain.policy import QuietHours, RateLimit
from grassroots.notifications.entrypoints.http import dev_router, router
from grassroots.notifications.entrypoints.publications import router as publications_router
from grassroots.notifications.service.broadcasts import Broadcaster
from grassroots.notifications.service.dispatch import Dispatcher, DispatchPolicy
from grassroots.notifications.service.ingest import Ingest

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


def build_app(
    settings: ServiceSettings | None = None, *, clock: Callable[[], datetime] = utcnow
) -> FastAPI:
    """Build the runtime and the app once, from settings (environment by default)."""
    config = settings if isinstance(settings, NotificationsSettings) else NotificationsSettings()
    sealer = Sealer.from_settings(config)
    ingest = Ingest(sealer, clock, EXPLANATION_PLACEHOLDER)
    runtime = Runtime(config, ingest.consumers())
    http = httpx.AsyncClient(
        timeout=config.notifications_http_timeout_seconds,
        limits=httpx.Limits(max_connections=config.notifications_dispatch_concurrency),
    )
    channels: dict[str, Channel] = {
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
    policy = DispatchPolicy(
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
    dispatcher = Dispatcher(runtime.db, runtime.outbox, channels, sealer, clock, policy)
    broadcaster = Broadcaster(
        runtime.db, clock, config.notifications_broadcast_batch, policy.poll_seconds
    )

    @asynccontextmanager
    async def background(rt: Runtime) -> AsyncIterator[None]:
        rt.add_task(asyncio.create_task(dispatcher.run(), name="notifications-dispatcher"))
        rt.add_task(asyncio.create_task(broadcaster.run(), name="notifications-broadcaster"))
        try:
            yield
        finally:
            await http.aclose()

    routers = [router, publications_router, replica_router()]
    if config.dev_sms_sink_mounted:
        routers.append(dev_router)
    app = create_app(
        runtime,
        routers,
        title="Grassroots notifications",
        description="Templates, channels, delivery, broadcasts, public board, webhooks.",
        extra_lifespan=background,
    )
    app.state.sealer = sealer
    app.state.clock = clock
    app.state.dispatcher = dispatcher
    app.state.broadcaster = broadcaster
    app.state.ingest = ingest
    return app


SPEC = ServiceSpec(
    name="notifications",
    settings_factory=NotificationsSettings,
    app_factory=build_app,
    versions_dir=Path(__file__).parent / "migrations" / "versions",
    metadata_ref="grassroots.notifications.adapters.orm:metadata",
    sealed=sealed_columns,
)
