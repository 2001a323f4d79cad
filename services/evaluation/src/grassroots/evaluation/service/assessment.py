"""One assessment of units under a scheme, shared by rankings, pay and exports."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from grassroots.evaluation.adapters.orm import bonus_items
from grassroots.evaluation.domain.adjustments import adjusted_rates, without
from grassroots.evaluation.domain.indicators import IndicatorCounts
from grassroots.evaluation.domain.periods import Period, PeriodError
from grassroots.evaluation.domain.scoring import Scheme, Score, score_unit
from grassroots.evaluation.service.fairness import load_adjustments, owners
from grassroots.evaluation.service.indicators import CountRules, Tree, rolled_up
from grassroots.evaluation.service.people import survey_rates


@dataclass(frozen=True)
class UnitAssessment:
    """A unit's counts, rates and score under a scheme, as every reader must see them."""

    counts: IndicatorCounts
    rates: dict[str, float | None]
    score: Score


async def approved_bonus(
    session: AsyncSession, unit_ids: list[str], period: Period
) -> dict[str, float]:
    """Approved bonus points per unit whose period lies inside `period`."""
    rows = (
        await session.execute(
            select(bonus_items.c.org_unit_id, bonus_items.c.period, bonus_items.c.points).where(
                bonus_items.c.org_unit_id.in_(unit_ids), bonus_items.c.status == "approved"
            )
        )
    ).all()
    months = set(period.months)
    out: dict[str, float] = defaultdict(float)
    for unit_id, item_period, points in rows:
        try:
            inside = set(Period.parse(item_period).months) <= months
        except PeriodError:
            inside = False
        if inside:
            out[unit_id] += float(points)
    return out


async def adjusted_counts(
    session: AsyncSession, tree: Tree, unit_ids: list[str], period: Period, rules: CountRules
) -> dict[str, tuple[IndicatorCounts, dict[str, float | None]]]:
    """Each unit over its subtree: counts less approved exclusions, and rates less upheld
    appeals (each appealed request leaves only the rate it was appealed against)."""
    raw = await rolled_up(session, tree, unit_ids, period, rules)
    adjustments = await load_adjustments(
        session, owners(tree, unit_ids), period, rules.response_limit_seconds
    )
    out = {}
    for unit_id in unit_ids:
        counts = without(raw[unit_id], adjustments.excluded.get(unit_id, ()))
        out[unit_id] = (counts, adjusted_rates(counts, adjustments.appealed.get(unit_id, {})))
    return out


async def assess_units(
    session: AsyncSession,
    tree: Tree,
    unit_ids: list[str],
    period: Period,
    scheme: Scheme,
    rules: CountRules,
) -> dict[str, UnitAssessment]:
    """Each unit's adjusted counts and rates (survey rate included) and its score with the
    approved bonus: rankings, pay and exports all read this one assessment."""
    adjusted = await adjusted_counts(session, tree, unit_ids, period, rules)
    bonus = await approved_bonus(session, unit_ids, period)
    surveyed: dict[str, float | None] = {}
    if scheme.weights.get("survey_rate"):
        surveyed = await survey_rates(session, tree, unit_ids, period)
    out = {}
    for unit_id in unit_ids:
        counts, rates = adjusted[unit_id]
        rates = {**rates, "survey_rate": surveyed.get(unit_id)}
        score = score_unit(counts, scheme, bonus_points=bonus.get(unit_id, 0.0), rates=rates)
        out[unit_id] = UnitAssessment(counts=counts, rates=rates, score=score)
    return out
