"""Projection of request and member events into the evaluation read models.

Every write is an upsert whose result does not depend on delivery order or repetition:
request facts are merged (see domain/facts.py), visits and activities are keyed by their own
ids, members keep their highest version, automatic points are keyed by their cause, and
dispatch, return, extension and co-handling events are recorded once by request and version
(domain/handling.py), moving the monthly counts only on their first delivery.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from grassroots.contracts.envelope import CloudEvent
from grassroots.contracts.events import REGISTRY
from grassroots.contracts.events import members as member_events
from grassroots.contracts.events import requests as request_events
from grassroots.evaluation.adapters.facts_store import (
    add_counts,
    load_facts,
    lock_requests,
    save_facts,
)
from grassroots.evaluation.adapters.handling import add_handling_counts, record_new
from grassroots.evaluation.adapters.orm import UNIT_MONTH_COUNTS
from grassroots.evaluation.adapters.projection import (
    add_activity,
    add_auto_points,
    add_texts,
    add_visits,
    ensure_member,
    move_member,
    update_profile,
)
from grassroots.evaluation.domain.facts import RequestFacts, contribution, merge
from grassroots.evaluation.domain.handling import HandlingEvent, handling_counts, handling_event
from grassroots.evaluation.domain.indicators import (
    DEFAULT_RESPONSE_LIMIT_SECONDS,
    HANDLING_COUNT_FIELDS,
    count_deltas,
)
from grassroots.evaluation.domain.periods import month_key
from grassroots.evaluation.domain.points import AUTO_POINTS
from grassroots.evaluation.domain.topics import content_words, segment
from grassroots.kit.clock import as_utc
from grassroots.kit.db import AsyncSession
from grassroots.kit.masking import mask_free_text

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
    await add_auto_points(session, points)


async def store_handling(session: AsyncSession, events: Iterable[HandlingEvent]) -> None:
    """Record dispatch, return, extension and co-handling events and move their units'
    monthly counts by the events not recorded before (a redelivered one moves nothing)."""
    events = list(events)
    if not events:
        return
    new = await record_new(session, events)
    counted = handling_counts(e for e in events if e.key in new)
    rows = []
    for (unit_id, month), counts in sorted(counted.items()):
        rows.append((unit_id, month, {n: getattr(counts, n) for n in HANDLING_COUNT_FIELDS}))
    await add_handling_counts(session, rows)


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
    await add_visits(session, rows)
    await add_auto_points(session, points)


async def apply_member_event(session: AsyncSession, event: CloudEvent) -> None:
    """Keep members (highest version wins), claimed posts and check-ins."""
    if event.type in (
        member_events.MemberRegistered.event_type(),
        member_events.MemberUpdated.event_type(),
    ):
        data = member_events.MemberUpdated.model_validate(event.data)
        await ensure_member(session, data.member_id, data.org_unit_id)
        await update_profile(
            session,
            data.member_id,
            stage=data.stage,
            in_service=data.in_service,
            duties=sorted(data.duties),
            version=data.version,
        )
        await move_member(session, data.member_id, data.org_unit_id, data.version)
        return
    if event.type == member_events.MemberTransferred.event_type():
        moved = member_events.MemberTransferred.model_validate(event.data)
        await ensure_member(session, moved.member_id, moved.org_unit_id)
        await move_member(session, moved.member_id, moved.org_unit_id, moved.version)
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
    await add_activity(
        session,
        {
            "event_id": event.id,
            "kind": kind,
            "member_id": member_id,
            "org_unit_id": unit,
            "occurred_at": at,
            "month": month_key(at),
        },
    )
    cause = "post_claimed" if kind == "post" else "checked_in"
    await add_auto_points(session, [_auto_point(f"{kind}:{event.id}", member_id, unit, at, cause)])


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


class ProjectionBatch:
    """Events folded in memory (request facts merged per request), then stored in one
    transaction; the same effects as applying them one by one, in any order."""

    def __init__(self) -> None:
        self.facts: dict[str, RequestFacts] = {}
        self.points: list[dict[str, Any]] = []
        self.visits: list[CloudEvent] = []
        self.member_events: list[CloudEvent] = []
        self.texts: list[dict[str, Any]] = []
        # Dispatch, return, extension and co-handling events that count, by key.
        self.handling: dict[str, HandlingEvent] = {}
        self.size = 0

    def add(self, event: CloudEvent) -> None:
        """Fold one event in (types this projection does not use are ignored); an event whose
        data breaks its contract raises ValidationError and leaves the batch as it was."""
        if event.type in _REQUEST_EVENT_SET:
            name, data = parse_request_event(event)
            part = contribution(name, data)
            known = self.facts.get(part.request_id)
            self.facts[part.request_id] = part if known is None else merge(known, part)
            handled = handling_event(name, data)
            if handled is not None:
                self.handling[handled.key] = handled
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
        await store_handling(session, self.handling.values())
        if self.texts:
            # jieba is CPU work (and loads its dictionary once): off the event loop.
            await add_texts(session, await asyncio.to_thread(text_rows, self.texts))
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
