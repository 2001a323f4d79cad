"""What the use cases are asked to do: each command checked field by field on the way in."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, field_validator

from grassroots.contracts.area import AreaCode
from grassroots.evaluation.domain.adjustments import APPEALABLE_RATES, EXCLUSION_CATEGORIES
from grassroots.evaluation.domain.indicators import (
    COUNT_FIELDS,
    LOWER_IS_BETTER_RATES,
    WEIGHTABLE_RATES,
)
from grassroots.evaluation.domain.review import DEFAULT_WEIGHTS, PARTS
from grassroots.evaluation.domain.scoring import DEFAULT_MIN_FEEDBACKS, DEFAULT_SCHEME


class DeductionIn(BaseModel):
    """Points off per occurrence of a counted indicator, capped."""

    indicator: str
    points_each: float = Field(ge=0, le=100)
    cap: float = Field(ge=0, le=100)

    @field_validator("indicator")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in COUNT_FIELDS:
            raise ValueError(f"must be one of {', '.join(COUNT_FIELDS)}")
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
        allowed = (*WEIGHTABLE_RATES, "survey_rate")
        worse = sorted(set(value) & set(LOWER_IS_BETTER_RATES))
        if worse:
            raise ValueError(
                f"{', '.join(worse)}: higher is worse for the unit, so it is not weighted; "
                "weight kept_rate, or deduct per returned, returns_rejected or extensions"
            )
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


class PublishIn(BaseModel):
    """Which ranking to freeze."""

    parent: str
    period: str
    scheme: str = DEFAULT_SCHEME
    note: str | None = Field(default=None, max_length=2000, description="why a correction")


class BonusIn(BaseModel):
    """A proposed organisation bonus (奖励加分) for innovative work."""

    org_unit_id: str
    period: str
    points: float = Field(gt=0, le=20)
    reason: str = Field(min_length=2, max_length=2000)
    evidence: str | None = Field(default=None, max_length=4000)


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


class ScoreIn(BaseModel):
    """One part score for one member (0-100); `rater` names a mass rater."""

    member_id: str = Field(min_length=1, max_length=64)
    score: float = Field(ge=0, le=100)
    rater: str | None = Field(default=None, min_length=1, max_length=64)


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


class CodesIn(BaseModel):
    """How many single-use response codes to issue (to print or send by SMS)."""

    count: int = Field(ge=1, le=2000)


class ResponseIn(BaseModel):
    """A public response under one of the survey's single-use response codes."""

    response_code: str = Field(min_length=4, max_length=64)
    answers: dict[str, Literal["satisfied", "basically_satisfied", "unsatisfied"]]


class ExclusionIn(BaseModel):
    """A unit flags one of its requests as unreasonable (不合理诉求), with a reason."""

    request_id: str = Field(min_length=1, max_length=64)
    reason: str = Field(min_length=2, max_length=2000)
    category: Literal[EXCLUSION_CATEGORIES] | None = None  # type: ignore[valid-type]


class AppealIn(BaseModel):
    """A unit appeals (申诉) one request's assessment in one rate, with reason and evidence."""

    request_id: str = Field(min_length=1, max_length=64)
    indicator: Literal[APPEALABLE_RATES]  # type: ignore[valid-type]
    reason: str = Field(min_length=2, max_length=2000)
    evidence: str | None = Field(default=None, max_length=4000)


class DecisionIn(BaseModel):
    """The county's note on its decision."""

    note: str | None = Field(default=None, max_length=2000)


class MarkIn(BaseModel):
    """Which unit and month the topic is the month's topic of."""

    org_unit: str = Field(min_length=1, max_length=64)
    period: str
