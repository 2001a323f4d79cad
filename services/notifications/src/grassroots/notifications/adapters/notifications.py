"""SQL of notifications: planning, staff and inbox views, the dispatcher's lease and outcomes."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from grassroots.kit.db import insert_ignoring
from grassroots.kit.tables import outbox as outbox_table
from grassroots.notifications import metrics
from grassroots.notifications.adapters.orm import notifications, sms_sink
from grassroots.notifications.domain.policy import OPEN_STATUSES

DELIVERED = ("sent", "delivered")


def locks_rows(session: AsyncSession) -> bool:
    """Whether the session's database takes row locks (`FOR UPDATE SKIP LOCKED`): not SQLite."""
    return session.get_bind().dialect.name != "sqlite"


async def add_notifications(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Insert notifications, skipping any (cause, recipient, channel) that already exists."""
    if not rows:
        return
    # One cached statement run as executemany: SQLAlchemy batches it into multi-row INSERTs.
    statement = insert_ignoring(session, notifications, ["cause_id", "recipient_id", "channel"])
    await session.execute(statement, list(rows))
    for channel, count in Counter(row["channel"] for row in rows).items():
        metrics.NOTIFICATIONS.labels(channel, "pending").inc(count)


async def list_notifications(
    session: AsyncSession,
    *,
    area_prefix: str,
    request_id: str | None,
    recipient: str | None,
    status: str | None,
    after: str | None,
    limit: int,
) -> list[Any]:
    """Notifications under an area prefix, filtered, by id after `after` (one more than `limit`)."""
    query = select(notifications).where(notifications.c.area_code.startswith(area_prefix))
    if request_id:
        query = query.where(notifications.c.request_id == request_id)
    if recipient:
        query = query.where(notifications.c.recipient_id == recipient)
    if status:
        query = query.where(notifications.c.status == status)
    if after is not None:
        query = query.where(notifications.c.id > after)
    return list((await session.execute(query.order_by(notifications.c.id).limit(limit + 1))).all())


def _inbox_of(recipient_id: str) -> Any:
    return (
        (notifications.c.recipient_id == recipient_id)
        & (notifications.c.channel == "inbox")
        & notifications.c.status.in_(DELIVERED)
    )


async def list_inbox(
    session: AsyncSession, recipient_id: str, *, unread: bool, before: str | None, limit: int
) -> list[Any]:
    """A recipient's delivered inbox messages, newest first (one more than `limit`)."""
    query = select(notifications).where(_inbox_of(recipient_id))
    if unread:
        query = query.where(notifications.c.read_at.is_(None))
    if before is not None:
        query = query.where(notifications.c.id < before)
    query = query.order_by(notifications.c.id.desc()).limit(limit + 1)
    return list((await session.execute(query)).all())


async def get_inbox_message(
    session: AsyncSession, recipient_id: str, notification_id: str
) -> Any | None:
    """One delivered inbox message of the recipient, or None."""
    mine = _inbox_of(recipient_id) & (notifications.c.id == notification_id)
    return (await session.execute(select(notifications).where(mine))).first()


async def set_read(
    session: AsyncSession, recipient_id: str, notification_id: str, read_at: datetime
) -> None:
    """Record when the recipient read one of their inbox messages."""
    mine = _inbox_of(recipient_id) & (notifications.c.id == notification_id)
    await session.execute(update(notifications).where(mine).values(read_at=read_at))


async def broadcast_progress(session: AsyncSession, cause_id: str) -> dict[str, int]:
    """Notifications of one cause by status."""
    rows = (
        await session.execute(
            select(notifications.c.status, func.count())
            .where(notifications.c.cause_id == cause_id)
            .group_by(notifications.c.status)
        )
    ).all()
    return {str(r[0]): int(r[1]) for r in rows}


async def lease_due(
    session: AsyncSession, now: datetime, *, limit: int, area_prefix: str, lease_seconds: float
) -> list[Any]:
    """Claim up to `limit` due notifications: their due time moves `lease_seconds` ahead."""
    query = (
        select(notifications)
        .where(
            notifications.c.status.in_(OPEN_STATUSES),
            notifications.c.next_attempt_at <= now,
        )
        .order_by(notifications.c.next_attempt_at)
        .limit(limit)
    )
    if area_prefix:
        query = query.where(notifications.c.area_code.startswith(area_prefix))
    if locks_rows(session):
        query = query.with_for_update(skip_locked=True)
    rows = list((await session.execute(query)).all())
    if rows:
        await session.execute(
            update(notifications)
            .where(notifications.c.id.in_([r.id for r in rows]))
            .values(next_attempt_at=now + timedelta(seconds=lease_seconds))
        )
    return rows


async def oldest_due_created_at(session: AsyncSession, now: datetime) -> datetime | None:
    """When the oldest due, unsent notification was created."""
    oldest: datetime | None = await session.scalar(
        select(func.min(notifications.c.created_at)).where(
            notifications.c.status.in_(OPEN_STATUSES),
            notifications.c.next_attempt_at <= now,
        )
    )
    return oldest


async def sent_counts(
    session: AsyncSession, recipients: set[str], channels: Sequence[str], since: datetime
) -> dict[tuple[str, str], int]:
    """Messages sent since `since` per (recipient, channel) on the given channels."""
    if not recipients:
        return {}
    counted = (
        await session.execute(
            select(notifications.c.recipient_id, notifications.c.channel, func.count())
            .where(
                notifications.c.recipient_id.in_(recipients),
                notifications.c.channel.in_(channels),
                notifications.c.sent_at >= since,
            )
            .group_by(notifications.c.recipient_id, notifications.c.channel)
        )
    ).all()
    return {(r[0], r[1]): int(r[2]) for r in counted}


_OUTCOME = (
    update(notifications)
    .where(notifications.c.id == bindparam("_id"))
    .values(
        status=bindparam("_status"),
        attempts=bindparam("_attempts"),
        next_attempt_at=bindparam("_next"),
        last_error=bindparam("_error"),
        subject=bindparam("_subject"),
        body=bindparam("_body"),
        sent_at=bindparam("_sent_at"),
    )
)


async def save_outcomes(
    session: AsyncSession, outcomes: list[dict[str, Any]], events: list[dict[str, Any]]
) -> None:
    """Write delivery outcomes (keys `_id`, `_status`, ...) and their outbox rows."""
    if outcomes:
        await session.execute(_OUTCOME, outcomes)
    if events:
        await session.execute(insert(outbox_table), events)


async def add_sink_messages(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Record messages the development SMS sink received."""
    await session.execute(sms_sink.insert(), rows)


async def list_sink_messages(
    session: AsyncSession, area_prefix: str, before: int | None, limit: int
) -> list[Any]:
    """Sink messages of notifications under the prefix, newest first (one more than `limit`)."""
    sent = notifications.c.area_code.startswith(area_prefix)
    if not area_prefix:
        sent = sent | notifications.c.id.is_(None)  # messages of no notification: root only
    query = (
        select(sms_sink)
        .select_from(sms_sink.outerjoin(notifications, notifications.c.id == sms_sink.c.reference))
        .where(sent)
    )
    if before is not None:
        query = query.where(sms_sink.c.id < before)
    query = query.order_by(sms_sink.c.id.desc()).limit(limit + 1)
    return list((await session.execute(query)).all())
