"""The answers of the evaluation service's HTTP API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from fastapi import Response
from pydantic import BaseModel, Field

from grassroots.evaluation.domain.surveys import ANSWERS
from grassroots.evaluation.service.exports import ExportFile
from grassroots.kit.openapi import binary
from grassroots.kit.spreadsheets import XLSX_MEDIA_TYPE

TABLE_FILES = binary("text/csv", XLSX_MEDIA_TYPE)
PICTURES = binary("image/png", "image/svg+xml")


class IndicatorsOut(BaseModel):
    """A unit's indicators in a period, rolled up over its subtree."""

    org_unit_id: str
    name: str
    period: str
    units_included: int
    counts: dict[str, int]
    handling: dict[str, int] = Field(
        default_factory=dict,
        description=(
            "dispatch, return, extension and co-handling events of the period, counted at the "
            "unit each names: dispatched_in, returned, returns_rejected, extensions, "
            "helper_tasks, helper_on_time, helper_scored, helper_score_total"
        ),
    )
    rates: dict[str, float | None]


class SchemeOut(BaseModel):
    """A stored (or built-in) scheme."""

    id: str
    county_area_code: str
    name: str
    version: int
    definition: dict[str, Any]
    created_by: str
    created_at: datetime | None


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


class ReviewOut(BaseModel):
    """A review."""

    id: str
    org_unit_id: str
    period: str
    weights: dict[str, float]
    created_by: str
    created_at: datetime


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


class SurveyOut(BaseModel):
    """A survey as respondents see it."""

    id: str
    org_unit_id: str
    period: str
    title: str
    questions: list[dict[str, str]]
    answers: tuple[str, ...] = ANSWERS


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


class AppealOut(DecisionOut):
    """An appeal: pending, upheld or dismissed."""

    indicator: str
    evidence: str | None
    deadline: date | None = None


def file_answer(file: ExportFile) -> Response:
    """A report as a download."""
    return Response(
        file.content,
        media_type=file.media_type,
        headers={"Content-Disposition": f'attachment; filename="{file.filename}"'},
    )
