"""Composition root of the requests service: settings -> Runtime -> context -> routes, loops."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from fastapi import FastAPI

from grassroots.kit.app import Runtime, create_app
from grassroots.kit.cli import ServiceSpec
from grassroots.kit.groupcommit import GroupCommit
from grassroots.kit.idempotency import IdempotencyKeys
from grassroots.kit.limits import RateLimiter
from grassroots.kit.resealing import SealedColumn
from grassroots.kit.sealing import KeyRing
from grassroots.kit.settings import ServiceSettings
from grassroots.requests.adapters import orm
from grassroots.requests.adapters.crypto import PersonalDataCipher
from grassroots.requests.adapters.lookups import Lookups
from grassroots.requests.adapters.storage import ObjectStorage
from grassroots.requests.config import RequestsSettings
from grassroots.requests.entrypoints.http import api_routers
from grassroots.requests.entrypoints.loops import loops
from grassroots.requests.entrypoints.subscribers import subscribers
from grassroots.requests.service.context import RequestsContext


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
    # The org tree's changes empty the intake's route cache (`ctx` exists by the first event).
    runtime = Runtime(settings, subscribers(lambda: ctx.lookups.mark_stale()))
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

    app = create_app(
        runtime,
        api_routers(),
        title="Grassroots requests",
        description="Citizens' requests: catalogue, intake, handling, SLA, escalation, Open311.",
        extra_lifespan=loops(ctx),
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


SPEC = ServiceSpec(
    name="requests",
    settings_factory=RequestsSettings,
    app_factory=build_app,
    versions_dir=Path(__file__).parent / "migrations" / "versions",
    metadata_ref="grassroots.requests.adapters.orm:metadata",
    sealed=sealed_columns,
)
