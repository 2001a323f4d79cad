"""Indicators per unit and period, rolled up over subtrees of the replicated org tree."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from grassroots.contracts.area import area_prefix
from grassroots.evaluation.adapters.orm import member_activity, request_facts, visits
from grassroots.evaluation.domain.indicators import IndicatorCounts
from grassroots.evaluation.domain.periods import Period
from grassroots.kit.tables import org_units


@dataclass(frozen=True)
class Unit:
    """A unit of the replicated tree, as ranking needs it."""

    id: str
    name: str
    area_code: str
    parent_id: str | None


@dataclass(frozen=True)
class CountRules:
    """The configurable limits behind the counts."""

    response_limit_seconds: int = 24 * 3600
    visit_quota_per_month: int = 10


class Tree:
    """The units under one area, with parent links."""

    def __init__(self, units: Iterable[Unit]) -> None:
        self.units = {u.id: u for u in units}
        self.children: dict[str, list[str]] = defaultdict(list)
        for unit in self.units.values():
            if unit.parent_id:
                self.children[unit.parent_id].append(unit.id)
        for ids in self.children.values():
            ids.sort()

    def subtree(self, root_id: str) -> list[str]:
        """`root_id` and every unit below it."""
        out, stack, seen = [], [root_id], set()
        while stack:
            unit_id = stack.pop()
            if unit_id in seen:
                continue  # a malformed replica must not loop for ever
            seen.add(unit_id)
            out.append(unit_id)
            stack.extend(self.children.get(unit_id, ()))
        return out


async def load_tree(session: AsyncSession, area_code: str) -> Tree:
    """Every replicated unit inside `area_code`'s subtree."""
    rows = (
        await session.execute(
            select(
                org_units.c.id, org_units.c.name, org_units.c.area_code, org_units.c.parent_id
            ).where(org_units.c.area_code.startswith(area_prefix(area_code)))
        )
    ).all()
    return Tree(Unit(r.id, r.name, r.area_code, r.parent_id) for r in rows)


async def counts_by_unit(
    session: AsyncSession, unit_ids: list[str], period: Period, rules: CountRules
) -> dict[str, IndicatorCounts]:
    """Counts of each unit alone (not rolled up) in the period."""
    months = list(period.months)
    f = request_facts.c
    on_time = f.response_seconds <= rules.response_limit_seconds

    def count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    query = (
        select(
            f.received_unit_id,
            func.count().label("received"),
            count_if(on_time).label("accepted_on_time"),
            count_if(f.resolved.is_(True)).label("resolved"),
            count_if(f.resolved.is_(True) & f.resolved_on_time.is_(True)).label("resolved_on_time"),
            count_if(f.escalated.is_(True)).label("escalated"),
            count_if(f.explained.is_(True)).label("explained"),
            count_if(f.rating == "satisfied").label("satisfied"),
            count_if(f.rating == "basically_satisfied").label("basically_satisfied"),
            count_if(f.rating == "unsatisfied").label("unsatisfied"),
        )
        .where(f.received_unit_id.in_(unit_ids), f.received_month.in_(months))
        .group_by(f.received_unit_id)
    )
    out: dict[str, IndicatorCounts] = {}
    for row in (await session.execute(query)).all():
        m = row._mapping
        feedback = int(m["satisfied"]) + int(m["basically_satisfied"]) + int(m["unsatisfied"])
        out[row.received_unit_id] = IndicatorCounts(
            **{k: int(m[k]) for k in m if k != "received_unit_id"}, feedback_count=feedback
        )
    visit_rows = (
        await session.execute(
            select(
                visits.c.org_unit_id,
                func.count().label("visits"),
                func.count(func.distinct(visits.c.visitor_member_id)).label("visitors"),
            )
            .where(visits.c.org_unit_id.in_(unit_ids), visits.c.visited_month.in_(months))
            .group_by(visits.c.org_unit_id)
        )
    ).all()
    for row in visit_rows:
        quota = int(row.visitors) * rules.visit_quota_per_month * len(months)
        out[row.org_unit_id] = out.get(row.org_unit_id, IndicatorCounts()) + IndicatorCounts(
            visits=int(row.visits), visit_quota=quota
        )
    activity_rows = (
        await session.execute(
            select(member_activity.c.org_unit_id, member_activity.c.kind, func.count())
            .where(member_activity.c.org_unit_id.in_(unit_ids), member_activity.c.month.in_(months))
            .group_by(member_activity.c.org_unit_id, member_activity.c.kind)
        )
    ).all()
    for unit_id, kind, count in activity_rows:
        extra = (
            IndicatorCounts(posts_claimed=int(count))
            if kind == "post"
            else IndicatorCounts(check_ins=int(count))
        )
        out[unit_id] = out.get(unit_id, IndicatorCounts()) + extra
    return out


async def rolled_up(
    session: AsyncSession, tree: Tree, roots: list[str], period: Period, rules: CountRules
) -> dict[str, IndicatorCounts]:
    """Counts of each root over its whole subtree, in one pass over the database."""
    owner: dict[str, str] = {}
    for root in roots:
        for unit_id in tree.subtree(root):
            owner.setdefault(unit_id, root)
    per_unit = await counts_by_unit(session, list(owner), period, rules)
    totals: dict[str, IndicatorCounts] = {root: IndicatorCounts() for root in roots}
    for unit_id, counts in per_unit.items():
        totals[owner[unit_id]] = totals[owner[unit_id]] + counts
    return totals
