"""Composition root of the members service: settings -> Runtime -> Deps -> routes, loops."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from fastapi import FastAPI

from grassroots.kit.app import Runtime, create_app
from grassroots.kit.cli import ServiceSpec
from grassroots.kit.resealing import SealedColumn
from grassroots.kit.sealing import KeyRing
from grassroots.kit.settings import ServiceSettings
from grassroots.members.adapters.resealing import SEALED_COLUMNS
from grassroots.members.config import MembersSettings
from grassroots.members.entrypoints.http import api_router
from grassroots.members.entrypoints.loops import background_loops
from grassroots.members.service.deps import Deps


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
    return key_ring(settings), SEALED_COLUMNS


def build_deps(settings: MembersSettings, runtime: Runtime) -> Deps:
    """What every use case is given, from the settings and the runtime."""
    return Deps(
        outbox=runtime.outbox, cipher=key_ring(settings), deployment_prefix=settings.area_prefix
    )


def build_app(settings: ServiceSettings | None = None) -> FastAPI:
    """Build the runtime and the app once, from settings (environment by default)."""
    settings = settings or MembersSettings()
    assert isinstance(settings, MembersSettings)
    runtime = Runtime(settings)
    deps = build_deps(settings, runtime)
    app = create_app(
        runtime,
        [api_router()],
        title="Grassroots members",
        description="Organisation tree and member registry.",
        extra_lifespan=background_loops(
            deps,
            gauges_seconds=settings.members_stats_refresh_seconds,
            sweep_seconds=settings.members_sweep_seconds,
        ),
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
