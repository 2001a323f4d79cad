"""Weighted schemes: score from rates, bonus and deduction items, grades, and rankings."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from grassroots.evaluation.domain.indicators import IndicatorCounts

DEFAULT_SCHEME = "three-rates"
DEFAULT_MIN_FEEDBACKS = 5
# How a unit under the minimum sample is placed: ranked on its other rates, or listed apart.
SmallSample = Literal["rank_on_other_rates", "list_apart"]


@dataclass(frozen=True)
class Deduction:
    """Points taken off per occurrence of a counted indicator (e.g. each escalation), capped."""

    indicator: str
    points_each: float
    cap: float


@dataclass(frozen=True)
class Scheme:
    """A named, versioned scheme: rate weights, bonus cap, deductions and grade thresholds."""

    name: str
    version: int
    weights: Mapping[str, float]
    bonus_cap: float = 5.0
    deductions: Sequence[Deduction] = ()
    # (grade, lowest score), highest first; below the last one is the final grade.
    grades: Sequence[tuple[str, float]] = (("excellent", 90.0), ("good", 80.0), ("fair", 60.0))
    lowest_grade: str = "poor"
    # Fewer feedbacks than this and the satisfaction rate says nothing about the unit.
    min_feedbacks: int = DEFAULT_MIN_FEEDBACKS
    small_sample: SmallSample = "rank_on_other_rates"


THREE_RATES = Scheme(
    name=DEFAULT_SCHEME,
    version=1,
    weights={"response_rate": 0.1, "resolution_rate": 0.5, "satisfaction_rate": 0.4},
)


@dataclass(frozen=True)
class Score:
    """A unit's score under a scheme, or why it has none."""

    status: str  # "scored" | "insufficient_sample" | "no_requests"
    score: float | None
    base: float | None = None
    bonus: float = 0.0
    deduction: float = 0.0
    grade: str | None = None
    used_weights: Mapping[str, float] = field(default_factory=dict)


def weighted_score(rates: Mapping[str, float | None], weights: Mapping[str, float]) -> float | None:
    """100 × Σ wᵢ rᵢ / Σ wᵢ over the rates that exist: missing parts are re-weighted, not zeroed."""
    present = {k: w for k, w in weights.items() if w > 0 and rates.get(k) is not None}
    total = sum(present.values())
    if total == 0:
        return None
    return 100.0 * sum(w * float(rates[k] or 0.0) for k, w in present.items()) / total


def grade_for(score: float, scheme: Scheme) -> str:
    """The grade of a score: the first threshold it reaches."""
    for grade, lowest in scheme.grades:
        if score >= lowest:
            return grade
    return scheme.lowest_grade


def score_unit(
    counts: IndicatorCounts,
    scheme: Scheme,
    *,
    bonus_points: float = 0.0,
    extra_rates: Mapping[str, float | None] | None = None,
    rates: Mapping[str, float | None] | None = None,
) -> Score:
    """Score one unit; a unit that received no requests is reported as such, not as zero.

    Under the scheme's minimum of feedbacks the satisfaction rate is left out (re-weighted),
    so no unit is placed first or last on a handful of answers; the status says so.
    """
    if counts.received == 0:
        return Score(status="no_requests", score=None)
    rates = {**(counts.rates() if rates is None else rates), **(extra_rates or {})}
    insufficient = (
        scheme.weights.get("satisfaction_rate", 0) > 0
        and counts.feedback_count < scheme.min_feedbacks
    )
    if insufficient:
        rates["satisfaction_rate"] = None
    base = weighted_score(rates, scheme.weights)
    if base is None:
        return Score(status="no_requests", score=None)
    bonus = min(max(bonus_points, 0.0), scheme.bonus_cap)
    deduction = 0.0
    for item in scheme.deductions:
        occurrences = float(getattr(counts, item.indicator, 0))
        deduction += min(item.points_each * occurrences, item.cap)
    score = round(max(0.0, base + bonus - deduction), 2)
    used = {k: w for k, w in scheme.weights.items() if w > 0 and rates.get(k) is not None}
    return Score(
        status="insufficient_sample" if insufficient else "scored",
        score=score,
        base=round(base, 4),
        bonus=bonus,
        deduction=round(deduction, 4),
        grade=grade_for(score, scheme),
        used_weights=used,
    )


@dataclass(frozen=True)
class RankInput:
    """What ranking needs of one unit."""

    org_unit_id: str
    score: Score
    resolution_rate: float | None = None
    satisfaction_rate: float | None = None
    received: int = 0
    # False for a unit listed apart (under the minimum sample, when the scheme says so).
    ranked: bool = True


def rank_units(units: Sequence[RankInput]) -> list[tuple[RankInput, int | None]]:
    """Order units and give ranks 1..n; units listed apart, then unscored ones, come last.

    Tie rule: equal scores are ordered by higher resolution rate, then higher satisfaction
    rate, then more requests received, then org_unit_id ascending; every unit gets its own rank.
    """

    def key(u: RankInput) -> tuple[float, float, float, int, str]:
        return (
            -(u.score.score or 0.0),
            -(u.resolution_rate or 0.0),
            -(u.satisfaction_rate or 0.0),
            -u.received,
            u.org_unit_id,
        )

    scored = sorted((u for u in units if u.score.score is not None and u.ranked), key=key)
    apart = sorted((u for u in units if u.score.score is not None and not u.ranked), key=key)
    unscored = sorted((u for u in units if u.score.score is None), key=lambda u: u.org_unit_id)
    return [(u, i + 1) for i, u in enumerate(scored)] + [(u, None) for u in (*apart, *unscored)]
