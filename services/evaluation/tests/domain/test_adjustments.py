"""Exclusions and appeals change exactly the rates they target; the minimum-sample rule."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from grassroots.contracts.timezone import platform_zone
from grassroots.evaluation.adapters.workdays import is_workday
from grassroots.evaluation.domain.adjustments import (
    adjusted_rates,
    appeal_deadline,
    counted_in,
    counts_of,
    without,
)
from grassroots.evaluation.domain.facts import RequestFacts
from grassroots.evaluation.domain.indicators import IndicatorCounts, count_requests
from grassroots.evaluation.domain.publications import ranking_changes
from grassroots.evaluation.domain.scoring import THREE_RATES, RankInput, rank_units, score_unit

T0 = datetime(2026, 11, 2, 9, tzinfo=platform_zone())
LIMIT = 24 * 3600


def fact(
    rid: str, *, late: bool = False, resolved: bool = True, rating: str | None = None
) -> RequestFacts:
    return RequestFacts(
        request_id=rid,
        received_unit_id="u",
        received_at=T0,
        received_month="2026-11",
        responded_at=T0 + timedelta(hours=30 if late else 1),
        resolved=resolved,
        resolution_version=3 if resolved else 0,
        resolved_at=T0 + timedelta(hours=5) if resolved else None,
        rating=rating,
        rating_version=4 if rating else 0,
    )


FACTS = [
    fact("r1", rating="satisfied"),
    fact("r2", rating="satisfied"),
    fact("r3", late=True, rating="unsatisfied"),
    fact("r4", resolved=False, rating="basically_satisfied"),
]


def test_an_exclusion_takes_the_request_out_of_every_rate() -> None:
    counts = count_requests(FACTS, LIMIT)
    after = without(counts, [counts_of(FACTS[2], LIMIT)])
    assert after == count_requests([f for f in FACTS if f.request_id != "r3"], LIMIT)
    assert after.rates()["response_rate"] == 1.0  # r3 was the late one
    assert after.rates()["satisfaction_rate"] == pytest.approx((2 + 0.9) / 3)


def test_an_upheld_appeal_changes_only_the_rate_appealed_against() -> None:
    counts = count_requests(FACTS, LIMIT)
    before = counts.rates()
    after = adjusted_rates(counts, {"satisfaction_rate": counts_of(FACTS[2], LIMIT)})
    assert after["satisfaction_rate"] == pytest.approx((2 + 0.9) / 3)
    assert before["satisfaction_rate"] == pytest.approx((2 + 0.9) / 4)
    for rate in ("response_rate", "resolution_rate", "on_time_rate", "visit_rate"):
        assert after[rate] == before[rate]
    response = adjusted_rates(counts, {"response_rate": counts_of(FACTS[2], LIMIT)})
    assert response["response_rate"] == 1.0 and response["resolution_rate"] == 0.75


def test_counted_in_names_the_counts_of_one_request() -> None:
    assert counted_in(FACTS[2], LIMIT) == [
        "received",
        "resolved",
        "resolved_on_time",
        "feedback_count",
        "unsatisfied",
    ]


@pytest.mark.parametrize(("feedbacks", "status"), [(4, "insufficient_sample"), (5, "scored")])
def test_minimum_sample_at_the_boundary(feedbacks: int, status: str) -> None:
    counts = IndicatorCounts(
        received=10,
        accepted_on_time=10,
        resolved=10,
        feedback_count=feedbacks,
        unsatisfied=feedbacks,
    )
    score = score_unit(counts, THREE_RATES)
    assert score.status == status
    # Under the minimum the unsatisfied answers do not count: 100 from the other two rates.
    assert score.score == (100.0 if feedbacks < 5 else 60.0)


def test_units_listed_apart_get_no_rank() -> None:
    small = score_unit(
        IndicatorCounts(received=2, resolved=2, feedback_count=2, satisfied=2), THREE_RATES
    )
    full = score_unit(
        IndicatorCounts(received=9, resolved=5, feedback_count=9, satisfied=5), THREE_RATES
    )
    ranked = rank_units(
        [
            RankInput("small", small, ranked=False),
            RankInput("full", full),
            RankInput("none", score_unit(IndicatorCounts(), THREE_RATES)),
        ]
    )
    assert [(u.org_unit_id, rank) for u, rank in ranked] == [
        ("full", 1),
        ("small", None),
        ("none", None),
    ]


def test_a_correction_lists_what_changed() -> None:
    before = {
        "items": [
            {
                "org_unit_id": "a",
                "name": "甲",
                "rank": 1,
                "score": 80.0,
                "status": "scored",
                "grade": "good",
            }
        ]
    }
    after = {
        "items": [
            {
                "org_unit_id": "a",
                "name": "甲",
                "rank": 1,
                "score": 91.9,
                "status": "scored",
                "grade": "excellent",
            }
        ]
    }
    assert ranking_changes(before, after) == [
        {"org_unit_id": "a", "name": "甲", "field": "score", "before": 80.0, "after": 91.9},
        {
            "org_unit_id": "a",
            "name": "甲",
            "field": "grade",
            "before": "good",
            "after": "excellent",
        },
    ]
    assert ranking_changes(before, before) == []


def test_the_appeal_window_counts_working_days() -> None:
    weekdays = lambda day: day.weekday() < 5  # noqa: E731
    # November 2026 ends on a Monday: Tue 1, Wed 2, Thu 3, Fri 4, Mon 7 December.
    assert appeal_deadline(date(2026, 11, 30), 5, weekdays) == date(2026, 12, 7)
    # September 2025: the National Day holiday (1-8 October) does not count; Saturday
    # 11 October is a make-up working day.
    assert appeal_deadline(date(2025, 9, 30), 5, is_workday) == date(2025, 10, 14)
