"""Composition root of the requests service."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from grassroots.kit.app import Runtime, create_app
from grassroots.kit.cli import ServiceSpec
from grassroots.kit.orgtree import org_tree_consumer
from grassroots.kit.settings import ServiceSettings
from grassroots.requests.config import RequestsSettings
from grassroots.requests.entrypoints.http import router


def build_app(settings: ServiceSettings | None = None) -> FastAPI:
    """Build the runtime and the app once, from settings (environment by default)."""
    settings = settings or RequestsSettings()
    runtime = Runtime(settings, [org_tree_consumer()])
    return create_app(
        runtime,
        [router],
        title="Grassroots requests",
        description="Citizens' requests: catalogue, intake, handling, SLA, escalation, Open311.",
    )


SPEC = ServiceSpec(
    name="requests",
    settings_factory=RequestsSettings,
    app_factory=build_app,
    versions_dir=Path(__file__).parent / "migrations" / "versions",
    metadata_ref="grassroots.requests.adapters.orm:metadata",
)
