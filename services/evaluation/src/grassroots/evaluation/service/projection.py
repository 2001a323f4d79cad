"""Projection of request and member events into the evaluation read models.

Every write is an upsert whose result does not depend on delivery order or repetition:
request facts are merged (see domain/facts.py), visits and activities are keyed by their own
ids, members keep their highest version, automatic points are keyed by their cause.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import fields
from datetime import datetime
from typing import Any

from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from grassroots.contracts.envelope import CloudEvent
from grassroots.contracts.events import REGISTRY
from grassroots.contracts.events import members as member_events
from grassroots.contracts.events import requests as request_events
from grassroots.contracts.streams import MEMBERS, REQUESTS
from grassroots.evaluation.adapters.orm import (
    UNIT_MONTH_COUNTS,
    member_activity,
    members,
    point_items,
    request_facts,
    unit_month_counts,
    visits,
)
from grassroots.evaluation.domain.facts import RequestFacts, contribution, merge
from grassroots.evaluation.domain.indicators import (
    DEFAULT_RESPONSE_LIMIT_SECONDS,
    count_deltas,
)
from grassroots.evaluation.domain.periods import month_key
from grassroots.evaluation.domain.points import AUTO_POINTS
from grassroots.evaluation.metrics import PROJECTION_LAG
from grassroots.kit.clock import as_utc, utcnow
from grassroots.kit.db import dialect_insert, insert_ignoring
from grassroots.kit.messaging import ConsumerSpec

_FACT_FIELDS = [f.name for f in fields(RequestFacts)]
REQUEST_EVENT_TYPES = [
    m.event_type() for m in REGISTRY.values() if m.DOMAIN == "requests" and m.NAME != "visit_logged"
]


def _utc(moment: datetime | None) -> datetime | None:
    """Aware UTC (SQLite hands back naive UTC; the facts compare aware instants)."""
    return None if moment is None else as_utc(moment)


def short_name(event_type: str) -> str:
    """`gr.requests.resolved.v1` → `resolved`."""
    return event_type.split(".")[2]


def _facts_from_row(row: Any) -> RequestFacts:
    m = row._mapping
    values = {name: m[name] for name in _FACT_FIELDS}
    for key in ("received_at", "responded_at", "resolved_at", "resolved_due_at"):
        values[key] = _utc(values[key])
    return RequestFacts(**values)


def _row_from_facts(facts: RequestFacts) -> dict[str, Any]:
    row = {name: getattr(facts, name) for name in _FACT_FIELDS}
    for key in ("received_at", "responded_at", "resolved_at", "resolved_due_at"):
        row[key] = _utc(row[key])
    row["response_seconds"] = facts.response_seconds
    row["resolved_on_time"] = facts.resolved_on_time
    return row


def parse_request_event(event: CloudEvent) -> tuple[str, dict[str, Any]]:
    """Validate a request event against its contract; (short name, data with datetimes)."""
    model = REGISTRY[event.type]
    data = model.model_validate(event.data)
    values = data.model_dump()
    for key in ("occurred_at", "received_at", "due_at"):
        if values.get(key) is not None:
            values[key] = _utc(values[key])
    return short_name(event.type), values


async def apply_request_events(
    session: AsyncSession,
    events: Sequence[CloudEvent],
    response_limit_seconds: int = DEFAULT_RESPONSE_LIMIT_SECONDS,
) -> None:
    """Merge a batch of request events into the per-request facts, the per-unit monthly
    counts (by the difference each fact's change makes) and automatic points."""
    parsed = [parse_request_event(e) for e in events]
    merged: dict[str, RequestFacts] = {}
    for name, data in parsed:
        part = contribution(name, data)
        known = merged.get(part.request_id)
        merged[part.request_id] = part if known is None else merge(known, part)
    if merged:
        await _lock_requests(session, sorted(merged))
        rows = (
            await session.execute(
                select(request_facts)
                .where(request_facts.c.request_id.in_(list(merged)))
                .with_for_update()
            )
        ).all()
        before: dict[str, RequestFacts] = {}
        for row in rows:
            stored = _facts_from_row(row)
            before[stored.request_id] = stored
            merged[stored.request_id] = merge(stored, merged[stored.request_id])
        await _add_count_deltas(session, before, merged, response_limit_seconds)
        # executemany form: one cached statement, rows sent in batches (no giant VALUES).
        statement = dialect_insert(session)(request_facts)
        statement = statement.on_conflict_do_update(
            index_elements=["request_id"],
            set_={
                c.name: statement.excluded[c.name]
                for c in request_facts.c
                if c.name != "request_id"
            },
        )
        await session.execute(statement, [_row_from_facts(f) for f in merged.values()])
    points = [
        _auto_point(
            f"resolved:{data['request_id']}:{data['version']}",
            data["handler_member_id"],
            data["org_unit_id"],
            data["occurred_at"],
            "request_resolved",
        )
        for name, data in parsed
        if name == "resolved" and data.get("handler_member_id")
    ]
    await _add_points(session, points)


async def _lock_requests(session: AsyncSession, request_ids: list[str]) -> None:
    """Serialise concurrent merges of the same request (a live consumer beside a rebuild)."""
    if session.get_bind().dialect.name != "postgresql":
        return  # SQLite writers are serialised by the kit's write lock
    await session.execute(
        text(
            "SELECT pg_advisory_xact_lock(hashtextextended(x, 0))"
            " FROM unnest(CAST(:ids AS text[])) AS x"
        ),
        {"ids": request_ids},
    )


async def _add_count_deltas(
    session: AsyncSession,
    before: dict[str, RequestFacts],
    after: dict[str, RequestFacts],
    response_limit_seconds: int,
) -> None:
    """Move each changed request's counts from its old state to its new one."""
    deltas = count_deltas(before, after, response_limit_seconds)
    rows = []
    for (unit_id, month), delta in sorted(deltas.items()):
        values = {name: getattr(delta, name) for name in UNIT_MONTH_COUNTS}
        if any(values.values()):
            rows.append({"unit_id": unit_id, "month": month, **values})
    if not rows:
        return
    statement = dialect_insert(session)(unit_month_counts)
    statement = statement.on_conflict_do_update(
        index_elements=["unit_id", "month"],
        set_={
            name: unit_month_counts.c[name] + statement.excluded[name] for name in UNIT_MONTH_COUNTS
        },
    )
    await session.execute(statement, rows)


def _auto_point(
    key: str, member_id: str, org_unit_id: str, when: datetime, cause: str
) -> dict[str, Any]:
    return {
        "id": f"auto:{key}",
        "member_id": member_id,
        "org_unit_id": org_unit_id,
        "month": month_key(when),
        "points": AUTO_POINTS[cause],
        "reason": cause,
        "source": "auto",
        "status": "approved",
        "proposed_by": None,
        "decided_by": None,
        "created_at": when,
    }


async def _add_points(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    if rows:
        statement = insert_ignoring(session, point_items, ["id"])
        await session.execute(statement, rows)


async def apply_visits(session: AsyncSession, events: Iterable[CloudEvent]) -> None:
    """Record logged visits (keyed by visit id) and their automatic points."""
    rows, points = [], []
    for event in events:
        data = request_events.VisitLogged.model_validate(event.data)
        visited_at = _utc(data.visited_at)
        assert visited_at is not None
        rows.append(
            {
                "visit_id": data.visit_id,
                "org_unit_id": data.org_unit_id,
                "visitor_member_id": data.visitor_member_id,
                "visited_at": visited_at,
                "visited_month": month_key(visited_at),
            }
        )
        points.append(
            _auto_point(
                f"visit:{data.visit_id}",
                data.visitor_member_id,
                data.org_unit_id,
                visited_at,
                "visit_logged",
            )
        )
    if rows:
        statement = insert_ignoring(session, visits, ["visit_id"])
        await session.execute(statement, rows)
    await _add_points(session, points)


async def apply_member_event(session: AsyncSession, event: CloudEvent) -> None:
    """Keep members (highest version wins), claimed posts and check-ins."""
    insert = dialect_insert(session)
    if event.type in (
        member_events.MemberRegistered.event_type(),
        member_events.MemberUpdated.event_type(),
    ):
        data = member_events.MemberUpdated.model_validate(event.data)
        await _ensure_member(session, data.member_id, data.org_unit_id)
        await session.execute(
            update(members)
            .where(members.c.member_id == data.member_id, members.c.version < data.version)
            .values(
                stage=data.stage,
                in_service=data.in_service,
                duties=sorted(data.duties),
                version=data.version,
            )
        )
        await _move_member(session, data.member_id, data.org_unit_id, data.version)
        return
    if event.type == member_events.MemberTransferred.event_type():
        moved = member_events.MemberTransferred.model_validate(event.data)
        await _ensure_member(session, moved.member_id, moved.org_unit_id)
        await _move_member(session, moved.member_id, moved.org_unit_id, moved.version)
        return
    if event.type == member_events.PostClaimed.event_type():
        post = member_events.PostClaimed.model_validate(event.data)
        kind, unit, member_id, when = "post", post.org_unit_id, post.member_id, post.occurred_at
    elif event.type == member_events.MemberCheckedIn.event_type():
        checkin = member_events.MemberCheckedIn.model_validate(event.data)
        kind, unit = "check_in", checkin.community_org_unit_id
        member_id, when = checkin.member_id, checkin.occurred_at
    else:
        return
    at = _utc(when)
    assert at is not None
    statement = insert(member_activity).values(
        event_id=event.id,
        kind=kind,
        member_id=member_id,
        org_unit_id=unit,
        occurred_at=at,
        month=month_key(at),
    )
    await session.execute(statement.on_conflict_do_nothing(index_elements=["event_id"]))
    cause = "post_claimed" if kind == "post" else "checked_in"
    await _add_points(session, [_auto_point(f"{kind}:{event.id}", member_id, unit, at, cause)])


async def _ensure_member(session: AsyncSession, member_id: str, org_unit_id: str) -> None:
    """A row at version 0, so whichever of registration and transfer comes first has one."""
    statement = dialect_insert(session)(members).values(
        member_id=member_id,
        org_unit_id=org_unit_id,
        stage="",
        in_service=False,
        duties=[],
        version=0,
        unit_version=0,
    )
    await session.execute(statement.on_conflict_do_nothing(index_elements=["member_id"]))


async def _move_member(
    session: AsyncSession, member_id: str, org_unit_id: str, version: int
) -> None:
    """The unit of the highest version wins (registration, update or transfer)."""
    await session.execute(
        update(members)
        .where(members.c.member_id == member_id, members.c.unit_version < version)
        .values(org_unit_id=org_unit_id, unit_version=version)
    )


def _observe_lag(stream: str, event: CloudEvent) -> None:
    PROJECTION_LAG.labels(stream).set(max(0.0, (utcnow() - event.time).total_seconds()))


async def _on_visit(session: AsyncSession, event: CloudEvent) -> None:
    await apply_visits(session, [event])
    _observe_lag(REQUESTS.name, event)


async def _on_member_event(session: AsyncSession, event: CloudEvent) -> None:
    await apply_member_event(session, event)
    _observe_lag(MEMBERS.name, event)


MEMBER_EVENT_TYPES = [
    m.event_type()
    for m in (
        member_events.MemberRegistered,
        member_events.MemberUpdated,
        member_events.MemberTransferred,
        member_events.PostClaimed,
        member_events.MemberCheckedIn,
    )
]


def requests_consumer(
    response_limit_seconds: int = DEFAULT_RESPONSE_LIMIT_SECONDS,
) -> ConsumerSpec:
    """The durable consumer projecting the requests stream."""

    async def _on_request_event(session: AsyncSession, event: CloudEvent) -> None:
        await apply_request_events(session, [event], response_limit_seconds)
        _observe_lag(REQUESTS.name, event)

    spec = ConsumerSpec(name="requests_projection", stream=REQUESTS)
    for event_type in REQUEST_EVENT_TYPES:
        spec.handlers[event_type] = _on_request_event
    spec.handlers[request_events.VisitLogged.event_type()] = _on_visit
    return spec


def members_consumer() -> ConsumerSpec:
    """The durable consumer projecting members, posts and check-ins."""
    spec = ConsumerSpec(name="members_projection", stream=MEMBERS)
    for event_type in MEMBER_EVENT_TYPES:
        spec.handlers[event_type] = _on_member_event
    return spec


async def apply_batch(
    session: AsyncSession,
    batch: Sequence[CloudEvent],
    response_limit_seconds: int = DEFAULT_RESPONSE_LIMIT_SECONDS,
) -> None:
    """Apply a batch of events of any kind (the rebuild's path); same effects as one by one."""
    request_batch = [e for e in batch if e.type in REQUEST_EVENT_TYPES]
    visit_batch = [e for e in batch if e.type == request_events.VisitLogged.event_type()]
    if request_batch:
        await apply_request_events(session, request_batch, response_limit_seconds)
    if visit_batch:
        await apply_visits(session, visit_batch)
    for event in batch:
        if event.type in MEMBER_EVENT_TYPES:
            await apply_member_event(session, event)
