"""The month's recurring problems of a county or township, and the topic it follows."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from grassroots.evaluation.adapters.orm import request_texts, topic_marks
from grassroots.evaluation.domain.periods import Period
from grassroots.evaluation.domain.topics import Topic, TopicRequest, TopicRules, find_topics
from grassroots.evaluation.service.indicators import Tree
from grassroots.kit.clock import utcnow
from grassroots.kit.problems import Conflict, NotFound

TREND_MONTHS = 3
FOLLOWED_MONTHS = 12


def earlier_months(month: str, count: int) -> list[str]:
    """The `count` months before `month` (YYYY-MM), oldest first."""
    year, number = int(month[:4]), int(month[5:])
    out = []
    for _ in range(count):
        year, number = (year - 1, 12) if number == 1 else (year, number - 1)
        out.append(f"{year}-{number:02d}")
    return out[::-1]


async def _texts(
    session: AsyncSession, unit_ids: list[str], months: list[str]
) -> dict[str, list[TopicRequest]]:
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


def _shown(topic: Topic, tree: Tree, month: str, marked_id: str | None) -> dict[str, Any]:
    names = {u.area_code: u.name for u in tree.units.values()}
    return {
        "id": topic.id,
        "title": topic.title,
        "keywords": topic.keywords,
        "service_code": topic.service_code,
        "size": topic.size,
        "villages": [{"area_code": v, "name": names.get(v)} for v in topic.villages],
        "examples": topic.examples,
        "trend": [*topic.trend, {"period": month, "size": topic.size}],
        "marked": topic.id == marked_id,
    }


async def _marks(session: AsyncSession, unit_id: str) -> list[Any]:
    return list(
        (
            await session.execute(
                select(topic_marks)
                .where(topic_marks.c.org_unit_id == unit_id)
                .order_by(topic_marks.c.period)
            )
        ).all()
    )


async def month_topics(
    session: AsyncSession, tree: Tree, root_id: str, period: Period, rules: TopicRules
) -> dict[str, Any]:
    """Recurring problems of the month under `root_id`, the marked one, and those followed."""
    month = period.months[0]
    before = earlier_months(month, TREND_MONTHS)
    texts = await _texts(session, tree.subtree(root_id), [*before, month])
    topics = find_topics(month, texts.get(month, []), {m: texts.get(m, []) for m in before}, rules)
    marks = await _marks(session, root_id)
    current = next((m for m in marks if m.period == month), None)
    followed = []
    this_month = texts.get(month, [])
    for mark in marks:
        if mark.period >= month or mark.period < earlier_months(month, FOLLOWED_MONTHS)[0]:
            continue
        keywords = set(mark.keywords[:3])
        # Still there: this month's requests sharing two of its three strongest words.
        still = sum(len(keywords & d.words) >= min(2, len(keywords)) for d in this_month)
        followed.append(
            {
                "period": mark.period,
                "topic_id": mark.topic_id,
                "title": mark.title,
                "size_then": mark.size,
                "size_now": still,
            }
        )
    return {
        "org_unit_id": root_id,
        "period": month,
        "requests": len(this_month),
        "month_topic": None
        if current is None
        else {"topic_id": current.topic_id, "title": current.title, "marked_by": current.marked_by},
        "followed": followed,
        "items": [_shown(t, tree, month, current.topic_id if current else None) for t in topics],
        "next_cursor": None,
    }


async def mark_topic(
    session: AsyncSession,
    tree: Tree,
    root_id: str,
    period: Period,
    topic_id: str,
    rules: TopicRules,
    actor: str,
) -> dict[str, Any]:
    """Make one of the month's topics the month's topic (每月一题); once per unit and month."""
    found = await month_topics(session, tree, root_id, period, rules)
    topic = next((t for t in found["items"] if t["id"] == topic_id), None)
    if topic is None:
        raise NotFound(f"no topic {topic_id} in {period} under {root_id}")
    row = {
        "org_unit_id": root_id,
        "period": str(period),
        "topic_id": topic_id,
        "title": topic["title"],
        "keywords": topic["keywords"],
        "service_code": topic["service_code"],
        "size": topic["size"],
        "marked_by": actor,
        "marked_at": utcnow(),
    }
    try:
        async with session.begin_nested():
            await session.execute(insert(topic_marks).values(**row))
    except IntegrityError as exc:
        raise Conflict(f"{period} already has its topic under {root_id}") from exc
    return {**topic, "marked": True, "marked_by": actor}
