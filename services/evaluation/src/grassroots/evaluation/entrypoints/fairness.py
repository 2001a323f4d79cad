"""HTTP routes of fairness: exclusions, appeals, and the requests behind each count."""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from grassroots.evaluation.adapters.orm import appeals, exclusions
from grassroots.evaluation.adapters.render import MEDIA_TYPES, to_csv, to_xlsx
from grassroots.evaluation.adapters.workdays import is_workday
from grassroots.evaluation.domain.adjustments import APPEALABLE_RATES, EXCLUSION_CATEGORIES
from grassroots.evaluation.entrypoints.common import (
    RulesDep,
    RuntimeDep,
    SettingsDep,
    parse_period,
    scoped_unit,
)
from grassroots.evaluation.service.fairness import (
    attribution,
    decide,
    propose_appeal,
    propose_exclusion,
)
from grassroots.evaluation.service.indicators import load_tree
from grassroots.kit.auth import CurrentPrincipal
from grassroots.kit.guards import Cadre, OrgAdmin
from grassroots.kit.openapi import binary
from grassroots.kit.paging import Cursor, Limit, decode_cursor, encode_cursor
from grassroots.kit.spreadsheets import XLSX_MEDIA_TYPE

router = APIRouter(prefix="/v1", tags=["fairness"])


class ExclusionIn(BaseModel):
    """A unit flags one of its requests as unreasonable (不合理诉求), with a reason."""

    request_id: str = Field(min_length=1, max_length=64)
    reason: str = Field(min_length=2, max_length=2000)
    category: Literal[EXCLUSION_CATEGORIES] | None = None  # type: ignore[valid-type]


class DecisionOut(BaseModel):
    """An exclusion or appeal and its decision."""

    id: str
    request_id: str
    org_unit_id: str
    reason: str
    status: str
    proposed_by: str
    created_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    decision_note: str | None


class ExclusionOut(DecisionOut):
    """An exclusion: pending, approved or rejected."""

    category: str | None


class AppealIn(BaseModel):
    """A unit appeals (申诉) one request's assessment in one rate, with reason and evidence."""

    request_id: str = Field(min_length=1, max_length=64)
    indicator: Literal[APPEALABLE_RATES]  # type: ignore[valid-type]
    reason: str = Field(min_length=2, max_length=2000)
    evidence: str | None = Field(default=None, max_length=4000)


class AppealOut(DecisionOut):
    """An appeal: pending, upheld or dismissed."""

    indicator: str
    evidence: str | None
    deadline: date | None = None


class DecisionIn(BaseModel):
    """The county's note on its decision."""

    note: str | None = Field(default=None, max_length=2000)


@router.post("/exclusions", response_model=ExclusionOut, status_code=201)
async def post_exclusion(body: ExclusionIn, principal: Cadre, runtime: RuntimeDep) -> ExclusionOut:
    """Flag a request as unreasonable; it leaves the unit's rates once the county approves."""
    async with runtime.db.transaction() as session:
        row = await propose_exclusion(
            session, principal, body.request_id, body.reason, body.category
        )
    return ExclusionOut(**row)


@router.post("/exclusions/{exclusion_id}/{decision}", response_model=ExclusionOut)
async def decide_exclusion(
    exclusion_id: str,
    decision: Literal["approve", "reject"],
    principal: OrgAdmin,
    runtime: RuntimeDep,
    body: DecisionIn | None = None,
) -> ExclusionOut:
    """The county approves or rejects an exclusion (once)."""
    async with runtime.db.transaction() as session:
        row = await decide(
            session, principal, exclusions, exclusion_id, decision, body.note if body else None
        )
    return ExclusionOut(**row)


@router.post("/appeals", response_model=AppealOut, status_code=201)
async def post_appeal(
    body: AppealIn, principal: Cadre, runtime: RuntimeDep, settings: SettingsDep
) -> AppealOut:
    """Appeal one request's assessment within the window after its period (409 when closed)."""
    async with runtime.db.transaction() as session:
        row = await propose_appeal(
            session,
            principal,
            body.request_id,
            body.indicator,
            body.reason,
            body.evidence,
            settings.evaluation_appeal_window_workdays,
            is_workday,
        )
    return AppealOut(**row)


@router.post("/appeals/{appeal_id}/{decision}", response_model=AppealOut)
async def decide_appeal(
    appeal_id: str,
    decision: Literal["uphold", "dismiss"],
    principal: OrgAdmin,
    runtime: RuntimeDep,
    body: DecisionIn | None = None,
) -> AppealOut:
    """The county upholds (the request leaves that rate) or dismisses an appeal (once)."""
    async with runtime.db.transaction() as session:
        row = await decide(
            session, principal, appeals, appeal_id, decision, body.note if body else None
        )
    return AppealOut(**row)


@router.get("/orgs/{org_unit_id}/attribution")
async def get_attribution(
    org_unit_id: str,
    principal: CurrentPrincipal,
    runtime: RuntimeDep,
    rules: RulesDep,
    period: Annotated[str, Query(description="YYYY-MM, YYYY-Qn or YYYY")],
    limit: Limit = 50,
    cursor: Cursor = None,
) -> dict[str, Any]:
    """Each request received by the unit's subtree in the period and what it counts in."""
    parsed = parse_period(period)
    after = decode_cursor(cursor)
    async with runtime.db.read_only() as session:
        unit = await scoped_unit(session, principal, org_unit_id)
        tree = await load_tree(session, unit.area_code)
        items, more = await attribution(
            session,
            tree,
            unit.id,
            parsed,
            rules.response_limit_seconds,
            after=str(after) if after else None,
            limit=limit,
        )
    return {
        "org_unit_id": unit.id,
        "period": str(parsed),
        "items": items,
        "next_cursor": encode_cursor(items[-1]["request_id"]) if more else None,
    }


ATTRIBUTION_COLUMNS = (
    "诉求编号",
    "受理单位",
    "受理时间",
    "计入指标",
    "是否剔除",
    "剔除决定人",
    "申诉撤出指标",
)


@router.get(
    "/orgs/{org_unit_id}/attribution/export",
    response_class=Response,
    responses=binary("text/csv", XLSX_MEDIA_TYPE),
)
async def export_attribution(
    org_unit_id: str,
    principal: CurrentPrincipal,
    runtime: RuntimeDep,
    rules: RulesDep,
    period: str,
    format: Literal["csv", "xlsx"] = "csv",
) -> Response:
    """The attribution as a spreadsheet, one row per request, headers in Chinese."""
    parsed = parse_period(period)
    async with runtime.db.read_only() as session:
        unit = await scoped_unit(session, principal, org_unit_id)
        tree = await load_tree(session, unit.area_code)
        items, _ = await attribution(session, tree, unit.id, parsed, rules.response_limit_seconds)
    rows = [attribution_row(item, tree) for item in items]
    stem = f"attribution-{unit.area_code}-{parsed}"
    content = (
        await asyncio.to_thread(to_xlsx, str(parsed), ATTRIBUTION_COLUMNS, rows)
        if format == "xlsx"
        else to_csv(ATTRIBUTION_COLUMNS, rows)
    )
    return Response(
        content,
        media_type=MEDIA_TYPES[format],
        headers={"Content-Disposition": f'attachment; filename="{stem}.{format}"'},
    )


def attribution_row(item: dict[str, Any], tree: Any) -> list[Any]:
    """One attribution item as a spreadsheet row."""
    unit = tree.units.get(item["org_unit_id"])
    exclusion = item["exclusion"] or {}
    return [
        item["request_id"],
        unit.name if unit else item["org_unit_id"],
        item["received_at"].isoformat() if item["received_at"] else "",
        " ".join(item["counted_in"]),
        "是" if item["excluded"] else "否",
        exclusion.get("decided_by") or "" if item["excluded"] else "",
        " ".join(item["removed_from"]),
    ]
