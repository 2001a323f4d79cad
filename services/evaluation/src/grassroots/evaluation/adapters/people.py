"""Members, review scores, points and survey answers as the people use cases read them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from grassroots.evaluation.adapters.items import insert_new
from grassroots.evaluation.adapters.orm import (
    members,
    point_items,
    review_scores,
    survey_codes,
    survey_responses,
    surveys,
)


async def add_score(session: AsyncSession, row: dict[str, Any]) -> bool:
    """Record one part score; False when that part of that rater is already recorded."""
    return await insert_new(session, review_scores, row)


async def review_scores_of(session: AsyncSession, review_id: str) -> list[tuple[str, str, float]]:
    """(member, part, score) of every score of a review."""
    rows = await session.execute(
        select(review_scores.c.member_id, review_scores.c.part, review_scores.c.score).where(
            review_scores.c.review_id == review_id
        )
    )
    return [(m, p, float(s)) for m, p, s in rows.all()]


async def member_units(session: AsyncSession, unit_ids: list[str]) -> dict[str, str]:
    """The unit of every replicated member of these units."""
    rows = await session.execute(
        select(members.c.member_id, members.c.org_unit_id).where(
            members.c.org_unit_id.in_(unit_ids)
        )
    )
    return dict(rows.all())  # type: ignore[arg-type]


async def members_with_duties(session: AsyncSession, unit_id: str) -> list[tuple[str, list[str]]]:
    """(member, duties) of the unit's members, by member id."""
    rows = await session.execute(
        select(members.c.member_id, members.c.duties)
        .where(members.c.org_unit_id == unit_id)
        .order_by(members.c.member_id)
    )
    return [(m, list(d)) for m, d in rows.all()]


async def approved_points(
    session: AsyncSession, unit_ids: list[str], months: list[str]
) -> dict[str, tuple[str, float, int]]:
    """Per member: (a unit, the sum, how many) of the approved points items in those months."""
    rows = await session.execute(
        select(
            point_items.c.member_id,
            func.min(point_items.c.org_unit_id),
            func.sum(point_items.c.points),
            func.count(),
        )
        .where(
            point_items.c.org_unit_id.in_(unit_ids),
            point_items.c.month.in_(months),
            point_items.c.status == "approved",
        )
        .group_by(point_items.c.member_id)
    )
    return {m: (unit, float(points), int(n)) for m, unit, points, n in rows.all()}


async def add_codes(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Store issued response codes (their hashes)."""
    await session.execute(insert(survey_codes), rows)


async def spend_code(session: AsyncSession, survey_id: str, hashed: str, when: Any) -> bool:
    """Mark an unused code spent; False when no unused code of the survey has that hash."""
    spent = await session.execute(
        update(survey_codes)
        .where(
            survey_codes.c.survey_id == survey_id,
            survey_codes.c.code_hash == hashed,
            survey_codes.c.used_at.is_(None),
        )
        .values(used_at=when)
    )
    return bool(spent.rowcount == 1)  # type: ignore[attr-defined]


async def code_issued(session: AsyncSession, survey_id: str, hashed: str) -> bool:
    """Whether the survey ever issued a code with this hash."""
    issued = await session.scalar(
        select(func.count()).where(
            survey_codes.c.survey_id == survey_id, survey_codes.c.code_hash == hashed
        )
    )
    return bool(issued)


async def add_response(session: AsyncSession, row: dict[str, Any]) -> None:
    """Store one survey response."""
    await session.execute(insert(survey_responses).values(**row))


async def survey_answers(session: AsyncSession, survey_id: str) -> tuple[list[Any], int]:
    """The answers given to a survey and how many respondents gave them."""
    answers = (
        await session.execute(
            select(survey_responses.c.answers).where(survey_responses.c.survey_id == survey_id)
        )
    ).scalars()
    given = list(answers)
    respondents = await session.scalar(
        select(func.count()).where(survey_responses.c.survey_id == survey_id)
    )
    return given, int(respondents or 0)


async def surveys_of(session: AsyncSession, unit_ids: list[str]) -> list[dict[str, Any]]:
    """The surveys of these units."""
    rows = await session.execute(
        select(surveys.c.id, surveys.c.org_unit_id, surveys.c.period, surveys.c.questions).where(
            surveys.c.org_unit_id.in_(unit_ids)
        )
    )
    return [dict(r._mapping) for r in rows.all()]
