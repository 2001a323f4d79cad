"""The month's recurring problems of a county or township, and the topic it follows."""

from __future__ import annotations

from typing import Any

from grassroots.evaluation.adapters.topics import add_mark, marks_of, texts_by_month
from grassroots.evaluation.adapters.units import load_tree
from grassroots.evaluation.domain.periods import Period
from grassroots.evaluation.domain.topics import Topic, TopicRules, find_topics
from grassroots.evaluation.domain.tree import Tree
from grassroots.evaluation.service.access import parse_period, scoped_unit
from grassroots.evaluation.service.commands import MarkIn
from grassroots.evaluation.service.deps import Deps
from grassroots.kit.auth import Principal
from grassroots.kit.clock import utcnow
from grassroots.kit.db import AsyncSession
from grassroots.kit.problems import Conflict, Invalid, NotFound

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


async def month_topics(
    session: AsyncSession, tree: Tree, root_id: str, period: Period, rules: TopicRules
) -> dict[str, Any]:
    """Recurring problems of the month under `root_id`, the marked one, and those followed."""
    month = period.months[0]
    before = earlier_months(month, TREND_MONTHS)
    texts = await texts_by_month(session, tree.subtree(root_id), [*before, month])
    topics = find_topics(month, texts.get(month, []), {m: texts.get(m, []) for m in before}, rules)
    marks = await marks_of(session, root_id)
    current = next((m for m in marks if m["period"] == month), None)
    followed = []
    this_month = texts.get(month, [])
    for mark in marks:
        if mark["period"] >= month or mark["period"] < earlier_months(month, FOLLOWED_MONTHS)[0]:
            continue
        keywords = set(mark["keywords"][:3])
        # Still there: this month's requests sharing two of its three strongest words.
        still = sum(len(keywords & d.words) >= min(2, len(keywords)) for d in this_month)
        followed.append(
            {
                "period": mark["period"],
                "topic_id": mark["topic_id"],
                "title": mark["title"],
                "size_then": mark["size"],
                "size_now": still,
            }
        )
    return {
        "org_unit_id": root_id,
        "period": month,
        "requests": len(this_month),
        "month_topic": None
        if current is None
        else {
            "topic_id": current["topic_id"],
            "title": current["title"],
            "marked_by": current["marked_by"],
        },
        "followed": followed,
        "items": [_shown(t, tree, month, current["topic_id"] if current else None) for t in topics],
        "next_cursor": None,
    }


def _month(text: str) -> Period:
    period = parse_period(text)
    if len(period.months) != 1:
        raise Invalid("period", "topics are found per month: YYYY-MM")
    return period


async def show_topics(
    session: AsyncSession, deps: Deps, principal: Principal, org_unit: str, period: str
) -> dict[str, Any]:
    """Groups of similar requests across the unit's villages in the month, largest first."""
    month = _month(period)
    unit = await scoped_unit(session, principal, org_unit, "org_unit")
    tree = await load_tree(session, unit.area_code)
    return await month_topics(session, tree, unit.id, month, deps.topic_rules)


async def mark_topic(
    session: AsyncSession, deps: Deps, principal: Principal, topic_id: str, command: MarkIn
) -> dict[str, Any]:
    """Make one of the month's topics the month's topic (每月一题); once per unit and month."""
    principal.require_role("org_admin")
    period = _month(command.period)
    unit = await scoped_unit(session, principal, command.org_unit, "org_unit")
    tree = await load_tree(session, unit.area_code)
    root_id = unit.id
    found = await month_topics(session, tree, root_id, period, deps.topic_rules)
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
        "marked_by": principal.sub,
        "marked_at": utcnow(),
    }
    if not await add_mark(session, row):
        raise Conflict(f"{period} already has its topic under {root_id}")
    return {**topic, "marked": True, "marked_by": principal.sub}
