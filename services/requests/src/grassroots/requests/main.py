"""Composition root of the requests service."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from grassroots.contracts.envelope import CloudEvent
from grassroots.kit.app import Runtime, create_app
from grassroots.kit.cli import ServiceSpec
from grassroots.kit.groupcommit import GroupCommit
from grassroots.kit.idempotency import IdempotencyKeys
from grassroots.kit.limits import RateLimiter
from grassroots.kit.messaging import EventHandler
from grassroots.kit.orgtree import org_tree_consumer
from grassroots.kit.resealing import SealedColumn
from grassroots.kit.sealing import KeyRing
from grassroots.kit.settings import ServiceSettings
from grassroots.requests.adapters import orm
from grassroots.requests.adapters.crypto import PersonalDataCipher
from grassroots.requests.adapters.storage import ObjectStorage
from grassroots.requests.config import RequestsSettings
from grassroots.requests.domain.duplicates import warm_up
from grassroots.requests.entrypoints import (
    attachments,
    catalog_files,
    cohandling,
    duplicates,
    open311,
    visits,
)
from grassroots.requests.entrypoints.http import routers
from grassroots.requests.service.context import RequestsContext
from grassroots.requests.service.lookups import Lookups
from grassroots.requests.service.members import members_consumer
from grassroots.requests.service.sla import run_scanner


def sealed_columns(settings: ServiceSettings) -> tuple[KeyRing, Sequence[SealedColumn]]:
    """The key ring and every column it seals."""
    assert isinstance(settings, RequestsSettings)
    return PersonalDataCipher.from_settings(settings).ring, [
        SealedColumn(orm.requests, "citizen_name_enc", "citizen_name"),
        SealedColumn(orm.requests, "citizen_phone_enc", "citizen_phone"),
        SealedColumn(orm.visits, "household_enc", "household"),
        SealedColumn(orm.visits, "notes_enc", "notes"),
    ]


def build_app(settings: ServiceSettings | None = None) -> FastAPI:
    """Build the runtime and the app once, from settings (environment by default)."""
    settings = settings or RequestsSettings()
    assert isinstance(settings, RequestsSettings)
    if settings.env == "production" and not (
        settings.requests_data_key or settings.requests_data_keys
    ):
        raise ValueError("set GR_REQUESTS_DATA_KEYS (or GR_REQUESTS_DATA_KEY) in production")
    org_tree = org_tree_consumer()
    runtime = Runtime(settings, [org_tree, members_consumer()])
    ctx = RequestsContext(
        runtime=runtime,
        settings=settings,
        cipher=PersonalDataCipher.from_settings(settings),
        lookups=Lookups(runtime.db, settings.requests_lookup_cache_seconds),
        intake_writer=GroupCommit(runtime.db, name="requests_intake"),
        idempotency=IdempotencyKeys(runtime.db),
        storage=ObjectStorage.from_settings(
            settings.requests_storage_url, settings.requests_storage_options, settings.var_dir
        ),
    )
    # A unit created or moved empties the intake's route cache once its change commits.
    runtime.db.on_commit(ctx.lookups.after_commit)
    for event_type, handler in list(org_tree.handlers.items()):
        org_tree.handlers[event_type] = _marking_stale(handler, ctx.lookups)

    @asynccontextmanager
    async def scanner(runtime: Runtime) -> AsyncIterator[None]:
        await ctx.reload_calendar()
        # The segmentation dictionary takes about a second to load: load it before the service
        # reports ready, so the first intakes after a start or a restart do not stall on it.
        await asyncio.to_thread(warm_up)
        if settings.requests_run_scanner:
            runtime.add_task(asyncio.create_task(run_scanner(ctx), name="requests-sla-scanner"))
        yield

    app = create_app(
        runtime,
        [
            catalog_files.router,
            *routers,
            visits.router,
            cohandling.router,
            duplicates.router,
            attachments.router,
            open311.router,
        ],
        title="Grassroots requests",
        description="Citizens' requests: catalogue, intake, handling, SLA, escalation, Open311.",
        extra_lifespan=scanner,
    )
    app.state.requests = ctx
    app.state.public_limiter = RateLimiter(
        runtime.db,
        "requests.intake",
        burst=settings.requests_public_burst,
        per_minute=settings.requests_public_per_minute,
    )
    app.state.lookup_limiter = RateLimiter(
        runtime.db,
        "requests.lookup",
        burst=settings.requests_lookup_burst,
        per_minute=settings.requests_lookup_per_minute,
        what="look-ups",
    )
    return app


def _marking_stale(handler: EventHandler, lookups: Lookups) -> EventHandler:
    async def apply(session: AsyncSession, event: CloudEvent) -> None:
        await handler(session, event)
        lookups.mark_stale()

    return apply


SPEC = ServiceSpec(
    name="requests",
    settings_factory=RequestsSettings,
    app_factory=build_app,
    versions_dir=Path(__file__).parent / "migrations" / "versions",
    metadata_ref="grassroots.requests.adapters.orm:metadata",
    sealed=sealed_columns,
)
