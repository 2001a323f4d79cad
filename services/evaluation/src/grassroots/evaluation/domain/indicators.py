"""Indicator counts per unit and period, and the rates computed from them."""

from __future__ import annotations

import operator
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields

from grassroots.evaluation.domain.facts import RequestFacts

DEFAULT_RESPONSE_LIMIT_SECONDS = 24 * 3600
BASICALLY_SATISFIED_WEIGHT = 0.9
RATE_NAMES = (
    "response_rate",
    "resolution_rate",
    "satisfaction_rate",
    "on_time_rate",
    "visit_rate",
)
# Rates of dispatch, return, extension and co-handling; higher is better for the unit.
HANDLING_RATE_NAMES = ("kept_rate", "helper_on_time_rate", "helper_score_rate")
# Rates where higher is worse for the unit: shown, never weighted (a scheme weights kept_rate
# or deducts per counted return or extension instead).
LOWER_IS_BETTER_RATES = ("return_rate", "extension_rate")
# The rates a scheme may weight (besides the survey rate, which comes from surveys).
WEIGHTABLE_RATES = (*RATE_NAMES, *HANDLING_RATE_NAMES)
HELPER_SCORE_MAX = 5


@dataclass(frozen=True)
class IndicatorCounts:
    """Counts behind the rates; they add up over units of a subtree."""

    received: int = 0
    accepted_on_time: int = 0
    resolved: int = 0
    resolved_on_time: int = 0
    escalated: int = 0
    explained: int = 0
    feedback_count: int = 0
    satisfied: int = 0
    basically_satisfied: int = 0
    unsatisfied: int = 0
    visits: int = 0
    visit_quota: int = 0
    posts_claimed: int = 0
    check_ins: int = 0
    # Counted at the unit an event names, in the month of the event (not of receipt):
    # dispatches it received (派单), returns it made (退单) and returns its dispatcher rejected,
    # extensions approved while it held the request (延期), helper tasks it was given (协办),
    # done on time, and the lead unit's scores of them (协办评分, 1-5 each).
    dispatched_in: int = 0
    returned: int = 0
    returns_rejected: int = 0
    extensions: int = 0
    helper_tasks: int = 0
    helper_on_time: int = 0
    helper_scored: int = 0
    helper_score_total: int = 0

    def __add__(self, other: IndicatorCounts) -> IndicatorCounts:
        return IndicatorCounts(*map(operator.add, _values(self), _values(other)))

    def __sub__(self, other: IndicatorCounts) -> IndicatorCounts:
        return IndicatorCounts(*map(operator.sub, _values(self), _values(other)))

    @classmethod
    def total(cls, parts: Iterable[IndicatorCounts]) -> IndicatorCounts:
        """The sum of several counts."""
        out = cls()
        for part in parts:
            out = out + part
        return out

    def rates(self) -> dict[str, float | None]:
        """The rates; None where the denominator is zero (a missing part, not a zero)."""
        return {
            "response_rate": _ratio(self.accepted_on_time, self.received),
            "resolution_rate": _ratio(self.resolved, self.received),
            "satisfaction_rate": _ratio(
                self.satisfied + BASICALLY_SATISFIED_WEIGHT * self.basically_satisfied,
                self.feedback_count,
            ),
            "on_time_rate": _ratio(self.resolved_on_time, self.resolved),
            "visit_rate": _ratio(min(self.visits, self.visit_quota), self.visit_quota),
            **self.handling_rates(),
        }

    def handling_rates(self) -> dict[str, float | None]:
        """Return, extension and co-handling rates; None where the denominator is zero.

        Numerator and denominator are counted in the month of their own events (a return in
        December of a November dispatch), so a rate is capped at 1 like the visit rate."""
        return_rate = _ratio(min(self.returned, self.dispatched_in), self.dispatched_in)
        return {
            "return_rate": return_rate,
            "kept_rate": None if return_rate is None else 1.0 - return_rate,
            "extension_rate": _ratio(min(self.extensions, self.received), self.received),
            "helper_on_time_rate": _ratio(
                min(self.helper_on_time, self.helper_tasks), self.helper_tasks
            ),
            "helper_score_rate": _ratio(
                self.helper_score_total, HELPER_SCORE_MAX * self.helper_scored
            ),
        }

    def as_dict(self) -> dict[str, int]:
        """Counts as a plain dict."""
        return {name: getattr(self, name) for name in COUNT_FIELDS}


COUNT_FIELDS = tuple(f.name for f in fields(IndicatorCounts))
# All counts as a tuple in field order (cheaper than dataclasses.fields() per addition).
_values = operator.attrgetter(*COUNT_FIELDS)


@dataclass(frozen=True)
class CountRules:
    """The configurable limits applied when reading (the response limit is applied when
    projecting, so changing it needs a rebuild)."""

    visit_quota_per_month: int = 10
    # Needed to take an excluded or appealed request's contribution back out of the counts.
    response_limit_seconds: int = DEFAULT_RESPONSE_LIMIT_SECONDS


def _ratio(numerator: float, denominator: int) -> float | None:
    return None if denominator == 0 else numerator / denominator


def count_requests(
    facts: Iterable[RequestFacts],
    response_limit_seconds: int = DEFAULT_RESPONSE_LIMIT_SECONDS,
) -> IndicatorCounts:
    """Request counts of the given (already filtered) facts; unreceived and merged ones skipped."""
    received = accepted = resolved = on_time = escalated = explained = 0
    ratings = dict.fromkeys(("satisfied", "basically_satisfied", "unsatisfied"), 0)
    for fact in facts:
        if fact.received_at is None or fact.merged_into is not None:
            continue
        received += 1
        seconds = fact.response_seconds
        if seconds is not None and seconds <= response_limit_seconds:
            accepted += 1
        if fact.resolved:
            resolved += 1
            on_time += fact.resolved_on_time
        escalated += fact.escalated
        explained += fact.explained
        if fact.rating in ratings:
            ratings[fact.rating] += 1
    return IndicatorCounts(
        received=received,
        accepted_on_time=accepted,
        resolved=resolved,
        resolved_on_time=on_time,
        escalated=escalated,
        explained=explained,
        feedback_count=sum(ratings.values()),
        **ratings,
    )


# The counts one request contributes, in the order of IndicatorCounts' first fields.
REQUEST_COUNT_FIELDS = COUNT_FIELDS[:10]
# The counts reports show: the requests' and the visits' (posts and check-ins feed points).
REPORTED_COUNT_FIELDS = COUNT_FIELDS[:12]
# The counts of dispatch, return, extension and co-handling events (IndicatorCounts' last ones).
HANDLING_COUNT_FIELDS = (
    "dispatched_in",
    "returned",
    "returns_rejected",
    "extensions",
    "helper_tasks",
    "helper_on_time",
    "helper_scored",
    "helper_score_total",
)
# The counts of requests received in the unit and of its members' activity.
RECEIVED_COUNT_FIELDS = tuple(n for n in COUNT_FIELDS if n not in HANDLING_COUNT_FIELDS)
_RATING_INDEX = {"satisfied": 7, "basically_satisfied": 8, "unsatisfied": 9}


def request_counts(fact: RequestFacts, response_limit_seconds: int) -> list[int] | None:
    """`count_requests([fact])` as a plain list in REQUEST_COUNT_FIELDS order (None when the
    request was not received yet or is merged into another): the hot path of keeping the
    counts by deltas."""
    if fact.received_at is None or fact.merged_into is not None:
        return None
    seconds = fact.response_seconds
    resolved = fact.resolved
    out = [
        1,
        1 if seconds is not None and seconds <= response_limit_seconds else 0,
        1 if resolved else 0,
        1 if resolved and fact.resolved_on_time else 0,
        1 if fact.escalated else 0,
        1 if fact.explained else 0,
        0,
        0,
        0,
        0,
    ]
    index = _RATING_INDEX.get(fact.rating or "")
    if index is not None:
        out[6] = 1
        out[index] = 1
    return out


def count_deltas(
    before: Mapping[str, RequestFacts],
    after: Mapping[str, RequestFacts],
    response_limit_seconds: int = DEFAULT_RESPONSE_LIMIT_SECONDS,
) -> dict[tuple[str, str], IndicatorCounts]:
    """How the counts per (receiving unit, month) change when facts go from before to after.

    Summed over the life of a request the changes telescope to the counts of its final facts,
    so counts kept this way are as order- and duplicate-independent as the facts themselves.
    """
    sums: dict[tuple[str, str], list[int]] = {}
    for request_id, new in after.items():
        old = before.get(request_id)
        if old == new:
            continue
        for fact, sign in ((old, -1), (new, 1)):
            if fact is None or not fact.received_unit_id or not fact.received_month:
                continue
            counts = request_counts(fact, response_limit_seconds)
            if counts is None:
                continue
            key = (fact.received_unit_id, fact.received_month)
            total = sums.get(key)
            if total is None:
                sums[key] = [sign * c for c in counts]
            else:
                for i, c in enumerate(counts):
                    total[i] += sign * c
    return {key: IndicatorCounts(*total) for key, total in sums.items()}
