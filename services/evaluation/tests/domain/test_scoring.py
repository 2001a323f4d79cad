"""Scheme scoring, re-weighting, bonus and deductions, grades, rankings, pay, points, surveys."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from grassroots.evaluation.domain.indicators import IndicatorCounts
from grassroots.evaluation.domain.pay import split_pay
from grassroots.evaluation.domain.points import stars, total_points
from grassroots.evaluation.domain.scoring import (
    THREE_RATES,
    Deduction,
    RankInput,
    Scheme,
    Score,
    grade_for,
    rank_units,
    score_unit,
    weighted_score,
)
from grassroots.evaluation.domain.surveys import overall_rate, question_results


def test_three_rates_by_hand() -> None:
    counts = IndicatorCounts(
        received=10,
        accepted_on_time=9,
        resolved=8,
        feedback_count=5,
        satisfied=3,
        basically_satisfied=1,
        unsatisfied=1,
    )
    # 100 × (0.1 × 0.9 + 0.5 × 0.8 + 0.4 × (3 + 0.9) / 5) = 9 + 40 + 31.2 = 80.2
    result = score_unit(counts, THREE_RATES)
    assert result.status == "scored"
    assert result.score == pytest.approx(80.2)
    assert result.grade == "good"


def test_missing_satisfaction_is_reweighted_not_zeroed() -> None:
    counts = IndicatorCounts(received=4, accepted_on_time=4, resolved=2)
    # Without feedback: (0.1 × 1 + 0.5 × 0.5) / 0.6 = 0.5833…
    assert score_unit(counts, THREE_RATES).score == pytest.approx(58.33)
    assert score_unit(counts, THREE_RATES).used_weights == {
        "response_rate": 0.1,
        "resolution_rate": 0.5,
    }


def test_a_unit_without_requests_is_not_scored_zero() -> None:
    result = score_unit(IndicatorCounts(visits=3), THREE_RATES)
    assert result.status == "no_requests" and result.score is None


def test_bonus_is_capped_and_deductions_are_capped() -> None:
    scheme = Scheme(
        "with-items",
        1,
        THREE_RATES.weights,
        bonus_cap=3,
        deductions=(Deduction("escalated", 0.5, 2.0),),
    )
    counts = IndicatorCounts(
        received=2, accepted_on_time=2, resolved=2, feedback_count=2, satisfied=2, escalated=10
    )
    result = score_unit(counts, scheme, bonus_points=7)
    assert (result.base, result.bonus, result.deduction) == (100.0, 3.0, 2.0)
    assert result.score == 101.0
    zero = IndicatorCounts(received=1, escalated=100)
    heavy = Scheme("heavy", 1, THREE_RATES.weights, deductions=(Deduction("escalated", 1, 50),))
    assert score_unit(zero, heavy).score == 0.0  # never below zero


@pytest.mark.parametrize(
    ("score", "grade"),
    [(90.0, "excellent"), (89.99, "good"), (80.0, "good"), (60.0, "fair"), (59.9, "poor")],
)
def test_grade_thresholds(score: float, grade: str) -> None:
    assert grade_for(score, THREE_RATES) == grade


@given(
    st.dictionaries(
        st.sampled_from(["response_rate", "resolution_rate", "satisfaction_rate"]),
        st.one_of(st.none(), st.floats(0, 1)),
    )
)
def test_weighted_score_stays_within_0_and_100(rates: dict[str, float | None]) -> None:
    result = weighted_score(rates, THREE_RATES.weights)
    if all(v is None for v in rates.values()):
        assert result is None
    else:
        assert result is not None and -1e-9 <= result <= 100 + 1e-9


def scored(unit: str, score: float | None, resolution: float = 0.5) -> RankInput:
    status = "scored" if score is not None else "no_requests"
    return RankInput(unit, Score(status, score), resolution_rate=resolution, received=1)


def test_ranking_ties_are_broken_deterministically() -> None:
    units = [
        scored("c", 80.0, 0.7),
        scored("b", 80.0, 0.9),
        scored("a", 80.0, 0.7),
        scored("z", None),
        scored("d", 95.0),
    ]
    ranked = [(u.org_unit_id, rank) for u, rank in rank_units(units)]
    assert ranked == [("d", 1), ("b", 2), ("a", 3), ("c", 4), ("z", None)]
    assert rank_units(list(reversed(units))) == rank_units(units)


def test_pay_split_scaled_by_score() -> None:
    split = split_pay(24000, 80.2)
    assert (split.base_pay, split.performance_pool) == (14400.0, 9600.0)
    assert split.performance_pay == pytest.approx(7699.2)
    assert split.total == pytest.approx(22099.2)
    assert split_pay(24000, None).total == 14400.0
    assert split_pay(1000, 120).performance_pay == 400.0  # a score above 100 pays the pool only
    assert split_pay(1000, 50, base_share=0.5).total == 750.0
    with pytest.raises(ValueError, match="base_share"):
        split_pay(1000, 50, base_share=1.5)


@pytest.mark.parametrize(
    ("points", "band"),
    [(59.9, 0), (60, 1), (69.9, 1), (70, 2), (80, 3), (90, 4), (95.9, 4), (96, 5), (130, 5)],
)
def test_star_bands(points: float, band: int) -> None:
    assert stars(points) == band


def test_points_total() -> None:
    assert total_points(60, [2, 2, -3, 1.5]) == 62.5


def test_survey_results_per_question() -> None:
    responses = [
        {"q1": "satisfied", "q2": "unsatisfied"},
        {"q1": "basically_satisfied", "q2": "satisfied"},
        {"q1": "satisfied", "q3": "satisfied", "q2": "nonsense"},
    ]
    results = question_results(["q1", "q2"], responses)
    assert results["q1"]["answered"] == 3
    assert results["q1"]["satisfaction_rate"] == pytest.approx((2 + 0.9) / 3)
    assert results["q2"]["satisfaction_rate"] == 0.5
    assert overall_rate(results) == pytest.approx((3 + 0.9) / 5)
    assert overall_rate(question_results(["q"], [])) is None


@given(
    st.lists(
        st.tuples(st.sampled_from([None, 70.0, 80.0, 90.0]), st.sampled_from([0.5, 0.9])),
        max_size=12,
    ),
    st.randoms(),
)
def test_ranking_does_not_depend_on_input_order(
    spec: list[tuple[float | None, float]], rng: Any
) -> None:
    units = [scored(f"u{i:02d}", score, resolution) for i, (score, resolution) in enumerate(spec)]
    shuffled = list(units)
    rng.shuffle(shuffled)
    ranked = rank_units(units)
    assert rank_units(shuffled) == ranked
    ranks = [rank for _, rank in ranked if rank is not None]
    assert ranks == list(range(1, len(ranks) + 1))
    scores = [u.score.score or 0.0 for u, rank in ranked if rank is not None]
    assert scores == sorted(scores, reverse=True)
