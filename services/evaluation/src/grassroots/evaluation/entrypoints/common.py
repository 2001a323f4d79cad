"""Helpers shared by the HTTP routers: unit look-up with scope, periods, rules."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from grassroots.evaluation.config import EvaluationSettings
from grassroots.evaluation.domain.periods import Period, PeriodError
from grassroots.evaluation.service.indicators import CountRules, Unit
from grassroots.kit.app import Runtime
from grassroots.kit.auth import Principal
from grassroots.kit.orgtree import get_unit
from grassroots.kit.problems import Invalid, NotFound


def runtime_of(request: Request) -> Runtime:
    """The service runtime."""
    runtime: Runtime = request.app.state.runtime
    return runtime


def settings_of(request: Request) -> EvaluationSettings:
    """The service settings."""
    settings = request.app.state.settings
    assert isinstance(settings, EvaluationSettings)
    return settings


def rules_of(request: Request) -> CountRules:
    """The configured counting rules."""
    settings = settings_of(request)
    return CountRules(
        visit_quota_per_month=settings.evaluation_visit_quota_per_month,
        response_limit_seconds=settings.response_limit_seconds,
    )


RuntimeDep = Annotated[Runtime, Depends(runtime_of)]
RulesDep = Annotated[CountRules, Depends(rules_of)]
SettingsDep = Annotated[EvaluationSettings, Depends(settings_of)]


def parse_period(text: str, field: str = "period") -> Period:
    """A period or a 422 naming the field."""
    try:
        return Period.parse(text)
    except PeriodError as exc:
        raise Invalid(field, str(exc)) from exc


async def scoped_unit(
    session: AsyncSession, principal: Principal, org_unit_id: str, field: str = "org_unit_id"
) -> Unit:
    """A replicated unit inside the caller's subtree (404 unknown, 403 outside)."""
    view = await get_unit(session, org_unit_id)
    if view is None:
        raise NotFound(f"{field}: no organisation unit {org_unit_id}")
    principal.require_area(view.area_code)
    return Unit(view.id, view.name, view.area_code, view.parent_id)
