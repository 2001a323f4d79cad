"""Broadcasts (党内信息发布): fan a notice out to every member of a subtree, in batches."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from contextlib import suppress
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from grassroots.contracts.area import area_prefix
from grassroots.kit.db import Database
from grassroots.kit.tables import org_units
from grassroots.notifications.adapters.orm import broadcasts, members, notifications
from grassroots.notifications.service.store import (
    add_notifications,
    load_preferences,
    new_id,
    notification_row,
)

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


def broadcast_cause(broadcast_id: str) -> str:
    """The cause id every notification of a broadcast shares."""
    return f"b:{broadcast_id}"


async def create_broadcast(
    session: AsyncSession,
    *,
    org_unit_id: str,
    area_code: str,
    title: str,
    body: str,
    channels: list[str],
    created_by: str,
    now: datetime,
) -> str:
    """Record a broadcast; the broadcaster fans it out."""
    broadcast_id = new_id()
    await session.execute(
        broadcasts.insert().values(
            id=broadcast_id,
            org_unit_id=org_unit_id,
            area_code=area_code,
            title=title,
            body=body,
            channels=channels,
            status="running",
            cursor=None,
            recipients=0,
            created_by=created_by,
            created_at=now,
            finished_at=None,
        )
    )
    return broadcast_id


async def broadcast_progress(session: AsyncSession, broadcast_id: str) -> dict[str, int]:
    """Notifications of a broadcast by status."""
    rows = (
        await session.execute(
            select(notifications.c.status, func.count())
            .where(notifications.c.cause_id == broadcast_cause(broadcast_id))
            .group_by(notifications.c.status)
        )
    ).all()
    return {str(r[0]): int(r[1]) for r in rows}


class Broadcaster:
    """Walks running broadcasts batch by batch; the cursor survives restarts."""

    def __init__(self, db: Database, clock: Clock, batch_size: int, poll_seconds: float) -> None:
        self.db = db
        self.clock = clock
        self.batch_size = batch_size
        self.poll_seconds = poll_seconds
        self._wake = asyncio.Event()

    async def _idle(self, seconds: float) -> None:
        """Wait for a wake-up or `seconds`.

        Not `asyncio.wait_for`: on Python 3.11 it can swallow a cancellation that arrives as
        the event fires, and the wake-up fires on every commit, so a stop could be lost.
        """
        self._wake.clear()
        with suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._wake.wait()
        task = asyncio.current_task()
        if task is not None and task.cancelling():
            raise asyncio.CancelledError

    def wake(self) -> None:
        """A broadcast was created."""
        self._wake.set()

    async def run(self) -> None:
        """Fan out until cancelled."""
        while True:
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                raise asyncio.CancelledError
            try:
                worked = await self.fan_out_batch()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("broadcaster: batch failed, will retry", exc_info=True)
                worked = False
                await asyncio.sleep(1.0)
            if not worked:
                await self._idle(self.poll_seconds)

    async def fan_out_batch(self) -> bool:
        """Create one batch of notifications for the oldest running broadcast; False when idle."""
        query = (
            select(broadcasts)
            .where(broadcasts.c.status == "running")
            .order_by(broadcasts.c.created_at)
            .limit(1)
        )
        if not self.db.is_sqlite:
            query = query.with_for_update(skip_locked=True)
        async with self.db.transaction() as session:
            found = (await session.execute(query)).first()
            if found is None:
                return False
            await self._batch(session, found)
        return True

    async def _batch(self, session: AsyncSession, broadcast: Any) -> None:
        prefix = area_prefix(broadcast.area_code)
        query = (
            select(members.c.member_id, org_units.c.area_code)
            .join(org_units, org_units.c.id == members.c.org_unit_id)
            .where(members.c.active.is_(True), org_units.c.area_code.startswith(prefix))
            .order_by(members.c.member_id)
            .limit(self.batch_size)
        )
        if broadcast.cursor:
            query = query.where(members.c.member_id > broadcast.cursor)
        batch = (await session.execute(query)).all()
        now = self.clock()
        recipients = [f"member:{m.member_id}" for m in batch]
        prefs = await load_preferences(session, recipients)
        context = {"title": broadcast.title, "body": broadcast.body}
        rows = []
        for member, recipient in zip(batch, recipients, strict=True):
            opted_out = prefs[recipient].opted_out if recipient in prefs else frozenset()
            for channel in broadcast.channels:
                if channel in opted_out:
                    continue
                rows.append(
                    notification_row(
                        cause_id=broadcast_cause(broadcast.id),
                        recipient_id=recipient,
                        recipient_kind="member",
                        channel=channel,
                        rule="broadcast",
                        template_key="broadcast",
                        context=context,
                        area_code=member.area_code,
                        now=now,
                        broadcast_id=broadcast.id,
                    )
                )
        await add_notifications(session, rows)
        values: dict[str, Any] = {"recipients": broadcast.recipients + len(batch)}
        if batch:
            values["cursor"] = batch[-1].member_id
        if len(batch) < self.batch_size:
            values["status"] = "done"
            values["finished_at"] = now
        await session.execute(
            update(broadcasts).where(broadcasts.c.id == broadcast.id).values(**values)
        )
