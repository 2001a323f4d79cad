"""Per-request facts are order- and duplicate-independent; indicators are hand-checkable."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from grassroots.evaluation.domain.facts import RequestFacts, contribution, fold, merge
from grassroots.evaluation.domain.indicators import (
    REQUEST_COUNT_FIELDS,
    IndicatorCounts,
    count_deltas,
    count_requests,
    request_counts,
)

T0 = datetime(2026, 11, 3, 2, 0, tzinfo=UTC)


def event(name: str, version: int, hours: float, **extra: Any) -> tuple[str, dict[str, Any]]:
    data = {
        "request_id": extra.pop("request_id", "r1"),
        "org_unit_id": extra.pop("org_unit_id", "village-a"),
        "area_code": "230321100201",
        "version": version,
        "occurred_at": T0 + timedelta(hours=hours),
        **extra,
    }
    return name, data


def life(request_id: str = "r1") -> list[tuple[str, dict[str, Any]]]:
    due = T0 + timedelta(days=2)
    return [
        event("submitted", 1, 0, request_id=request_id, received_at=T0, due_at=due),
        event("accepted", 2, 3, request_id=request_id, due_at=due),
        event("escalated", 3, 30, request_id=request_id, org_unit_id="town", due_at=due),
        event("resolved", 4, 40, request_id=request_id, org_unit_id="town", due_at=due),
        event("feedback_given", 5, 41, request_id=request_id, rating="unsatisfied"),
        event("reopened", 6, 42, request_id=request_id),
        event("resolved", 7, 60, request_id=request_id, due_at=due),
        event("feedback_given", 8, 61, request_id=request_id, rating="basically_satisfied"),
    ]


def test_the_life_of_one_request() -> None:
    facts = fold(life())["r1"]
    assert facts.received_unit_id == "village-a"  # counts where received, not where resolved
    assert facts.received_month == "2026-11"
    assert facts.response_seconds == 3 * 3600
    assert facts.resolved and facts.escalated and not facts.explained
    assert facts.resolved_at == T0 + timedelta(hours=60)
    assert not facts.resolved_on_time  # 60 h against a 48 h due time
    assert facts.rating == "basically_satisfied"


def test_a_reopen_after_the_last_resolution_means_unresolved() -> None:
    facts = fold(life()[:6])["r1"]
    assert not facts.resolved
    assert facts.rating == "unsatisfied"


@settings(max_examples=200)
@given(st.data())
def test_any_order_and_any_duplicates_give_the_same_facts(data: st.DataObject) -> None:
    events = life("r1") + life("r2")
    shuffled = data.draw(st.permutations(events))
    doubled = shuffled + data.draw(st.lists(st.sampled_from(events), max_size=10))
    assert fold(doubled) == fold(events)


def test_counts_and_rates_by_hand() -> None:
    due = T0 + timedelta(days=1)
    events = [
        # r1: answered in 2 h, resolved on time, satisfied.
        event("submitted", 1, 0, request_id="r1", received_at=T0, due_at=due),
        event("accepted", 2, 2, request_id="r1"),
        event("resolved", 3, 10, request_id="r1", due_at=due),
        event("feedback_given", 4, 11, request_id="r1", rating="satisfied"),
        # r2: answered after 30 h (late), resolved late, basically satisfied.
        event("submitted", 1, 0, request_id="r2", received_at=T0, due_at=due),
        event("accepted", 2, 30, request_id="r2"),
        event("resolved", 3, 31, request_id="r2", due_at=due),
        event("feedback_given", 4, 32, request_id="r2", rating="basically_satisfied"),
        # r3: answered at exactly 24 h (on time), explained, no feedback.
        event("submitted", 1, 0, request_id="r3", received_at=T0, due_at=due),
        event("explained", 2, 24, request_id="r3"),
        # r4: no response yet.
        event("submitted", 1, 0, request_id="r4", received_at=T0, due_at=due),
        # r5: never seen as submitted: not counted.
        event("accepted", 2, 1, request_id="r5"),
    ]
    counts = count_requests(fold(events).values())
    assert counts == IndicatorCounts(
        received=4,
        accepted_on_time=2,
        resolved=2,
        resolved_on_time=1,
        explained=1,
        feedback_count=2,
        satisfied=1,
        basically_satisfied=1,
    )
    rates = counts.rates()
    assert rates["response_rate"] == 0.5
    assert rates["resolution_rate"] == 0.5
    assert rates["satisfaction_rate"] == (1 + 0.9) / 2
    assert rates["on_time_rate"] == 0.5
    assert rates["visit_rate"] is None
    assert count_requests(fold(events).values(), response_limit_seconds=3600).accepted_on_time == 0


def test_counts_add_up_over_a_subtree() -> None:
    a = IndicatorCounts(received=3, resolved=2, visits=4, visit_quota=10)
    b = IndicatorCounts(received=1, resolved=1, visits=12, visit_quota=10)
    total = IndicatorCounts.total([a, b])
    assert (total.received, total.resolved, total.visits, total.visit_quota) == (4, 3, 16, 20)
    assert total.rates()["visit_rate"] == 16 / 20
    assert b.rates()["visit_rate"] == 1.0  # more visits than the quota caps at 100 %


@settings(max_examples=100)
@given(st.data())
def test_monthly_counts_kept_by_deltas_equal_the_counts_of_the_final_facts(
    data: st.DataObject,
) -> None:
    events = life("r1") + life("r2") + [event("submitted", 1, 0, request_id="r3", received_at=T0)]
    delivered = data.draw(st.permutations(events))
    delivered += data.draw(st.lists(st.sampled_from(events), max_size=8))
    state: dict[str, RequestFacts] = {}
    kept: dict[tuple[str, str], IndicatorCounts] = {}
    for name, payload in delivered:
        part = contribution(name, payload)
        before = {part.request_id: state[part.request_id]} if part.request_id in state else {}
        after = {part.request_id: merge(state[part.request_id], part) if before else part}
        for key, delta in count_deltas(before, after).items():
            kept[key] = kept.get(key, IndicatorCounts()) + delta
        state.update(after)
    expected = count_requests(fold(events).values())
    assert kept == {("village-a", "2026-11"): expected}
    assert expected.received == 3


@given(st.data())
def test_the_count_vector_of_one_request_equals_its_counts(data: st.DataObject) -> None:
    events = data.draw(st.lists(st.sampled_from(life("r1")), min_size=1, max_size=8))
    facts = fold(events)["r1"]
    limit = data.draw(st.sampled_from([3600, 24 * 3600]))
    vector = request_counts(facts, limit)
    counts = count_requests([facts], limit)
    if facts.received_at is None:
        assert vector is None
        assert counts == IndicatorCounts()
    else:
        assert vector is not None
        assert IndicatorCounts(**dict(zip(REQUEST_COUNT_FIELDS, vector, strict=True))) == counts


def test_the_stored_monthly_counts_are_the_leading_indicator_counts_in_order() -> None:
    # counts_by_unit builds IndicatorCounts positionally from the stored columns.
    from grassroots.evaluation.adapters.orm import UNIT_MONTH_COUNTS

    assert UNIT_MONTH_COUNTS == REQUEST_COUNT_FIELDS


def test_a_merged_repeat_report_counts_once_with_its_main_request_until_unmerged() -> None:
    main = life("r1")[:2]
    repeat = [
        event("submitted", 1, 1, request_id="r2", received_at=T0, due_at=T0),
        event("merged", 2, 2, request_id="r2", into_request_id="r1", previous_status="submitted"),
    ]
    facts = fold(main + repeat)
    assert facts["r2"].merged_into == "r1"
    assert count_requests(facts.values()).received == 1
    assert request_counts(facts["r2"], 3600) is None
    # Any order: the latest of merged/unmerged by version decides.
    unmerged = event("unmerged", 3, 3, request_id="r2", from_request_id="r1")
    for events in (main + repeat + [unmerged], [unmerged, *reversed(repeat), *main]):
        assert count_requests(fold(events).values()).received == 2
    deltas = count_deltas({}, facts)
    assert deltas[("village-a", "2026-11")].received == 1
