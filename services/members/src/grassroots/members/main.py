"""Composition root of the members service."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI

from grassroots.kit.app import Runtime, create_app
from grassroots.kit.cli import ServiceSpec
from grassroots.kit.resealing import SealedColumn
from grassroots.kit.sealing import KeyRing
from grassroots.kit.settings import ServiceSettings
from grassroots.members.adapters.orm import floating_spells, members
from grassroots.members.config import MembersSettings
from grassroots.members.entrypoints.http import router
from grassroots.members.entrypoints.members_http import router as members_router
from grassroots.members.service.gauges import refresh_gauges_lifespan
from grassroots.members.service.shared import Deps
from grassroots.members.service.sweeper import run_sweeper


def key_ring(settings: MembersSettings) -> KeyRing:
    """The ring of GR_MEMBERS_ENCRYPTION_KEYS, its active key and the index key."""
    return KeyRing(
        settings.members_encryption_keys,
        settings.members_encryption_key_id,
        settings.members_index_key,
    )


def sealed_columns(settings: ServiceSettings) -> tuple[KeyRing, Sequence[SealedColumn]]:
    """The key ring and every column it seals."""
    assert isinstance(settings, MembersSettings)
    return key_ring(settings), [
        SealedColumn(members, "id_number_enc", "id_number"),
        SealedColumn(members, "phone_enc", "phone"),
        SealedColumn(floating_spells, "destination_enc", "destination"),
    ]


def build_app(settings: ServiceSettings | None = None) -> FastAPI:
    """Build the runtime and the app once, from settings (environment by default)."""
    settings = settings or MembersSettings()
    assert isinstance(settings, MembersSettings)
    runtime = Runtime(settings)
    cipher = key_ring(settings)
    deps = Deps(outbox=runtime.outbox, cipher=cipher, deployment_prefix=settings.area_prefix)
    gauges = refresh_gauges_lifespan(settings.members_stats_refresh_seconds)

    @asynccontextmanager
    async def background(runtime: Runtime) -> AsyncIterator[None]:
        async with gauges(runtime):
            if settings.members_sweep_seconds > 0:
                sweeper = run_sweeper(runtime, deps, settings.members_sweep_seconds)
                runtime.add_task(asyncio.create_task(sweeper, name="members-sweeper"))
            yield

    app = create_app(
        runtime,
        [router, members_router],
        title="Grassroots members",
        description="Organisation tree and member registry.",
        extra_lifespan=background,
    )
    app.state.deps = deps
    return app


SPEC = ServiceSpec(
    name="members",
    settings_factory=MembersSettings,
    app_factory=build_app,
    versions_dir=Path(__file__).parent / "migrations" / "versions",
    metadata_ref="grassroots.members.adapters.orm:metadata",
    sealed=sealed_columns,
)
