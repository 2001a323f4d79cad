"""Composition root of the members service."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from grassroots.kit.app import Runtime, create_app
from grassroots.kit.cli import ServiceSpec
from grassroots.kit.settings import ServiceSettings
from grassroots.members.config import MembersSettings
from grassroots.members.entrypoints.http import router


def build_app(settings: ServiceSettings | None = None) -> FastAPI:
    """Build the runtime and the app once, from settings (environment by default)."""
    settings = settings or MembersSettings()
    runtime = Runtime(settings)
    return create_app(
        runtime,
        [router],
        title="Grassroots members",
        description="Organisation tree and member registry.",
    )


SPEC = ServiceSpec(
    name="members",
    settings_factory=MembersSettings,
    app_factory=build_app,
    versions_dir=Path(__file__).parent / "migrations" / "versions",
    metadata_ref="grassroots.members.adapters.orm:metadata",
)
