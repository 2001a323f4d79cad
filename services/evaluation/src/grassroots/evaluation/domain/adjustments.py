"""Fairness adjustments: approved exclusions, upheld appeals, and what each request counts in."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date, timedelta

from grassroots.evaluation.domain.facts import RequestFacts
from grassroots.evaluation.domain.indicators import (
    REQUEST_COUNT_FIELDS,
    IndicatorCounts,
    request_counts,
)

# The rates a unit may appeal one request's assessment against.
APPEALABLE_RATES = ("response_rate", "resolution_rate", "satisfaction_rate", "on_time_rate")
EXCLUSION_CATEGORIES = ("outside_law_or_policy", "repeated_after_final_answer", "malicious")
DEFAULT_APPEAL_WINDOW_WORKDAYS = 5


def counts_of(fact: RequestFacts, response_limit_seconds: int) -> IndicatorCounts:
    """What one request adds to its unit's counts (nothing before it was received)."""
    values = request_counts(fact, response_limit_seconds)
    return IndicatorCounts() if values is None else IndicatorCounts(*values)


def counted_in(fact: RequestFacts, response_limit_seconds: int) -> list[str]:
    """The counts one request is part of, by name (`received`, `resolved`, ...)."""
    values = request_counts(fact, response_limit_seconds) or []
    return [name for name, value in zip(REQUEST_COUNT_FIELDS, values, strict=False) if value]


def adjusted_rates(
    counts: IndicatorCounts, removed_from_rate: Mapping[str, IndicatorCounts]
) -> dict[str, float | None]:
    """Rates where each rate leaves out the requests appealed (and upheld) against it."""
    rates = counts.rates()
    for rate, removed in removed_from_rate.items():
        rates[rate] = (counts - removed).rates()[rate]
    return rates


def without(counts: IndicatorCounts, excluded: Iterable[IndicatorCounts]) -> IndicatorCounts:
    """Counts with approved exclusions taken out of every rate."""
    return counts - IndicatorCounts.total(excluded)


def appeal_deadline(
    last_day_of_period: date, workdays: int, is_workday: Callable[[date], bool]
) -> date:
    """The last day an appeal is accepted: the `workdays`-th working day after the period."""
    day, left = last_day_of_period, workdays
    while left > 0:
        day += timedelta(days=1)
        if is_workday(day):
            left -= 1
    return day
