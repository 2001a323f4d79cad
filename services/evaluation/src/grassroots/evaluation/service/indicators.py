"""A unit's indicators in a period, rolled up over its subtree of the replicated org tree."""

from __future__ import annotations

from typing import Any

from grassroots.evaluation.adapters.units import load_tree
from grassroots.evaluation.domain.indicators import HANDLING_COUNT_FIELDS, RECEIVED_COUNT_FIELDS
from grassroots.evaluation.service.access import parse_period, scoped_unit
from grassroots.evaluation.service.assessment import adjusted_counts
from grassroots.evaluation.service.deps import Deps
from grassroots.kit.auth import Principal
from grassroots.kit.db import AsyncSession


async def show_indicators(
    session: AsyncSession, deps: Deps, principal: Principal, org_unit_id: str, period: str
) -> dict[str, Any]:
    """Indicators of a unit and everything below it, for requests received in the period
    (approved exclusions and upheld appeals taken out); `handling` counts the dispatch,
    return, extension and co-handling events of the period at the units they name."""
    parsed = parse_period(period)
    unit = await scoped_unit(session, principal, org_unit_id)
    tree = await load_tree(session, unit.area_code)
    counts, rates = (await adjusted_counts(session, tree, [unit.id], parsed, deps.rules))[unit.id]
    return {
        "org_unit_id": unit.id,
        "name": unit.name,
        "period": str(parsed),
        "units_included": len(tree.subtree(unit.id)),
        "counts": {name: getattr(counts, name) for name in RECEIVED_COUNT_FIELDS},
        "handling": {name: getattr(counts, name) for name in HANDLING_COUNT_FIELDS},
        "rates": rates,
    }
