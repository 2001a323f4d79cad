"""Composition root of the notifications service."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from grassroots.kit.app import Runtime, create_app
from grassroots.kit.cli import ServiceSpec
from grassroots.kit.settings import ServiceSettings
from grassroots.notifications.config import NotificationsSettings
from grassroots.notifications.entrypoints.http import router


def build_app(settings: ServiceSettings | None = None) -> FastAPI:
    """Build the runtime and the app once, from settings (environment by default)."""
    settings = settings or NotificationsSettings()
    runtime = Runtime(settings)
    return create_app(
        runtime,
        [router],
        title="Grassroots notifications",
        description="Templates, channels, delivery, broadcasts, public board, webhooks.",
    )


SPEC = ServiceSpec(
    name="notifications",
    settings_factory=NotificationsSettings,
    app_factory=build_app,
    versions_dir=Path(__file__).parent / "migrations" / "versions",
    metadata_ref="grassroots.notifications.adapters.orm:metadata",
)
