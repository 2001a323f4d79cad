"""Exclusions (不合理诉求) and appeals (申诉): proposed by a unit, decided by its county."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Table, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from uuid6 import uuid7

from grassroots.contracts.timezone import platform_zone
from grassroots.evaluation.adapters.facts_store import fact_from_row
from grassroots.evaluation.adapters.orm import appeals, exclusions, request_facts
from grassroots.evaluation.domain.adjustments import appeal_deadline, counted_in, counts_of
from grassroots.evaluation.domain.facts import RequestFacts
from grassroots.evaluation.domain.indicators import IndicatorCounts
from grassroots.evaluation.domain.periods import Period
from grassroots.evaluation.service.indicators import Tree
from grassroots.evaluation.service.schemes import county_of
from grassroots.kit.auth import Principal
from grassroots.kit.clock import today, utcnow
from grassroots.kit.orgtree import get_unit
from grassroots.kit.problems import Conflict, NotFound

DECISIONS = {
    "approve": "approved",
    "reject": "rejected",
    "uphold": "upheld",
    "dismiss": "dismissed",
}


async def request_fact(session: AsyncSession, request_id: str) -> RequestFacts:
    """The received request's facts, or 404 naming `request_id`."""
    row = (
        await session.execute(select(request_facts).where(request_facts.c.request_id == request_id))
    ).first()
    if row is None or row.received_unit_id is None:
        raise NotFound(f"request_id: no received request {request_id}")
    return fact_from_row(row)


async def _scope_to_request(session: AsyncSession, principal: Principal, fact: RequestFacts) -> str:
    """The receiving unit's area; 403 when the caller's subtree does not hold it."""
    unit = await get_unit(session, str(fact.received_unit_id))
    area = unit.area_code if unit else str(fact.area_code)
    principal.require_area(area)
    return area


async def propose_exclusion(
    session: AsyncSession,
    principal: Principal,
    request_id: str,
    reason: str,
    category: str | None,
) -> dict[str, Any]:
    """A unit flags one of its requests as unreasonable; one open or approved flag each."""
    principal.require_role("cadre")
    fact = await request_fact(session, request_id)
    await _scope_to_request(session, principal, fact)
    open_one = await session.scalar(
        select(exclusions.c.id).where(
            exclusions.c.request_id == request_id,
            exclusions.c.status.in_(("pending", "approved")),
        )
    )
    if open_one:
        raise Conflict(f"request {request_id} already has exclusion {open_one}")
    row = {
        "id": str(uuid7()),
        "request_id": request_id,
        "org_unit_id": str(fact.received_unit_id),
        "category": category,
        "reason": reason,
        "status": "pending",
        "proposed_by": principal.sub,
        "created_at": utcnow(),
        "decided_by": None,
        "decided_at": None,
        "decision_note": None,
    }
    await session.execute(insert(exclusions).values(**row))
    return row


def last_day(period: Period) -> date:
    """The period's last local day."""
    return (period.end - timedelta(days=1)).date()


async def propose_appeal(
    session: AsyncSession,
    principal: Principal,
    request_id: str,
    indicator: str,
    reason: str,
    evidence: str | None,
    window_workdays: int,
    is_workday: Callable[[date], bool],
) -> dict[str, Any]:
    """A unit appeals one request's assessment in one rate, within the window after the period."""
    principal.require_role("cadre")
    fact = await request_fact(session, request_id)
    await _scope_to_request(session, principal, fact)
    period = Period.parse(str(fact.received_month))
    deadline = appeal_deadline(last_day(period), window_workdays, is_workday)
    if today() > deadline:
        raise Conflict(
            f"the appeal window for {period} closed on {deadline.isoformat()} "
            f"({window_workdays} working days after the period)"
        )
    open_one = await session.scalar(
        select(appeals.c.id).where(
            appeals.c.request_id == request_id,
            appeals.c.indicator == indicator,
            appeals.c.status.in_(("pending", "upheld")),
        )
    )
    if open_one:
        raise Conflict(f"request {request_id} already has appeal {open_one} on {indicator}")
    row = {
        "id": str(uuid7()),
        "request_id": request_id,
        "org_unit_id": str(fact.received_unit_id),
        "indicator": indicator,
        "reason": reason,
        "evidence": evidence,
        "status": "pending",
        "proposed_by": principal.sub,
        "created_at": utcnow(),
        "decided_by": None,
        "decided_at": None,
        "decision_note": None,
        "deadline": deadline,
    }
    await session.execute(
        insert(appeals).values(**{k: v for k, v in row.items() if k != "deadline"})
    )
    return row


async def decide(
    session: AsyncSession,
    principal: Principal,
    table: Table,
    item_id: str,
    decision: str,
    note: str | None,
) -> dict[str, Any]:
    """The county (an org admin whose area covers the unit's county) decides, once."""
    principal.require_role("org_admin")
    row = (
        await session.execute(select(table).where(table.c.id == item_id).with_for_update())
    ).first()
    if row is None:
        raise NotFound(f"no {table.name.removeprefix('ev_').rstrip('s')} {item_id}")
    unit = await get_unit(session, row.org_unit_id)
    area = unit.area_code if unit else ""
    principal.require_area(county_of(area) if area else "000000000000")
    if row.status != "pending":
        raise Conflict(f"already {row.status}")
    values = {
        "status": DECISIONS[decision],
        "decided_by": principal.sub,
        "decided_at": utcnow(),
        "decision_note": note,
    }
    await session.execute(update(table).where(table.c.id == item_id).values(**values))
    return {**dict(row._mapping), **values}


@dataclass
class Adjustments:
    """Approved exclusions and upheld appeals of the requests counted under some roots."""

    excluded: dict[str, list[IndicatorCounts]] = field(default_factory=lambda: defaultdict(list))
    appealed: dict[str, dict[str, IndicatorCounts]] = field(
        default_factory=lambda: defaultdict(dict)
    )


async def load_adjustments(
    session: AsyncSession,
    owner: dict[str, str],
    period: Period,
    response_limit_seconds: int,
) -> Adjustments:
    """What to take out of each root's counts (owner maps every subtree unit to its root)."""
    out = Adjustments()
    months = list(period.months)
    f = request_facts.c
    counted = (f.received_month.in_(months), f.received_unit_id.in_(list(owner)))
    excluded_rows = (
        await session.execute(
            select(request_facts)
            .join(exclusions, exclusions.c.request_id == f.request_id)
            .where(exclusions.c.status == "approved", *counted)
        )
    ).all()
    for row in excluded_rows:
        fact = fact_from_row(row)
        out.excluded[owner[str(fact.received_unit_id)]].append(
            counts_of(fact, response_limit_seconds)
        )
    excluded_ids = {row.request_id for row in excluded_rows}
    appealed_rows = (
        await session.execute(
            select(request_facts, appeals.c.indicator)
            .join(appeals, appeals.c.request_id == f.request_id)
            .where(appeals.c.status == "upheld", *counted)
        )
    ).all()
    for row in appealed_rows:
        if row.request_id in excluded_ids:
            continue  # already out of every rate
        fact = fact_from_row(row)
        root = owner[str(fact.received_unit_id)]
        removed = out.appealed[root].get(row.indicator, IndicatorCounts())
        out.appealed[root][row.indicator] = removed + counts_of(fact, response_limit_seconds)
    return out


def owners(tree: Tree, roots: list[str]) -> dict[str, str]:
    """Every unit of the roots' subtrees mapped to its root."""
    owner: dict[str, str] = {}
    for root in roots:
        for unit_id in tree.subtree(root):
            owner.setdefault(unit_id, root)
    return owner


def as_local(moment: datetime | None) -> datetime | None:
    """A stored moment in the platform's time zone."""
    return None if moment is None else moment.astimezone(platform_zone())


async def attribution(
    session: AsyncSession,
    tree: Tree,
    root_id: str,
    period: Period,
    response_limit_seconds: int,
    after: str | None = None,
    limit: int | None = None,
) -> tuple[list[dict[str, Any]], bool]:
    """The requests behind a unit's counts in the period, by id, and whether more follow.

    Each says what it is counted in; an approved exclusion leaves it counted in nothing (kept
    with its decision and decider), an upheld appeal names the rates it no longer counts in.
    """
    f = request_facts.c
    query = select(request_facts).where(
        f.received_unit_id.in_(tree.subtree(root_id)), f.received_month.in_(list(period.months))
    )
    if after:
        query = query.where(f.request_id > after)
    query = query.order_by(f.request_id)
    if limit is not None:
        query = query.limit(limit + 1)
    rows = (await session.execute(query)).all()
    more = limit is not None and len(rows) > limit
    facts = [fact_from_row(r) for r in (rows[:limit] if limit is not None else rows)]
    ids = [fact.request_id for fact in facts]
    flagged: dict[str, dict[str, Any]] = {}
    for row in (
        await session.execute(
            select(exclusions)
            .where(exclusions.c.request_id.in_(ids))
            .order_by(exclusions.c.created_at)
        )
    ).all():
        flagged[row.request_id] = _decision(row)
    appealed: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in (
        await session.execute(
            select(appeals).where(appeals.c.request_id.in_(ids)).order_by(appeals.c.created_at)
        )
    ).all():
        appealed[row.request_id].append({"indicator": row.indicator, **_decision(row)})
    items = []
    for fact in facts:
        exclusion = flagged.get(fact.request_id)
        excluded = exclusion is not None and exclusion["status"] == "approved"
        removed = sorted(
            {a["indicator"] for a in appealed.get(fact.request_id, []) if a["status"] == "upheld"}
        )
        items.append(
            {
                "request_id": fact.request_id,
                "org_unit_id": fact.received_unit_id,
                "received_at": as_local(fact.received_at),
                "counted_in": [] if excluded else counted_in(fact, response_limit_seconds),
                "excluded": excluded,
                "exclusion": exclusion,
                "removed_from": [] if excluded else removed,
                "appeals": appealed.get(fact.request_id, []),
            }
        )
    return items, more


def _decision(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "status": row.status,
        "reason": row.reason,
        "proposed_by": row.proposed_by,
        "decided_by": row.decided_by,
        "decided_at": as_local(row.decided_at),
        "decision_note": row.decision_note,
    }
