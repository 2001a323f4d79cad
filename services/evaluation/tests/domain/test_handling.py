"""Return, extension and co-handling counts and rates, and schemes weighing them, by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from grassroots.evaluation.domain.handling import handling_counts, handling_event
from grassroots.evaluation.domain.indicators import (
    COUNT_FIELDS,
    HANDLING_COUNT_FIELDS,
    IndicatorCounts,
)
from grassroots.evaluation.domain.scoring import (
    Deduction,
    RankInput,
    Scheme,
    rank_units,
    score_unit,
)

T0 = datetime(2026, 11, 3, 2, 0, tzinfo=UTC)
HANDLING_RATES = (
    "return_rate",
    "kept_rate",
    "extension_rate",
    "helper_on_time_rate",
    "helper_score_rate",
)


def test_every_handling_rate_is_missing_without_its_denominator() -> None:
    rates = IndicatorCounts().rates()
    assert {name: rates[name] for name in HANDLING_RATES} == dict.fromkeys(HANDLING_RATES)
    # Numerators without their denominators still give no rate (never a division by zero).
    lonely = IndicatorCounts(returned=2, helper_on_time=1, helper_score_total=4).rates()
    assert lonely["return_rate"] is None and lonely["kept_rate"] is None
    assert lonely["helper_on_time_rate"] is None and lonely["helper_score_rate"] is None
    assert IndicatorCounts(extensions=3).rates()["extension_rate"] is None


def test_all_returned_none_returned_and_in_between() -> None:
    everything = IndicatorCounts(dispatched_in=4, returned=4).rates()
    assert (everything["return_rate"], everything["kept_rate"]) == (1.0, 0.0)
    nothing = IndicatorCounts(dispatched_in=4).rates()
    assert (nothing["return_rate"], nothing["kept_rate"]) == (0.0, 1.0)
    some = IndicatorCounts(dispatched_in=4, returned=1).rates()
    assert (some["return_rate"], some["kept_rate"]) == (0.25, 0.75)
    # A return in this month of a dispatch counted last month: capped, not above 100 %.
    more = IndicatorCounts(dispatched_in=1, returned=3).rates()
    assert (more["return_rate"], more["kept_rate"]) == (1.0, 0.0)


def test_extension_and_helper_rates_by_hand() -> None:
    counts = IndicatorCounts(
        received=8,
        extensions=2,
        helper_tasks=4,
        helper_on_time=3,
        helper_scored=3,
        helper_score_total=12,
    )
    rates = counts.rates()
    assert rates["extension_rate"] == 0.25
    assert rates["helper_on_time_rate"] == 0.75
    assert rates["helper_score_rate"] == 12 / 15  # (5 + 4 + 3) / (5 × 3)
    perfect = IndicatorCounts(helper_scored=2, helper_score_total=10).rates()
    assert perfect["helper_score_rate"] == 1.0


def test_handling_counts_are_the_last_counts_and_add_up() -> None:
    assert COUNT_FIELDS[-len(HANDLING_COUNT_FIELDS) :] == HANDLING_COUNT_FIELDS
    a = IndicatorCounts(dispatched_in=2, returned=1, helper_scored=1, helper_score_total=4)
    b = IndicatorCounts(dispatched_in=3, returned=2, helper_scored=1, helper_score_total=5)
    total = a + b
    assert (total.dispatched_in, total.returned, total.helper_score_total) == (5, 3, 9)
    assert total.rates()["kept_rate"] == pytest.approx(0.4)


def data(name: str, version: int, hours: float = 0, **extra: Any) -> tuple[str, dict[str, Any]]:
    return name, {
        "request_id": extra.pop("request_id", "r1"),
        "org_unit_id": extra.pop("org_unit_id", "village-a"),
        "version": version,
        "occurred_at": T0 + timedelta(hours=hours),
        **extra,
    }


def test_each_event_counts_for_the_unit_it_names_in_its_month() -> None:
    events = [
        data("dispatched", 2, org_unit_id="village-a", from_org_unit_id="town"),
        data("returned", 3, org_unit_id="town", returning_org_unit_id="village-a"),
        data("return_decided", 4, returning_org_unit_id="village-a", decision="rejected"),
        data("return_decided", 5, returning_org_unit_id="village-a", decision="upheld"),
        data("extension_decided", 6, org_unit_id="village-a", decision="approved"),
        data("extension_decided", 7, org_unit_id="village-a", decision="rejected"),
        data("co_handler_added", 8, helper_org_unit_id="dept"),
        data("co_task_done", 9, helper_org_unit_id="dept", outcome="done", on_time=True),
        data("co_task_done", 10, helper_org_unit_id="dept", outcome="closed", on_time=True),
        data("co_task_done", 11, helper_org_unit_id="dept", outcome="done", on_time=False),
        data("co_task_scored", 12, helper_org_unit_id="dept", score=4),
        # 16:30 UTC on 30 November is 00:30 on 1 December in Asia/Shanghai: December's.
        data("co_task_scored", 13, 27 * 24 + 14.5, helper_org_unit_id="dept", score=5),
        data("accepted", 14),
    ]
    found = [handling_event(name, payload) for name, payload in events]
    kinds = [(e.kind, e.unit_id, e.month) if e else None for e in found]
    assert kinds == [
        ("dispatched_in", "village-a", "2026-11"),
        ("returned", "village-a", "2026-11"),
        ("returns_rejected", "village-a", "2026-11"),
        None,
        ("extensions", "village-a", "2026-11"),
        None,
        ("helper_tasks", "dept", "2026-11"),
        ("helper_on_time", "dept", "2026-11"),
        None,
        None,
        ("helper_scored", "dept", "2026-11"),
        ("helper_scored", "dept", "2026-12"),
        None,
    ]
    counted = handling_counts(e for e in found if e is not None)
    assert counted[("village-a", "2026-11")] == IndicatorCounts(
        dispatched_in=1, returned=1, returns_rejected=1, extensions=1
    )
    assert counted[("dept", "2026-11")] == IndicatorCounts(
        helper_tasks=1, helper_on_time=1, helper_scored=1, helper_score_total=4
    )
    assert counted[("dept", "2026-12")] == IndicatorCounts(helper_scored=1, helper_score_total=5)


def test_a_repeated_event_counts_once() -> None:
    returned = data("returned", 3, returning_org_unit_id="village-a", reason="wrong_area")
    again = handling_event(*returned)
    assert again is not None and again.key == "r1:3"
    once = handling_counts([again, handling_event(*returned), again])  # type: ignore[list-item]
    assert once == {("village-a", "2026-11"): IndicatorCounts(returned=1)}


KEEPING = Scheme(
    "keeping",
    1,
    {"resolution_rate": 0.6, "kept_rate": 0.4},
    deductions=(Deduction("returns_rejected", 1.0, 5.0),),
)


def test_a_scheme_weighting_kept_rate_and_deducting_rejected_returns_by_hand() -> None:
    units = {
        # 100 × (0.6 × 0.8 + 0.4 × 0.75) = 78, one rejected return: 77.
        "a": IndicatorCounts(
            received=10, resolved=8, dispatched_in=4, returned=1, returns_rejected=1
        ),
        # Everything returned: 100 × 0.6 × 0.9 = 54, three rejected returns: 51.
        "b": IndicatorCounts(
            received=10, resolved=9, dispatched_in=5, returned=5, returns_rejected=3
        ),
        # Nothing dispatched to it: no kept rate, re-weighted: 100 × 0.8 = 80.
        "c": IndicatorCounts(received=5, resolved=4),
        # Seven rejected returns are capped at 5: 100 × (0.6 + 0.4 × 0.5) - 5 = 75.
        "d": IndicatorCounts(
            received=2, resolved=2, dispatched_in=8, returned=4, returns_rejected=7
        ),
    }
    scores = {unit: score_unit(counts, KEEPING) for unit, counts in units.items()}
    assert {u: (s.base, s.deduction, s.score) for u, s in scores.items()} == {
        "a": (78.0, 1.0, 77.0),
        "b": (54.0, 3.0, 51.0),
        "c": (80.0, 0.0, 80.0),
        "d": (80.0, 5.0, 75.0),
    }
    assert scores["c"].used_weights == {"resolution_rate": 0.6}
    ranked = rank_units(
        [
            RankInput(
                u, scores[u], resolution_rate=c.rates()["resolution_rate"], received=c.received
            )
            for u, c in units.items()
        ]
    )
    assert [(entry.org_unit_id, rank) for entry, rank in ranked] == [
        ("c", 1),
        ("a", 2),
        ("d", 3),
        ("b", 4),
    ]


def test_helper_rates_weighted_and_extensions_deducted() -> None:
    scheme = Scheme(
        "helping",
        1,
        {"resolution_rate": 0.5, "helper_on_time_rate": 0.25, "helper_score_rate": 0.25},
        deductions=(Deduction("extensions", 0.5, 2.0),),
    )
    counts = IndicatorCounts(
        received=4,
        resolved=4,
        extensions=1,
        helper_tasks=2,
        helper_on_time=1,
        helper_scored=2,
        helper_score_total=8,
    )
    # 100 × (0.5 × 1 + 0.25 × 0.5 + 0.25 × 0.8) = 82.5, less 0.5 for the extension.
    result = score_unit(counts, scheme)
    assert (result.base, result.deduction, result.score) == (82.5, 0.5, 82.0)
