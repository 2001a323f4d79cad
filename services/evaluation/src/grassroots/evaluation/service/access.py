"""Checks every use case makes before it acts: the period asked for, and the unit in scope."""

from __future__ import annotations

from grassroots.evaluation.adapters.units import find_unit
from grassroots.evaluation.domain.periods import Period, PeriodError
from grassroots.evaluation.domain.tree import Unit
from grassroots.kit.auth import Principal
from grassroots.kit.db import AsyncSession
from grassroots.kit.problems import Invalid, NotFound


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
    unit = await find_unit(session, org_unit_id)
    if unit is None:
        raise NotFound(f"{field}: no organisation unit {org_unit_id}")
    principal.require_area(unit.area_code)
    return unit
