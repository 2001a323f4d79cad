"""Use cases about people: three-way review, points, surveys and pay."""

from __future__ import annotations

import hashlib
import secrets
from collections import defaultdict
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from grassroots.evaluation.adapters.orm import (
    members,
    point_items,
    review_scores,
    survey_codes,
    survey_responses,
    surveys,
)
from grassroots.evaluation.domain.periods import Period, PeriodError
from grassroots.evaluation.domain.points import stars, total_points
from grassroots.evaluation.domain.review import MemberParts, review_results
from grassroots.evaluation.domain.surveys import overall_rate, question_results
from grassroots.evaluation.service.indicators import Tree
from grassroots.kit.clock import utcnow
from grassroots.kit.problems import Conflict, Forbidden

# Codes people type from paper or an SMS: no 0/O, 1/I/L look-alikes.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 10  # about 49 bits: guessing one of a few thousand live codes is hopeless


def code_hash(survey_id: str, code: str) -> str:
    """Response codes are kept only as hashes bound to their survey."""
    normalised = code.strip().upper().replace("-", "")
    return hashlib.sha256(f"{survey_id}:{normalised}".encode()).hexdigest()


async def issue_response_codes(
    session: AsyncSession, survey_id: str, count: int, actor: str
) -> list[str]:
    """Create `count` fresh single-use codes for a survey and return them (once)."""
    now = utcnow()
    codes = [
        "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH)) for _ in range(count)
    ]
    await session.execute(
        insert(survey_codes),
        [
            {
                "survey_id": survey_id,
                "code_hash": code_hash(survey_id, code),
                "issued_by": actor,
                "issued_at": now,
                "used_at": None,
            }
            for code in codes
        ],
    )
    return codes


async def record_response(
    session: AsyncSession, survey_id: str, code: str, answers: dict[str, str]
) -> None:
    """Spend a code on one response: 403 for a code the survey never issued, 409 when spent."""
    hashed = code_hash(survey_id, code)
    now = utcnow()
    spent = await session.execute(
        update(survey_codes)
        .where(
            survey_codes.c.survey_id == survey_id,
            survey_codes.c.code_hash == hashed,
            survey_codes.c.used_at.is_(None),
        )
        .values(used_at=now)
    )
    if spent.rowcount != 1:  # type: ignore[attr-defined]
        issued = await session.scalar(
            select(func.count()).where(
                survey_codes.c.survey_id == survey_id, survey_codes.c.code_hash == hashed
            )
        )
        if not issued:
            raise Forbidden("response_code: not a code this survey issued")
        raise Conflict("this response code has already been used")
    await session.execute(
        insert(survey_responses).values(
            survey_id=survey_id, respondent_key=hashed, answers=answers, created_at=now
        )
    )


async def review_result_rows(
    session: AsyncSession, review_id: str, weights: dict[str, float]
) -> list[dict[str, Any]]:
    """Every reviewed member's parts, total and grade (one-third cap applied)."""
    rows = (
        await session.execute(
            select(
                review_scores.c.member_id,
                review_scores.c.part,
                review_scores.c.score,
            ).where(review_scores.c.review_id == review_id)
        )
    ).all()
    by_member: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for member_id, part, score in rows:
        by_member[member_id][part].append(float(score))
    parts = [
        MemberParts(
            member_id=member_id,
            self_score=scores["self"][0] if scores.get("self") else None,
            mass_scores=tuple(scores.get("mass", ())),
            org_score=scores["org"][0] if scores.get("org") else None,
            unit_score=scores["unit"][0] if scores.get("unit") else None,
        )
        for member_id, scores in by_member.items()
    ]
    return [
        {
            "member_id": r.member_id,
            "parts": dict(r.parts),
            "mass_raters": len(by_member[r.member_id].get("mass", ())),
            "total": r.total,
            "grade": r.grade,
            "capped": r.capped,
        }
        for r in review_results(parts, weights)
    ]


async def leaderboard(
    session: AsyncSession, tree: Tree, root_id: str, period: Period, base: float
) -> list[dict[str, Any]]:
    """Members of a subtree by points in the period: base plus approved items; stars."""
    unit_ids = tree.subtree(root_id)
    known = dict(
        (
            await session.execute(
                select(members.c.member_id, members.c.org_unit_id).where(
                    members.c.org_unit_id.in_(unit_ids)
                )
            )
        ).all()
    )
    item_rows = (
        await session.execute(
            select(
                point_items.c.member_id,
                func.min(point_items.c.org_unit_id),
                func.sum(point_items.c.points),
                func.count(),
            )
            .where(
                point_items.c.org_unit_id.in_(unit_ids),
                point_items.c.month.in_(period.months),
                point_items.c.status == "approved",
            )
            .group_by(point_items.c.member_id)
        )
    ).all()
    earned = {m: (unit, float(points), int(n)) for m, unit, points, n in item_rows}
    board = []
    for member_id in sorted(set(known) | set(earned)):
        unit, points, count = earned.get(member_id, (known.get(member_id), 0.0, 0))
        total = total_points(base, [points])
        board.append(
            {
                "member_id": member_id,
                "org_unit_id": known.get(member_id, unit),
                "base": base,
                "items": count,
                "points": total,
                "stars": stars(total),
            }
        )
    board.sort(key=lambda e: (-e["points"], e["member_id"]))
    for rank, entry in enumerate(board, start=1):
        entry["rank"] = rank
    return board


async def survey_results(session: AsyncSession, survey: Any) -> dict[str, Any]:
    """Per-question answer counts and satisfaction, and the survey's overall rate."""
    answers = (
        await session.execute(
            select(survey_responses.c.answers).where(survey_responses.c.survey_id == survey.id)
        )
    ).scalars()
    codes = [q["code"] for q in survey.questions]
    per_question = question_results(codes, list(answers))
    respondents = await session.scalar(
        select(func.count()).where(survey_responses.c.survey_id == survey.id)
    )
    return {
        "survey_id": survey.id,
        "org_unit_id": survey.org_unit_id,
        "period": survey.period,
        "respondents": int(respondents or 0),
        "questions": per_question,
        "satisfaction_rate": overall_rate(per_question),
    }


async def survey_rates(
    session: AsyncSession, tree: Tree, roots: list[str], period: Period
) -> dict[str, float | None]:
    """Survey satisfaction per root over the surveys of its subtree inside the period."""
    owner = {u: root for root in roots for u in tree.subtree(root)}
    rows = (
        await session.execute(
            select(
                surveys.c.id, surveys.c.org_unit_id, surveys.c.period, surveys.c.questions
            ).where(surveys.c.org_unit_id.in_(list(owner)))
        )
    ).all()
    inside = []
    for row in rows:
        try:
            if set(Period.parse(row.period).months) <= set(period.months):
                inside.append(row)
        except PeriodError:
            continue
    tallies: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in inside:
        results = await survey_results(session, row)
        tallies[owner[row.org_unit_id]].append(results["questions"])
    out: dict[str, float | None] = {}
    for root in roots:
        merged: dict[str, dict[str, Any]] = {}
        for i, per_question in enumerate(tallies.get(root, [])):
            for code, tally in per_question.items():
                merged[f"{i}:{code}"] = tally
        out[root] = overall_rate(merged) if merged else None
    return out
