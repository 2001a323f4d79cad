"""The replicated organisation tree as evaluation reads it, and the counts stored per unit."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, String, any_, bindparam, func, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from grassroots.contracts.area import area_prefix
from grassroots.evaluation.adapters.orm import (
    UNIT_MONTH_COUNTS,
    member_activity,
    unit_month_counts,
    unit_month_handling,
    visits,
)
from grassroots.evaluation.domain.indicators import (
    HANDLING_COUNT_FIELDS,
    CountRules,
    IndicatorCounts,
)
from grassroots.evaluation.domain.periods import Period
from grassroots.evaluation.domain.tree import Tree, Unit
from grassroots.kit.orgtree import get_unit
from grassroots.kit.tables import org_units


async def find_unit(session: AsyncSession, org_unit_id: str) -> Unit | None:
    """A replicated unit by id, or None."""
    view = await get_unit(session, org_unit_id)
    return None if view is None else Unit(view.id, view.name, view.area_code, view.parent_id)


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


def _member_of(session: AsyncSession, column: Any, values: list[str]) -> ColumnElement[bool]:
    """`column IN values`; one array parameter on PostgreSQL instead of thousands of binds."""
    if session.get_bind().dialect.name == "postgresql":
        matches: ColumnElement[bool] = column == any_(
            bindparam(f"{column.name}_list", values, type_=ARRAY(String))
        )
        return matches
    listed: ColumnElement[bool] = column.in_(values)
    return listed


async def counts_by_unit(
    session: AsyncSession, unit_ids: list[str], period: Period, rules: CountRules
) -> dict[str, IndicatorCounts]:
    """Counts of each unit alone (not rolled up) in the period."""
    months = list(period.months)
    c = unit_month_counts.c
    query = (
        select(c.unit_id, *(func.sum(c[name]).label(name) for name in UNIT_MONTH_COUNTS))
        .where(_member_of(session, c.unit_id, unit_ids), c.month.in_(months))
        .group_by(c.unit_id)
    )
    out: dict[str, IndicatorCounts] = {}
    for unit_id, *sums in (await session.execute(query)).all():
        # The columns come in UNIT_MONTH_COUNTS order, IndicatorCounts' leading fields.
        out[unit_id] = IndicatorCounts(*(int(v or 0) for v in sums))
    visit_rows = (
        await session.execute(
            select(
                visits.c.org_unit_id,
                func.count().label("visits"),
                func.count(func.distinct(visits.c.visitor_member_id)).label("visitors"),
            )
            .where(
                _member_of(session, visits.c.org_unit_id, unit_ids),
                visits.c.visited_month.in_(months),
            )
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
            .where(
                _member_of(session, member_activity.c.org_unit_id, unit_ids),
                member_activity.c.month.in_(months),
            )
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
    h = unit_month_handling.c
    handling_rows = (
        await session.execute(
            select(h.unit_id, *(func.sum(h[name]).label(name) for name in HANDLING_COUNT_FIELDS))
            .where(_member_of(session, h.unit_id, unit_ids), h.month.in_(months))
            .group_by(h.unit_id)
        )
    ).all()
    for unit_id, *sums in handling_rows:
        handled = IndicatorCounts(
            **{name: int(v or 0) for name, v in zip(HANDLING_COUNT_FIELDS, sums, strict=True)}
        )
        out[unit_id] = out.get(unit_id, IndicatorCounts()) + handled
    return out
