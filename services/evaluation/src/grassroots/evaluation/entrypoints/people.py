"""HTTP routes about people: three-way review, points, surveys and pay."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field, field_validator
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from uuid6 import uuid7

from grassroots.evaluation.adapters.orm import (
    members,
    point_items,
    review_scores,
    reviews,
    surveys,
)
from grassroots.evaluation.domain.pay import split_pay
from grassroots.evaluation.domain.periods import month_key
from grassroots.evaluation.domain.review import DEFAULT_WEIGHTS, PARTS
from grassroots.evaluation.domain.scoring import DEFAULT_SCHEME
from grassroots.evaluation.domain.surveys import ANSWERS
from grassroots.evaluation.entrypoints.common import (
    RulesDep,
    RuntimeDep,
    SettingsDep,
    parse_period,
    scoped_unit,
)
from grassroots.evaluation.service.assessment import assess_units
from grassroots.evaluation.service.indicators import load_tree
from grassroots.evaluation.service.people import (
    issue_response_codes,
    leaderboard,
    record_response,
    review_result_rows,
    survey_results,
)
from grassroots.evaluation.service.schemes import county_of, find_scheme
from grassroots.kit.auth import CurrentPrincipal, Principal
from grassroots.kit.clock import utcnow
from grassroots.kit.guards import Cadre, OrgAdmin, viewers_may_call
from grassroots.kit.paging import Cursor, Limit, Page, decode_cursor, encode_cursor
from grassroots.kit.problems import Conflict, Forbidden, Invalid, NotFound

router = APIRouter(prefix="/v1", tags=["review, points, surveys, pay"])

TIE_RULE = (
    "At most one third of the reviewed members (rounded down) keep excellent, highest totals "
    "first; equal totals are ordered by the organisation's score, then the masses' average, "
    "then member_id ascending; those beyond the third are graded qualified."
)


class ReviewIn(BaseModel):
    """Open a three-way review of a unit's members for a period."""

    org_unit_id: str
    period: str
    weights: dict[str, float] = Field(default_factory=lambda: dict(DEFAULT_WEIGHTS))

    @field_validator("weights")
    @classmethod
    def _parts(cls, value: dict[str, float]) -> dict[str, float]:
        unknown = sorted(set(value) - set(PARTS))
        if unknown:
            raise ValueError(f"unknown parts {unknown}; use {', '.join(PARTS)}")
        if any(w < 0 for w in value.values()) or sum(value.values()) <= 0:
            raise ValueError("weights must be non-negative and not all zero")
        return value


class ReviewOut(BaseModel):
    """A review."""

    id: str
    org_unit_id: str
    period: str
    weights: dict[str, float]
    created_by: str
    created_at: datetime


class ScoreIn(BaseModel):
    """One part score for one member (0-100); `rater` names a mass rater."""

    member_id: str = Field(min_length=1, max_length=64)
    score: float = Field(ge=0, le=100)
    rater: str | None = Field(default=None, min_length=1, max_length=64)


@router.post("/evaluations", response_model=ReviewOut, status_code=201)
async def open_review(body: ReviewIn, principal: Cadre, runtime: RuntimeDep) -> ReviewOut:
    """Open the review (民主评议) of a unit for a period; one per unit and period."""
    parse_period(body.period)
    row = {
        "id": str(uuid7()),
        **body.model_dump(),
        "created_by": principal.sub,
        "created_at": utcnow(),
    }
    try:
        async with runtime.db.transaction() as session:
            await scoped_unit(session, principal, body.org_unit_id)
            await session.execute(insert(reviews).values(**row))
    except IntegrityError as exc:
        raise Conflict(f"a review of {body.org_unit_id} for {body.period} exists") from exc
    return ReviewOut(**row)


async def _review(session: Any, principal: Principal, review_id: str) -> Any:
    row = (await session.execute(select(reviews).where(reviews.c.id == review_id))).first()
    if row is None:
        raise NotFound(f"no evaluation {review_id}")
    await scoped_unit(session, principal, row.org_unit_id)
    return row


async def scorer(
    part: Literal["self", "mass", "org", "unit"], principal: CurrentPrincipal
) -> Principal:
    """The caller; an organisation or work-unit score needs a cadre (403 before the body)."""
    if part in ("org", "unit"):
        principal.require_role("cadre")
    return principal


# Mass raters score with a viewer's token.
@router.post(
    "/evaluations/{review_id}/{part}", status_code=201, dependencies=[Depends(viewers_may_call)]
)
async def submit_score(
    review_id: str,
    part: Literal["self", "mass", "org", "unit"],
    body: ScoreIn,
    principal: Annotated[Principal, Depends(scorer)],
    runtime: RuntimeDep,
) -> dict[str, Any]:
    """Record one part: self by the member, mass once per rater, org and unit once each."""
    if part == "self":
        if principal.sub != body.member_id and not principal.at_least("cadre"):
            raise Forbidden("a member scores only themself")
        rater = body.member_id
    elif part == "mass":
        rater = body.rater or principal.sub
    else:
        rater = ""  # one organisation score and one work-unit score per member
    row = {
        "review_id": review_id,
        "member_id": body.member_id,
        "part": part,
        "rater": rater,
        "score": body.score,
        "created_at": utcnow(),
    }
    try:
        async with runtime.db.transaction() as session:
            await _review(session, principal, review_id)
            await session.execute(insert(review_scores).values(**row))
    except IntegrityError as exc:
        who = "this rater" if part == "mass" else "this member"
        raise Conflict(f"the {part} score of {who} is already recorded") from exc
    return {k: row[k] for k in ("review_id", "member_id", "part", "score")}


@router.get("/evaluations/{review_id}/results")
async def get_review_results(
    review_id: str, principal: CurrentPrincipal, runtime: RuntimeDep
) -> dict[str, Any]:
    """Totals (missing parts re-weighted) and grades, with the one-third cap applied."""
    async with runtime.db.read_only() as session:
        review = await _review(session, principal, review_id)
        items = await review_result_rows(session, review_id, dict(review.weights))
    return {
        "id": review.id,
        "org_unit_id": review.org_unit_id,
        "period": review.period,
        "weights": review.weights,
        "excellent_cap": len([i for i in items if i["total"] is not None]) // 3,
        "tie_rule": TIE_RULE,
        "items": items,
    }


class PointsIn(BaseModel):
    """A points item entered with a reason; it counts once approved."""

    member_id: str = Field(min_length=1, max_length=64)
    org_unit_id: str
    points: float = Field(ge=-50, le=50)
    reason: str = Field(min_length=2, max_length=2000)
    month: str | None = Field(default=None, pattern=r"^\d{4}-(0[1-9]|1[0-2])$")

    @field_validator("points")
    @classmethod
    def _not_zero(cls, value: float) -> float:
        if value == 0:
            raise ValueError("must not be zero")
        return value


class PointsOut(BaseModel):
    """A points item."""

    id: str
    member_id: str
    org_unit_id: str
    month: str
    points: float
    reason: str
    source: str
    status: str
    proposed_by: str | None
    decided_by: str | None
    created_at: datetime


@router.post("/points", response_model=PointsOut, status_code=201)
async def propose_points(body: PointsIn, principal: Cadre, runtime: RuntimeDep) -> PointsOut:
    """Enter a bonus or deduction item for a member; an approver must confirm it."""
    now = utcnow()
    row = {
        "id": str(uuid7()),
        **body.model_dump(exclude={"month"}),
        "month": body.month or month_key(now),
        "source": "manual",
        "status": "proposed",
        "proposed_by": principal.sub,
        "decided_by": None,
        "created_at": now,
    }
    async with runtime.db.transaction() as session:
        await scoped_unit(session, principal, body.org_unit_id)
        await session.execute(insert(point_items).values(**row))
    return PointsOut(**row)


@router.post("/points/{item_id}/{decision}", response_model=PointsOut)
async def decide_points(
    item_id: str,
    decision: Literal["approve", "reject"],
    principal: OrgAdmin,
    runtime: RuntimeDep,
) -> PointsOut:
    """Approve or reject an entered item; the proposer cannot approve their own."""
    async with runtime.db.transaction() as session:
        row = (
            await session.execute(select(point_items).where(point_items.c.id == item_id))
        ).first()
        if row is None:
            raise NotFound(f"no points item {item_id}")
        await scoped_unit(session, principal, row.org_unit_id)
        if row.status != "proposed":
            raise Conflict(f"points item is already {row.status}")
        if row.proposed_by == principal.sub:
            raise Forbidden("the proposer cannot approve their own item")
        status = "approved" if decision == "approve" else "rejected"
        await session.execute(
            update(point_items)
            .where(point_items.c.id == item_id)
            .values(status=status, decided_by=principal.sub)
        )
    return PointsOut(**{**dict(row._mapping), "status": status, "decided_by": principal.sub})


@router.get("/points", response_model=Page[PointsOut])
async def list_points(
    principal: CurrentPrincipal,
    runtime: RuntimeDep,
    org_unit: str,
    member_id: str | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[PointsOut]:
    """Points items of a unit (optionally one member), by id."""
    after = decode_cursor(cursor)
    async with runtime.db.read_only() as session:
        await scoped_unit(session, principal, org_unit, "org_unit")
        query = select(point_items).where(point_items.c.org_unit_id == org_unit)
        if member_id:
            query = query.where(point_items.c.member_id == member_id)
        if after:
            query = query.where(point_items.c.id > str(after))
        rows = (await session.execute(query.order_by(point_items.c.id).limit(limit + 1))).all()
    items = [PointsOut(**dict(r._mapping)) for r in rows[:limit]]
    return Page(items=items, next_cursor=encode_cursor(items[-1].id) if len(rows) > limit else None)


@router.get("/points/leaderboard")
async def get_leaderboard(
    principal: CurrentPrincipal,
    runtime: RuntimeDep,
    settings: SettingsDep,
    org_unit: str,
    period: str,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> dict[str, Any]:
    """Members of a subtree by points in the period (base + approved items), with stars."""
    parsed = parse_period(period)
    offset = int(decode_cursor(cursor) or 0)
    async with runtime.db.read_only() as session:
        unit = await scoped_unit(session, principal, org_unit, "org_unit")
        tree = await load_tree(session, unit.area_code)
        board = await leaderboard(session, tree, unit.id, parsed, settings.evaluation_base_points)
    more = offset + limit < len(board)
    return {
        "org_unit_id": unit.id,
        "period": str(parsed),
        "items": board[offset : offset + limit],
        "next_cursor": encode_cursor(offset + limit) if more else None,
    }


class QuestionIn(BaseModel):
    """One survey question, answered satisfied / basically_satisfied / unsatisfied."""

    code: str = Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_-]+$")
    text: str = Field(min_length=1, max_length=500)


class SurveyIn(BaseModel):
    """A satisfaction survey of an organisation or office."""

    org_unit_id: str
    period: str
    title: str = Field(min_length=1, max_length=200)
    questions: list[QuestionIn] = Field(min_length=1, max_length=50)

    @field_validator("questions")
    @classmethod
    def _unique_codes(cls, value: list[QuestionIn]) -> list[QuestionIn]:
        codes = [q.code for q in value]
        if len(set(codes)) != len(codes):
            raise ValueError("question codes must be unique")
        return value


class SurveyOut(BaseModel):
    """A survey as respondents see it."""

    id: str
    org_unit_id: str
    period: str
    title: str
    questions: list[dict[str, str]]
    answers: tuple[str, ...] = ANSWERS


@router.post("/surveys", response_model=SurveyOut, status_code=201)
async def create_survey(body: SurveyIn, principal: Cadre, runtime: RuntimeDep) -> SurveyOut:
    """Create a survey (千人千企评机关)."""
    parse_period(body.period)
    row = {
        "id": str(uuid7()),
        "org_unit_id": body.org_unit_id,
        "period": body.period,
        "title": body.title,
        "questions": [q.model_dump() for q in body.questions],
        "created_by": principal.sub,
        "created_at": utcnow(),
    }
    async with runtime.db.transaction() as session:
        await scoped_unit(session, principal, body.org_unit_id)
        await session.execute(insert(surveys).values(**row))
    return SurveyOut(**row)


async def _survey(session: Any, survey_id: str) -> Any:
    row = (await session.execute(select(surveys).where(surveys.c.id == survey_id))).first()
    if row is None:
        raise NotFound(f"no survey {survey_id}")
    return row


@router.get("/surveys/{survey_id}", response_model=SurveyOut)
async def get_survey(survey_id: str, runtime: RuntimeDep) -> SurveyOut:
    """A survey's questions (public: respondents need no token)."""
    async with runtime.db.read_only() as session:
        row = await _survey(session, survey_id)
    return SurveyOut(
        **{k: getattr(row, k) for k in ("id", "org_unit_id", "period", "title", "questions")}
    )


class CodesIn(BaseModel):
    """How many single-use response codes to issue (to print or send by SMS)."""

    count: int = Field(ge=1, le=2000)


@router.post("/surveys/{survey_id}/codes", status_code=201)
async def issue_codes(
    survey_id: str, body: CodesIn, principal: Cadre, runtime: RuntimeDep
) -> dict[str, Any]:
    """Issue single-use response codes; they are shown once and kept only as hashes."""
    async with runtime.db.transaction() as session:
        survey = await _survey(session, survey_id)
        await scoped_unit(session, principal, survey.org_unit_id)
        codes = await issue_response_codes(session, survey_id, body.count, principal.sub)
    return {"survey_id": survey_id, "codes": codes}


class ResponseIn(BaseModel):
    """A public response under one of the survey's single-use response codes."""

    response_code: str = Field(min_length=4, max_length=64)
    answers: dict[str, Literal["satisfied", "basically_satisfied", "unsatisfied"]]


@router.post("/surveys/{survey_id}/responses", status_code=201)
async def respond(survey_id: str, body: ResponseIn, runtime: RuntimeDep) -> dict[str, str]:
    """Answer a survey (public) with a code it issued: one answer per code, a made-up code 403."""
    async with runtime.db.transaction() as session:
        survey = await _survey(session, survey_id)
        codes = {q["code"] for q in survey.questions}
        unknown = sorted(set(body.answers) - codes)
        if unknown:
            raise Invalid("answers", f"unknown questions {unknown}")
        if not body.answers:
            raise Invalid("answers", "answer at least one question")
        await record_response(session, survey_id, body.response_code, dict(body.answers))
    return {"status": "recorded"}


@router.get("/surveys/{survey_id}/results")
async def get_survey_results(
    survey_id: str, principal: CurrentPrincipal, runtime: RuntimeDep
) -> dict[str, Any]:
    """Answers per question and the survey's satisfaction rate."""
    async with runtime.db.read_only() as session:
        survey = await _survey(session, survey_id)
        await scoped_unit(session, principal, survey.org_unit_id)
        return await survey_results(session, survey)


@router.get("/pay")
async def get_pay(
    principal: Cadre,
    runtime: RuntimeDep,
    settings: SettingsDep,
    rules: RulesDep,
    org_unit: str,
    period: str,
    scheme: Annotated[str, Query()] = DEFAULT_SCHEME,
    subsidy_per_year: Annotated[float | None, Query(ge=0)] = None,
    base_share: Annotated[float | None, Query(ge=0, le=1)] = None,
) -> dict[str, Any]:
    """Village cadres' pay: base share and a performance share scaled by the unit's score."""
    parsed = parse_period(period)
    yearly = (
        settings.evaluation_cadre_subsidy_per_year if subsidy_per_year is None else subsidy_per_year
    )
    share = settings.evaluation_pay_base_share if base_share is None else base_share
    async with runtime.db.read_only() as session:
        unit = await scoped_unit(session, principal, org_unit, "org_unit")
        tree = await load_tree(session, unit.area_code)
        chosen = await find_scheme(session, county_of(unit.area_code), scheme)
        # The same assessment as the ranking (bonus, exclusions, appeals), so pay agrees with it.
        assessed = (await assess_units(session, tree, [unit.id], parsed, chosen, rules))[unit.id]
        cadres = (
            await session.execute(
                select(members.c.member_id, members.c.duties)
                .where(members.c.org_unit_id == unit.id)
                .order_by(members.c.member_id)
            )
        ).all()
    score = assessed.score
    subsidy = yearly * parsed.fraction_of_year
    split = split_pay(subsidy, score.score, share)
    paid_duties = set(settings.evaluation_pay_duties)
    items = [
        {"member_id": member_id, "duties": duties, **split.__dict__}
        for member_id, duties in cadres
        if paid_duties & set(duties)
    ]
    return {
        "org_unit_id": unit.id,
        "period": str(parsed),
        "scheme": chosen.name,
        "score": score.score,
        "score_status": score.status,
        "base_share": share,
        "subsidy_per_year": yearly,
        "items": items,
    }
