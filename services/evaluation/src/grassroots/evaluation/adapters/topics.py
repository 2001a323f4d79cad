"""Request texts (segmented once) and the month's topics units marked."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from grassroots.evaluation.adapters.items import insert_new
from grassroots.evaluation.adapters.orm import request_texts, topic_marks
from grassroots.evaluation.domain.topics import TopicRequest


async def texts_by_month(
    session: AsyncSession, unit_ids: list[str], months: list[str]
) -> dict[str, list[TopicRequest]]:
    """The texts of the requests received by these units, per month."""
    t = request_texts.c
    rows = await session.execute(
        select(
            t.request_id, t.words, t.service_code, t.area_code, t.example, t.received_month
        ).where(t.received_unit_id.in_(unit_ids), t.received_month.in_(months))
    )
    out: dict[str, list[TopicRequest]] = defaultdict(list)
    for rid, words, service, area, example, month in rows.all():
        out[month].append(TopicRequest(rid, frozenset(words.split()), service, area, example))
    return out


async def marks_of(session: AsyncSession, unit_id: str) -> list[dict[str, Any]]:
    """The unit's marked topics, by period."""
    rows = await session.execute(
        select(topic_marks)
        .where(topic_marks.c.org_unit_id == unit_id)
        .order_by(topic_marks.c.period)
    )
    return [dict(r._mapping) for r in rows.all()]


async def add_mark(session: AsyncSession, row: dict[str, Any]) -> bool:
    """Store a month's topic; False when the unit's month already has one."""
    return await insert_new(session, topic_marks, row)
