"""Three-way review (民主评议): self, masses, organisation and work unit score each member."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from uuid6 import uuid7

from grassroots.evaluation.adapters.items import review_store
from grassroots.evaluation.adapters.people import add_score, review_scores_of
from grassroots.evaluation.domain.review import MemberParts, review_results
from grassroots.evaluation.service.access import parse_period, scoped_unit
from grassroots.evaluation.service.commands import ReviewIn, ScoreIn
from grassroots.evaluation.service.deps import Deps
from grassroots.kit.auth import Principal
from grassroots.kit.clock import utcnow
from grassroots.kit.db import AsyncSession
from grassroots.kit.paging import decode_cursor, encode_cursor
from grassroots.kit.problems import Conflict, Forbidden, NotFound

TIE_RULE = (
    "At most one third of the reviewed members (rounded down) keep excellent, highest totals "
    "first; equal totals are ordered by the organisation's score, then the masses' average, "
    "then member_id ascending; those beyond the third are graded qualified."
)


async def open_review(
    session: AsyncSession, deps: Deps, principal: Principal, command: ReviewIn
) -> dict[str, Any]:
    """Open the review (民主评议) of a unit for a period; one per unit and period."""
    principal.require_role("cadre")
    parse_period(command.period)
    row = {
        "id": str(uuid7()),
        **command.model_dump(),
        "created_by": principal.sub,
        "created_at": utcnow(),
    }
    await scoped_unit(session, principal, command.org_unit_id)
    if not await review_store.add(session, row):
        raise Conflict(f"a review of {command.org_unit_id} for {command.period} exists")
    return row


async def list_reviews(
    session: AsyncSession,
    deps: Deps,
    principal: Principal,
    org_unit: str,
    limit: int,
    cursor: str | None,
) -> dict[str, Any]:
    """The reviews of a unit, oldest first (the unit inside the caller's subtree)."""
    after = decode_cursor(cursor)
    await scoped_unit(session, principal, org_unit, "org_unit")
    items, more = await review_store.page(
        session, after=str(after) if after else None, limit=limit, org_unit_id=org_unit
    )
    return {"items": items, "next_cursor": encode_cursor(items[-1]["id"]) if more else None}


async def _review(session: AsyncSession, principal: Principal, review_id: str) -> dict[str, Any]:
    row = await review_store.get(session, review_id)
    if row is None:
        raise NotFound(f"no evaluation {review_id}")
    await scoped_unit(session, principal, row["org_unit_id"])
    return row


async def submit_score(
    session: AsyncSession,
    deps: Deps,
    principal: Principal,
    review_id: str,
    part: str,
    command: ScoreIn,
) -> dict[str, Any]:
    """Record one part: self by the member, mass once per rater, org and unit once each."""
    if part == "self":
        if principal.sub != command.member_id and not principal.at_least("cadre"):
            raise Forbidden("a member scores only themself")
        rater = command.member_id
    elif part == "mass":
        rater = command.rater or principal.sub
    else:
        principal.require_role("cadre")
        rater = ""  # one organisation score and one work-unit score per member
    row = {
        "review_id": review_id,
        "member_id": command.member_id,
        "part": part,
        "rater": rater,
        "score": command.score,
        "created_at": utcnow(),
    }
    await _review(session, principal, review_id)
    if not await add_score(session, row):
        who = "this rater" if part == "mass" else "this member"
        raise Conflict(f"the {part} score of {who} is already recorded")
    return {k: row[k] for k in ("review_id", "member_id", "part", "score")}


async def review_result_rows(
    session: AsyncSession, review_id: str, weights: dict[str, float]
) -> list[dict[str, Any]]:
    """Every reviewed member's parts, total and grade (one-third cap applied)."""
    by_member: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for member_id, part, score in await review_scores_of(session, review_id):
        by_member[member_id][part].append(score)
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


async def review_outcome(
    session: AsyncSession, deps: Deps, principal: Principal, review_id: str
) -> dict[str, Any]:
    """Totals (missing parts re-weighted) and grades, with the one-third cap applied."""
    review = await _review(session, principal, review_id)
    items = await review_result_rows(session, review_id, dict(review["weights"]))
    return {
        "id": review["id"],
        "org_unit_id": review["org_unit_id"],
        "period": review["period"],
        "weights": review["weights"],
        "excellent_cap": len([i for i in items if i["total"] is not None]) // 3,
        "tie_rule": TIE_RULE,
        "items": items,
    }
