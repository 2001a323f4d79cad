"""HTTP routes of the evaluation service: indicators, schemes, rankings, bonus points."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field, field_validator
from sqlalchemy import select, update
from uuid6 import uuid7

from grassroots.contracts.area import AreaCode
from grassroots.evaluation.adapters.orm import bonus_items, schemes
from grassroots.evaluation.domain.indicators import RATE_NAMES, IndicatorCounts
from grassroots.evaluation.domain.scoring import DEFAULT_MIN_FEEDBACKS, DEFAULT_SCHEME
from grassroots.evaluation.entrypoints.common import (
    RulesDep,
    RuntimeDep,
    parse_period,
    scoped_unit,
)
from grassroots.evaluation.entrypoints.exports import router as exports_router
from grassroots.evaluation.entrypoints.fairness import router as fairness_router
from grassroots.evaluation.entrypoints.people import router as people_router
from grassroots.evaluation.entrypoints.topics import router as topics_router
from grassroots.evaluation.service.assessment import adjusted_counts
from grassroots.evaluation.service.indicators import load_tree
from grassroots.evaluation.service.rankings import (
    compute_ranking,
    find_publication,
    publish_ranking,
)
from grassroots.evaluation.service.schemes import builtin_row, county_of, create_scheme
from grassroots.kit.auth import CurrentPrincipal
from grassroots.kit.clock import utcnow
from grassroots.kit.guards import Cadre, OrgAdmin
from grassroots.kit.orgtree import replica_router
from grassroots.kit.paging import Cursor, Limit, Page, decode_cursor, encode_cursor
from grassroots.kit.problems import Conflict, Invalid, NotFound

router = APIRouter()
router.include_router(replica_router())
v1 = APIRouter(prefix="/v1", tags=["evaluation"])

COUNT_NAMES = tuple(IndicatorCounts.__dataclass_fields__)


class IndicatorsOut(BaseModel):
    """A unit's indicators in a period, rolled up over its subtree."""

    org_unit_id: str
    name: str
    period: str
    units_included: int
    counts: dict[str, int]
    rates: dict[str, float | None]


@v1.get("/orgs/{org_unit_id}/indicators", response_model=IndicatorsOut)
async def get_indicators(
    org_unit_id: str,
    principal: CurrentPrincipal,
    runtime: RuntimeDep,
    rules: RulesDep,
    period: Annotated[str, Query(description="YYYY-MM, YYYY-Qn or YYYY")],
) -> IndicatorsOut:
    """Indicators of a unit and everything below it, for requests received in the period
    (approved exclusions and upheld appeals taken out)."""
    parsed = parse_period(period)
    async with runtime.db.read_only() as session:
        unit = await scoped_unit(session, principal, org_unit_id)
        tree = await load_tree(session, unit.area_code)
        counts, rates = (await adjusted_counts(session, tree, [unit.id], parsed, rules))[unit.id]
    return IndicatorsOut(
        org_unit_id=unit.id,
        name=unit.name,
        period=str(parsed),
        units_included=len(tree.subtree(unit.id)),
        counts=counts.as_dict(),
        rates=rates,
    )


class DeductionIn(BaseModel):
    """Points off per occurrence of a counted indicator, capped."""

    indicator: str
    points_each: float = Field(ge=0, le=100)
    cap: float = Field(ge=0, le=100)

    @field_validator("indicator")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in COUNT_NAMES:
            raise ValueError(f"must be one of {', '.join(COUNT_NAMES)}")
        return value


class GradeIn(BaseModel):
    """A grade and the lowest score that reaches it."""

    grade: str = Field(min_length=1, max_length=32)
    min_score: float = Field(ge=0, le=200)


class SchemeIn(BaseModel):
    """A new version of a named scheme for a county."""

    county_area_code: AreaCode
    name: str = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9-]*$")
    weights: dict[str, float]
    bonus_cap: float = Field(default=5.0, ge=0, le=100)
    deductions: list[DeductionIn] = Field(default_factory=list)
    grades: list[GradeIn] = Field(
        default_factory=lambda: [
            GradeIn(grade="excellent", min_score=90),
            GradeIn(grade="good", min_score=80),
            GradeIn(grade="fair", min_score=60),
        ]
    )
    lowest_grade: str = Field(default="poor", min_length=1, max_length=32)
    min_feedbacks: int = Field(default=DEFAULT_MIN_FEEDBACKS, ge=0, le=1000)
    small_sample: Literal["rank_on_other_rates", "list_apart"] = "rank_on_other_rates"

    @field_validator("weights")
    @classmethod
    def _valid_weights(cls, value: dict[str, float]) -> dict[str, float]:
        allowed = (*RATE_NAMES, "survey_rate")
        unknown = sorted(set(value) - set(allowed))
        if unknown:
            raise ValueError(f"unknown indicators {unknown}; use {', '.join(allowed)}")
        if any(w < 0 for w in value.values()) or sum(value.values()) <= 0:
            raise ValueError("weights must be non-negative and not all zero")
        return value

    @field_validator("grades")
    @classmethod
    def _descending(cls, value: list[GradeIn]) -> list[GradeIn]:
        scores = [g.min_score for g in value]
        if scores != sorted(scores, reverse=True):
            raise ValueError("grades must be listed from the highest threshold down")
        return value


class SchemeOut(BaseModel):
    """A stored (or built-in) scheme."""

    id: str
    county_area_code: str
    name: str
    version: int
    definition: dict[str, Any]
    created_by: str
    created_at: datetime | None


@v1.post("/schemes", response_model=SchemeOut, status_code=201)
async def post_scheme(body: SchemeIn, principal: OrgAdmin, runtime: RuntimeDep) -> SchemeOut:
    """Store a new version of a named scheme for a county (organisation department)."""
    if county_of(body.county_area_code) != body.county_area_code:
        raise Invalid("county_area_code", "must be a county's code (last six digits zero)")
    principal.require_area(body.county_area_code)
    definition = body.model_dump(exclude={"county_area_code", "name"})
    async with runtime.db.transaction() as session:
        row = await create_scheme(
            session, body.county_area_code, body.name, definition, principal.sub
        )
    return SchemeOut(**row)


@v1.get("/schemes", response_model=Page[SchemeOut])
async def list_schemes(
    principal: CurrentPrincipal,
    runtime: RuntimeDep,
    county: Annotated[AreaCode, Query(description="county area code")],
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[SchemeOut]:
    """The built-in default and every stored version for a county, by name then version."""
    principal.require_area(county)
    after = decode_cursor(cursor)
    async with runtime.db.read_only() as session:
        rows = [
            dict(r._mapping)
            for r in (
                await session.execute(
                    select(schemes)
                    .where(schemes.c.county_area_code == county)
                    .order_by(schemes.c.name, schemes.c.version)
                )
            ).all()
        ]
    everything = [builtin_row(county), *rows]
    everything.sort(key=lambda r: (r["name"], r["version"]))
    keys = [[r["name"], r["version"]] for r in everything]
    start = keys.index(after) + 1 if after in keys else 0
    page = everything[start : start + limit]
    more = start + limit < len(everything)
    next_cursor = encode_cursor([page[-1]["name"], page[-1]["version"]]) if more else None
    return Page(items=[SchemeOut(**r) for r in page], next_cursor=next_cursor)


@v1.get("/rankings")
async def get_ranking(
    principal: CurrentPrincipal,
    runtime: RuntimeDep,
    rules: RulesDep,
    parent: str,
    period: str,
    scheme: str = DEFAULT_SCHEME,
    version: Annotated[int | None, Query(ge=1, description="a published version")] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> dict[str, Any]:
    """The children of `parent` ranked under a scheme; once published, the newest version
    (or the one asked for) as it was frozen, with what it corrected."""
    parsed = parse_period(period)
    offset = int(decode_cursor(cursor) or 0)
    async with runtime.db.read_only() as session:
        unit = await scoped_unit(session, principal, parent, "parent")
        published = await find_publication(session, unit.id, parsed, scheme, version)
        if version is not None and published is None:
            raise NotFound(f"version: no published version {version} of this ranking")
        if published:
            newest = await find_publication(session, unit.id, parsed, scheme)
            ranking = {
                **published["entries"],
                "published_at": published["published_at"],
                "version": published["version"],
                "latest_version": newest["version"] if newest else published["version"],
                "changes": published["changes"],
                "note": published["note"],
            }
        else:
            ranking = {**await compute_ranking(session, unit, parsed, scheme, rules)}
            ranking.update(
                published_at=None, version=None, latest_version=None, changes=None, note=None
            )
    items = ranking["items"]
    ranking["items"] = items[offset : offset + limit]
    more = offset + limit < len(items)
    ranking["next_cursor"] = encode_cursor(offset + limit) if more else None
    ranking["published"] = ranking["published_at"] is not None
    return ranking


class PublishIn(BaseModel):
    """Which ranking to freeze."""

    parent: str
    period: str
    scheme: str = DEFAULT_SCHEME
    note: str | None = Field(default=None, max_length=2000, description="why a correction")


@v1.post("/rankings/publish", status_code=201)
async def post_publish(
    body: PublishIn, principal: OrgAdmin, runtime: RuntimeDep, rules: RulesDep
) -> dict[str, Any]:
    """Freeze the ranking as published (a later call publishes a corrected version) and emit
    `gr.evaluation.v1.published...`."""
    parsed = parse_period(body.period)
    async with runtime.db.transaction() as session:
        unit = await scoped_unit(session, principal, body.parent, "parent")
        return await publish_ranking(
            session, runtime.outbox, unit, parsed, body.scheme, rules, principal.sub, body.note
        )


class BonusIn(BaseModel):
    """A proposed organisation bonus (奖励加分) for innovative work."""

    org_unit_id: str
    period: str
    points: float = Field(gt=0, le=20)
    reason: str = Field(min_length=2, max_length=2000)
    evidence: str | None = Field(default=None, max_length=4000)


class BonusOut(BaseModel):
    """A bonus item and its decision."""

    id: str
    org_unit_id: str
    period: str
    points: float
    reason: str
    evidence: str | None
    status: Literal["proposed", "approved", "rejected"]
    proposed_by: str
    decided_by: str | None
    created_at: datetime


@v1.post("/bonus", response_model=BonusOut, status_code=201)
async def propose_bonus(body: BonusIn, principal: Cadre, runtime: RuntimeDep) -> BonusOut:
    """Propose bonus points for a unit, with a reason and evidence."""
    parse_period(body.period)
    row = {
        "id": str(uuid7()),
        **body.model_dump(),
        "status": "proposed",
        "proposed_by": principal.sub,
        "decided_by": None,
        "created_at": utcnow(),
    }
    async with runtime.db.transaction() as session:
        await scoped_unit(session, principal, body.org_unit_id)
        await session.execute(bonus_items.insert().values(**row))
    return BonusOut(**row)


@v1.post("/bonus/{bonus_id}/{decision}", response_model=BonusOut)
async def decide_bonus(
    bonus_id: str,
    decision: Literal["approve", "reject"],
    principal: OrgAdmin,
    runtime: RuntimeDep,
) -> BonusOut:
    """The parent unit approves or rejects a proposed bonus (once)."""
    async with runtime.db.transaction() as session:
        row = (
            await session.execute(select(bonus_items).where(bonus_items.c.id == bonus_id))
        ).first()
        if row is None:
            raise NotFound(f"no bonus item {bonus_id}")
        unit = await scoped_unit(session, principal, row.org_unit_id)
        if unit.parent_id is None:
            raise Conflict("a unit without a parent cannot have its bonus approved")
        # The decision belongs to the parent unit: the token must cover the parent's area.
        await scoped_unit(session, principal, unit.parent_id, "parent")
        if row.status != "proposed":
            raise Conflict(f"bonus item is already {row.status}")
        status = "approved" if decision == "approve" else "rejected"
        await session.execute(
            update(bonus_items)
            .where(bonus_items.c.id == bonus_id)
            .values(status=status, decided_by=principal.sub)
        )
        values = {**dict(row._mapping), "status": status, "decided_by": principal.sub}
    return BonusOut(**values)


@v1.get("/bonus", response_model=Page[BonusOut])
async def list_bonus(
    principal: CurrentPrincipal,
    runtime: RuntimeDep,
    org_unit: str,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[BonusOut]:
    """Bonus items of a unit, oldest first."""
    after = decode_cursor(cursor)
    async with runtime.db.read_only() as session:
        await scoped_unit(session, principal, org_unit, "org_unit")
        query = select(bonus_items).where(bonus_items.c.org_unit_id == org_unit)
        if after:
            query = query.where(bonus_items.c.id > str(after))
        rows = (await session.execute(query.order_by(bonus_items.c.id).limit(limit + 1))).all()
    items = [BonusOut(**dict(r._mapping)) for r in rows[:limit]]
    return Page(items=items, next_cursor=encode_cursor(items[-1].id) if len(rows) > limit else None)


router.include_router(v1)
router.include_router(people_router)
router.include_router(exports_router)
router.include_router(fairness_router)
router.include_router(topics_router)
