"""Composition root of the evaluation service: settings -> Runtime -> Deps -> routes, consumers."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from grassroots.evaluation.adapters.workdays import is_workday
from grassroots.evaluation.config import EvaluationSettings
from grassroots.evaluation.domain.indicators import CountRules
from grassroots.evaluation.domain.topics import TopicRules
from grassroots.evaluation.entrypoints.http import api_router
from grassroots.evaluation.entrypoints.subscribers import subscribers
from grassroots.evaluation.service.deps import Deps
from grassroots.kit.app import Runtime, create_app
from grassroots.kit.cli import ServiceSpec
from grassroots.kit.settings import ServiceSettings


def build_deps(settings: EvaluationSettings, runtime: Runtime) -> Deps:
    """What every use case is given, from the settings and the runtime."""
    return Deps(
        outbox=runtime.outbox,
        rules=CountRules(
            visit_quota_per_month=settings.evaluation_visit_quota_per_month,
            response_limit_seconds=settings.response_limit_seconds,
        ),
        appeal_window_workdays=settings.evaluation_appeal_window_workdays,
        is_workday=is_workday,
        base_points=settings.evaluation_base_points,
        cadre_subsidy_per_year=settings.evaluation_cadre_subsidy_per_year,
        pay_base_share=settings.evaluation_pay_base_share,
        pay_duties=frozenset(settings.evaluation_pay_duties),
        topic_rules=TopicRules(),
    )


def build_app(settings: ServiceSettings | None = None) -> FastAPI:
    """Build the runtime and the app once, from settings (environment by default)."""
    settings = settings or EvaluationSettings()
    if not isinstance(settings, EvaluationSettings):
        raise TypeError("the evaluation service needs EvaluationSettings")
    runtime = Runtime(settings, subscribers(settings.response_limit_seconds))
    app = create_app(
        runtime,
        [api_router()],
        title="Grassroots evaluation",
        description="Indicators, schemes, three-way review, points, surveys, rankings, pay.",
    )
    app.state.deps = build_deps(settings, runtime)
    return app


SPEC = ServiceSpec(
    name="evaluation",
    settings_factory=EvaluationSettings,
    app_factory=build_app,
    versions_dir=Path(__file__).parent / "migrations" / "versions",
    metadata_ref="grassroots.evaluation.adapters.orm:metadata",
)
