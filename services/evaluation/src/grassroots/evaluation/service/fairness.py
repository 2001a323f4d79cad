"""Exclusions (不合理诉求) and appeals (申诉): proposed by a unit, decided once by its county;
and the requests behind each count (attribution)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from uuid6 import uuid7

from grassroots.contracts.area import county_of
from grassroots.contracts.timezone import platform_zone
from grassroots.evaluation.adapters import fairness as store
from grassroots.evaluation.adapters.items import ItemStore, appeal_store, exclusion_store
from grassroots.evaluation.adapters.units import find_unit, load_tree
from grassroots.evaluation.domain.adjustments import appeal_deadline, counted_in, counts_of
from grassroots.evaluation.domain.facts import RequestFacts
from grassroots.evaluation.domain.indicators import IndicatorCounts
from grassroots.evaluation.domain.periods import Period
from grassroots.evaluation.domain.tree import Tree
from grassroots.evaluation.service.access import parse_period, scoped_unit
from grassroots.evaluation.service.commands import AppealIn, ExclusionIn
from grassroots.evaluation.service.decisions import decide_once
from grassroots.evaluation.service.deps import Deps
from grassroots.kit.auth import Principal
from grassroots.kit.clock import today, utcnow
from grassroots.kit.db import AsyncSession
from grassroots.kit.paging import decode_cursor, encode_cursor
from grassroots.kit.problems import Conflict, NotFound


async def request_fact(session: AsyncSession, request_id: str) -> RequestFacts:
    """The received request's facts, or 404 naming `request_id`."""
    fact = await store.request_fact(session, request_id)
    if fact is None or fact.received_unit_id is None:
        raise NotFound(f"request_id: no received request {request_id}")
    return fact


async def _scope_to_request(session: AsyncSession, principal: Principal, fact: RequestFacts) -> str:
    """The receiving unit's area; 403 when the caller's subtree does not hold it."""
    unit = await find_unit(session, str(fact.received_unit_id))
    area = unit.area_code if unit else str(fact.area_code)
    principal.require_area(area)
    return area


def _proposed(principal: Principal, fact: RequestFacts, **fields: Any) -> dict[str, Any]:
    return {
        "id": str(uuid7()),
        "request_id": fact.request_id,
        "org_unit_id": str(fact.received_unit_id),
        **fields,
        "status": "pending",
        "proposed_by": principal.sub,
        "created_at": utcnow(),
        "decided_by": None,
        "decided_at": None,
        "decision_note": None,
    }


async def _proposing(session: AsyncSession, principal: Principal, request_id: str) -> RequestFacts:
    """A cadre whose subtree holds the request's receiving unit proposes; its facts."""
    principal.require_role("cadre")
    fact = await request_fact(session, request_id)
    await _scope_to_request(session, principal, fact)
    return fact


async def propose_exclusion(
    session: AsyncSession, deps: Deps, principal: Principal, command: ExclusionIn
) -> dict[str, Any]:
    """A unit flags one of its requests as unreasonable; one open or approved flag each."""
    fact = await _proposing(session, principal, command.request_id)
    open_one = await store.open_exclusion(session, command.request_id)
    if open_one:
        raise Conflict(f"request {command.request_id} already has exclusion {open_one}")
    row = _proposed(principal, fact, category=command.category, reason=command.reason)
    await exclusion_store.add(session, row)
    return row


def last_day(period: Period) -> date:
    """The period's last local day."""
    return (period.end - timedelta(days=1)).date()


async def propose_appeal(
    session: AsyncSession, deps: Deps, principal: Principal, command: AppealIn
) -> dict[str, Any]:
    """A unit appeals one request's assessment in one rate, within the window after the period."""
    fact = await _proposing(session, principal, command.request_id)
    period = Period.parse(str(fact.received_month))
    window = deps.appeal_window_workdays
    deadline = appeal_deadline(last_day(period), window, deps.is_workday)
    if today() > deadline:
        raise Conflict(
            f"the appeal window for {period} closed on {deadline.isoformat()} "
            f"({window} working days after the period)"
        )
    open_one = await store.open_appeal(session, command.request_id, command.indicator)
    if open_one:
        raise Conflict(
            f"request {command.request_id} already has appeal {open_one} on {command.indicator}"
        )
    row = _proposed(
        principal,
        fact,
        indicator=command.indicator,
        reason=command.reason,
        evidence=command.evidence,
    )
    await appeal_store.add(session, row)
    return {**row, "deadline": deadline}


async def _decide(
    session: AsyncSession,
    principal: Principal,
    items: ItemStore,
    noun: str,
    item_id: str,
    decision: str,
    note: str | None,
) -> dict[str, Any]:
    """The county (an org admin whose area covers the unit's county) decides, once."""

    async def county_in_scope(row: dict[str, Any]) -> None:
        unit = await find_unit(session, row["org_unit_id"])
        area = unit.area_code if unit else ""
        principal.require_area(county_of(area) if area else "000000000000")

    return await decide_once(
        session,
        principal,
        items,
        item_id,
        decision,
        noun=noun,
        open_status="pending",
        in_scope=county_in_scope,
        extra={"decided_at": utcnow(), "decision_note": note},
        refusal="{taken}",
    )


async def decide_exclusion(
    session: AsyncSession,
    deps: Deps,
    principal: Principal,
    exclusion_id: str,
    decision: str,
    note: str | None,
) -> dict[str, Any]:
    """The county approves or rejects an exclusion (once)."""
    return await _decide(
        session, principal, exclusion_store, "exclusion", exclusion_id, decision, note
    )


async def decide_appeal(
    session: AsyncSession,
    deps: Deps,
    principal: Principal,
    appeal_id: str,
    decision: str,
    note: str | None,
) -> dict[str, Any]:
    """The county upholds (the request leaves that rate) or dismisses an appeal (once)."""
    return await _decide(session, principal, appeal_store, "appeal", appeal_id, decision, note)


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
    months, unit_ids = list(period.months), list(owner)
    excluded = await store.excluded_facts(session, unit_ids, months)
    for fact in excluded:
        out.excluded[owner[str(fact.received_unit_id)]].append(
            counts_of(fact, response_limit_seconds)
        )
    excluded_ids = {fact.request_id for fact in excluded}
    for fact, indicator in await store.appealed_facts(session, unit_ids, months):
        if fact.request_id in excluded_ids:
            continue  # already out of every rate
        root = owner[str(fact.received_unit_id)]
        removed = out.appealed[root].get(indicator, IndicatorCounts())
        out.appealed[root][indicator] = removed + counts_of(fact, response_limit_seconds)
    return out


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
    found = await store.received_facts(
        session, tree.subtree(root_id), list(period.months), after, limit
    )
    more = limit is not None and len(found) > limit
    facts = found[:limit] if limit is not None else found
    ids = [fact.request_id for fact in facts]
    flagged = {row["request_id"]: _decision(row) for row in await store.exclusions_of(session, ids)}
    appealed: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in await store.appeals_of(session, ids):
        appealed[row["request_id"]].append({"indicator": row["indicator"], **_decision(row)})
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


def _decision(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "status": row["status"],
        "reason": row["reason"],
        "proposed_by": row["proposed_by"],
        "decided_by": row["decided_by"],
        "decided_at": as_local(row["decided_at"]),
        "decision_note": row["decision_note"],
    }


async def show_attribution(
    session: AsyncSession,
    deps: Deps,
    principal: Principal,
    org_unit_id: str,
    period: str,
    limit: int,
    cursor: str | None,
) -> dict[str, Any]:
    """Each request received by the unit's subtree in the period and what it counts in."""
    parsed = parse_period(period)
    after = decode_cursor(cursor)
    unit = await scoped_unit(session, principal, org_unit_id)
    tree = await load_tree(session, unit.area_code)
    items, more = await attribution(
        session,
        tree,
        unit.id,
        parsed,
        deps.rules.response_limit_seconds,
        after=str(after) if after else None,
        limit=limit,
    )
    return {
        "org_unit_id": unit.id,
        "period": str(parsed),
        "items": items,
        "next_cursor": encode_cursor(items[-1]["request_id"]) if more else None,
    }
