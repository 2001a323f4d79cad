"""One assessment of units under a scheme, shared by indicators, rankings, pay and exports."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from grassroots.evaluation.adapters.fairness import approved_bonus_items
from grassroots.evaluation.adapters.units import counts_by_unit
from grassroots.evaluation.domain.adjustments import adjusted_rates, without
from grassroots.evaluation.domain.indicators import CountRules, IndicatorCounts
from grassroots.evaluation.domain.periods import Period, PeriodError
from grassroots.evaluation.domain.scoring import Scheme, Score, score_unit
from grassroots.evaluation.domain.tree import Tree
from grassroots.evaluation.service.fairness import load_adjustments
from grassroots.evaluation.service.surveys import survey_rates
from grassroots.kit.db import AsyncSession


@dataclass(frozen=True)
class UnitAssessment:
    """A unit's counts, rates and score under a scheme, as every reader must see them."""

    counts: IndicatorCounts
    rates: dict[str, float | None]
    score: Score


async def rolled_up(
    session: AsyncSession, tree: Tree, roots: list[str], period: Period, rules: CountRules
) -> dict[str, IndicatorCounts]:
    """Counts of each root over its whole subtree, in one pass over the database."""
    owner = tree.owners(roots)
    per_unit = await counts_by_unit(session, list(owner), period, rules)
    totals: dict[str, IndicatorCounts] = {root: IndicatorCounts() for root in roots}
    for unit_id, counts in per_unit.items():
        totals[owner[unit_id]] = totals[owner[unit_id]] + counts
    return totals


async def approved_bonus(
    session: AsyncSession, unit_ids: list[str], period: Period
) -> dict[str, float]:
    """Approved bonus points per unit whose period lies inside `period`."""
    months = set(period.months)
    out: dict[str, float] = defaultdict(float)
    for unit_id, item_period, points in await approved_bonus_items(session, unit_ids):
        try:
            inside = set(Period.parse(item_period).months) <= months
        except PeriodError:
            inside = False
        if inside:
            out[unit_id] += points
    return out


async def adjusted_counts(
    session: AsyncSession, tree: Tree, unit_ids: list[str], period: Period, rules: CountRules
) -> dict[str, tuple[IndicatorCounts, dict[str, float | None]]]:
    """Each unit over its subtree: counts less approved exclusions, and rates less upheld
    appeals (each appealed request leaves only the rate it was appealed against)."""
    raw = await rolled_up(session, tree, unit_ids, period, rules)
    adjustments = await load_adjustments(
        session, tree.owners(unit_ids), period, rules.response_limit_seconds
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
