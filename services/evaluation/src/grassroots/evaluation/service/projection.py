"""Projection of request and member events into the evaluation read models.

Every write is an upsert whose result does not depend on delivery order or repetition:
request facts are merged (see domain/facts.py), visits and activities are keyed by their own
ids, members keep their highest version, automatic points are keyed by their cause.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from grassroots.contracts.envelope import CloudEvent
from grassroots.contracts.events import REGISTRY
from grassroots.contracts.events import members as member_events
from grassroots.contracts.events import requests as request_events
from grassroots.contracts.streams import MEMBERS, REQUESTS
from grassroots.evaluation.adapters.facts_store import (
    add_counts,
    load_facts,
    lock_requests,
    save_facts,
)
from grassroots.evaluation.adapters.orm import (
    UNIT_MONTH_COUNTS,
    member_activity,
    members,
    point_items,
    request_texts,
    visits,
)
from grassroots.evaluation.domain.facts import RequestFacts, contribution, merge
from grassroots.evaluation.domain.indicators import (
    DEFAULT_RESPONSE_LIMIT_SECONDS,
    count_deltas,
)
from grassroots.evaluation.domain.periods import month_key
from grassroots.evaluation.domain.points import AUTO_POINTS
from grassroots.evaluation.domain.topics import content_words, segment
from grassroots.evaluation.metrics import PROJECTION_LAG
from grassroots.kit.clock import as_utc, utcnow
from grassroots.kit.db import dialect_insert, insert_ignoring
from grassroots.kit.masking import mask_free_text
from grassroots.kit.messaging import BatchConsumerSpec

REQUEST_EVENT_TYPES = [
    m.event_type() for m in REGISTRY.values() if m.DOMAIN == "requests" and m.NAME != "visit_logged"
]
_REQUEST_EVENT_SET = frozenset(REQUEST_EVENT_TYPES)
_WHEN_KEYS = ("occurred_at", "received_at", "due_at")


def _utc(moment: datetime | None) -> datetime | None:
    """Aware UTC (SQLite hands back naive UTC; the facts compare aware instants)."""
    return None if moment is None else as_utc(moment)


def short_name(event_type: str) -> str:
    """`gr.requests.resolved.v1` → `resolved`."""
    return event_type.split(".")[2]


def parse_request_event(event: CloudEvent) -> tuple[str, dict[str, Any]]:
    """Validate a request event against its contract; (short name, its fields).

    The fields are the validated model's own values (no dump copy); times without a zone are
    taken as UTC, aware ones are kept as they are (they compare as instants)."""
    model = REGISTRY[event.type].model_validate(event.data)
    values = dict(model.__dict__)
    for key in _WHEN_KEYS:
        moment = values.get(key)
        if moment is not None and moment.tzinfo is None:
            values[key] = moment.replace(tzinfo=UTC)
    return short_name(event.type), values


async def store_request_facts(
    session: AsyncSession,
    merged: dict[str, RequestFacts],
    points: list[dict[str, Any]],
    response_limit_seconds: int = DEFAULT_RESPONSE_LIMIT_SECONDS,
) -> None:
    """Merge folded facts into the stored ones, move the monthly counts by the difference
    each request's change makes, and record automatic points."""
    if merged:
        await lock_requests(session, merged)
        before = await load_facts(session, list(merged))
        after = {
            rid: facts if rid not in before else merge(before[rid], facts)
            for rid, facts in merged.items()
        }
        deltas = count_deltas(before, after, response_limit_seconds)
        rows = []
        for (unit_id, month), delta in sorted(deltas.items()):
            counts = [getattr(delta, name) for name in UNIT_MONTH_COUNTS]
            if any(counts):
                rows.append((unit_id, month, counts))
        await add_counts(session, rows)
        await save_facts(session, [f for rid, f in after.items() if before.get(rid) != f])
    await _add_points(session, points)


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
        "created_at": as_utc(when),
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
_MEMBER_EVENT_SET = frozenset(MEMBER_EVENT_TYPES)
VISIT_LOGGED = request_events.VisitLogged.event_type()
# Events per transaction at most for the live projection: a backlog is caught up in large
# batches, while a lone event is still applied as soon as it arrives.
PROJECTION_BATCH = 500


class ProjectionBatch:
    """Events folded in memory (request facts merged per request), then stored in one
    transaction; the same effects as applying them one by one, in any order."""

    def __init__(self) -> None:
        self.facts: dict[str, RequestFacts] = {}
        self.points: list[dict[str, Any]] = []
        self.visits: list[CloudEvent] = []
        self.member_events: list[CloudEvent] = []
        self.texts: list[dict[str, Any]] = []
        self.size = 0

    def add(self, event: CloudEvent) -> None:
        """Fold one event in (types this projection does not use are ignored); an event whose
        data breaks its contract raises ValidationError and leaves the batch as it was."""
        if event.type in _REQUEST_EVENT_SET:
            name, data = parse_request_event(event)
            part = contribution(name, data)
            known = self.facts.get(part.request_id)
            self.facts[part.request_id] = part if known is None else merge(known, part)
            if name == "submitted" and data.get("public_description"):
                self.texts.append(
                    {
                        "request_id": part.request_id,
                        "received_unit_id": data["org_unit_id"],
                        "area_code": data["area_code"],
                        "service_code": data["service_code"],
                        "received_month": part.received_month,
                        "example": data["public_description"],
                    }
                )
            if name == "resolved" and data.get("handler_member_id"):
                self.points.append(
                    _auto_point(
                        f"resolved:{data['request_id']}:{data['version']}",
                        data["handler_member_id"],
                        data["org_unit_id"],
                        data["occurred_at"],
                        "request_resolved",
                    )
                )
        elif event.type == VISIT_LOGGED:
            request_events.VisitLogged.model_validate(event.data)
            self.visits.append(event)
        elif event.type in _MEMBER_EVENT_SET:
            REGISTRY[event.type].model_validate(event.data)
            self.member_events.append(event)
        else:
            return
        self.size += 1

    async def store(
        self,
        session: AsyncSession,
        response_limit_seconds: int = DEFAULT_RESPONSE_LIMIT_SECONDS,
    ) -> None:
        """Write the batch's effects in the session's transaction."""
        await store_request_facts(session, self.facts, self.points, response_limit_seconds)
        if self.texts:
            # jieba is CPU work (and loads its dictionary once): off the event loop.
            rows = await asyncio.to_thread(text_rows, self.texts)
            await session.execute(insert_ignoring(session, request_texts, ["request_id"]), rows)
        if self.visits:
            await apply_visits(session, self.visits)
        for event in self.member_events:
            await apply_member_event(session, event)


async def apply_batch(
    session: AsyncSession,
    batch: Sequence[CloudEvent],
    response_limit_seconds: int = DEFAULT_RESPONSE_LIMIT_SECONDS,
) -> None:
    """Apply a batch of events of any kind in the session's transaction."""
    folded = ProjectionBatch()
    for event in batch:
        folded.add(event)
    await folded.store(session, response_limit_seconds)


def text_rows(texts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Request texts with their words segmented, masked once more on the way in."""
    return [
        {
            **text,
            "example": mask_free_text(text["example"]),
            "words": " ".join(sorted(content_words(segment(text["example"])))),
        }
        for text in texts
    ]


def _observe_lag(stream: str, event: CloudEvent | None) -> None:
    if event is not None:
        PROJECTION_LAG.labels(stream).set(max(0.0, (utcnow() - event.time).total_seconds()))


def requests_consumer(
    response_limit_seconds: int = DEFAULT_RESPONSE_LIMIT_SECONDS,
) -> BatchConsumerSpec:
    """The durable consumer projecting the requests stream, a fetched batch per transaction."""

    async def on_batch(session: AsyncSession, events: Sequence[CloudEvent]) -> None:
        await apply_batch(session, events, response_limit_seconds)
        _observe_lag(REQUESTS.name, events[-1] if events else None)

    return BatchConsumerSpec(
        name="requests_projection",
        stream=REQUESTS,
        event_types=frozenset([*REQUEST_EVENT_TYPES, VISIT_LOGGED]),
        handler=on_batch,
        max_batch=PROJECTION_BATCH,
    )


def members_consumer() -> BatchConsumerSpec:
    """The durable consumer projecting members, posts and check-ins."""

    async def on_batch(session: AsyncSession, events: Sequence[CloudEvent]) -> None:
        await apply_batch(session, events)
        _observe_lag(MEMBERS.name, events[-1] if events else None)

    return BatchConsumerSpec(
        name="members_projection",
        stream=MEMBERS,
        event_types=_MEMBER_EVENT_SET,
        handler=on_batch,
    )
