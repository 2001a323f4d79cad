"""Composition root of the evaluation service."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from grassroots.evaluation.config import EvaluationSettings
from grassroots.evaluation.entrypoints.http import router
from grassroots.evaluation.service.projection import members_consumer, requests_consumer
from grassroots.kit.app import Runtime, create_app
from grassroots.kit.cli import ServiceSpec
from grassroots.kit.messaging import AnyConsumerSpec
from grassroots.kit.orgtree import org_tree_consumer
from grassroots.kit.settings import ServiceSettings


def build_app(settings: ServiceSettings | None = None) -> FastAPI:
    """Build the runtime and the app once, from settings (environment by default)."""
    settings = settings or EvaluationSettings()
    limit = (
        settings.response_limit_seconds if isinstance(settings, EvaluationSettings) else 24 * 3600
    )
    consumers: list[AnyConsumerSpec] = [
        org_tree_consumer(),
        requests_consumer(limit),
        members_consumer(),
    ]
    runtime = Runtime(settings, consumers)
    return create_app(
        runtime,
        [router],
        title="Grassroots evaluation",
        description="Indicators, schemes, three-way review, points, surveys, rankings, pay.",
    )


SPEC = ServiceSpec(
    name="evaluation",
    settings_factory=EvaluationSettings,
    app_factory=build_app,
    versions_dir=Path(__file__).parent / "migrations" / "versions",
    metadata_ref="grassroots.evaluation.adapters.orm:metadata",
)
