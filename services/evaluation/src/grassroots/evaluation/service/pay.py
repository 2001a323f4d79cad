"""Village cadres' pay: a base share and a performance share scaled by the unit's score."""

from __future__ import annotations

from typing import Any

from grassroots.contracts.area import county_of
from grassroots.evaluation.adapters.people import members_with_duties
from grassroots.evaluation.adapters.units import load_tree
from grassroots.evaluation.domain.pay import split_pay
from grassroots.evaluation.service.access import parse_period, scoped_unit
from grassroots.evaluation.service.assessment import assess_units
from grassroots.evaluation.service.deps import Deps
from grassroots.evaluation.service.schemes import find_scheme
from grassroots.kit.auth import Principal
from grassroots.kit.db import AsyncSession


async def show_pay(
    session: AsyncSession,
    deps: Deps,
    principal: Principal,
    org_unit: str,
    period: str,
    scheme: str,
    subsidy_per_year: float | None,
    base_share: float | None,
) -> dict[str, Any]:
    """Pay of the unit's members holding a paid duty, from the same assessment as the ranking."""
    principal.require_role("cadre")
    parsed = parse_period(period)
    yearly = deps.cadre_subsidy_per_year if subsidy_per_year is None else subsidy_per_year
    share = deps.pay_base_share if base_share is None else base_share
    unit = await scoped_unit(session, principal, org_unit, "org_unit")
    tree = await load_tree(session, unit.area_code)
    chosen = await find_scheme(session, county_of(unit.area_code), scheme)
    # The same assessment as the ranking (bonus, exclusions, appeals), so pay agrees with it.
    assessed = (await assess_units(session, tree, [unit.id], parsed, chosen, deps.rules))[unit.id]
    cadres = await members_with_duties(session, unit.id)
    score = assessed.score
    split = split_pay(yearly * parsed.fraction_of_year, score.score, share)
    items = [
        {"member_id": member_id, "duties": duties, **split.__dict__}
        for member_id, duties in cadres
        if deps.pay_duties & set(duties)
    ]
    return {
        "org_unit_id": unit.id,
        "period": str(parsed),
        "scheme": chosen.name,
        "score": score.score,
        "score_status": score.status,
        "base_share": share,
        "subsidy_per_year": yearly,
        "items": items,
    }
