"""The membership lifecycle state machine (pure domain, partly property-based)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from grassroots.members.domain.lifecycle import (
    STAGES,
    IllegalTransition,
    Lifecycle,
    add_months,
    advance,
    exit_membership,
    extend_probation,
)

START = date(2020, 3, 1)


def test_the_whole_path_with_minimum_waits() -> None:
    state = Lifecycle("applicant", START)
    state = advance(state, "activist", START)
    with pytest.raises(IllegalTransition, match="allowed from 2021-03-01"):
        advance(state, "candidate", date(2021, 2, 28))
    state = advance(state, "candidate", date(2021, 3, 1))
    state = advance(state, "probationary", date(2021, 6, 1))
    with pytest.raises(IllegalTransition):
        advance(state, "full", date(2022, 5, 31))
    state = advance(state, "full", date(2022, 6, 1))
    assert state.stage == "full"


@pytest.mark.parametrize(
    ("stage", "to"),
    [
        ("applicant", "candidate"),
        ("applicant", "full"),
        ("activist", "probationary"),
        ("full", "probationary"),
        ("probationary", "candidate"),
        ("full", "full"),
    ],
)
def test_skipping_or_going_back_is_illegal(stage: str, to: str) -> None:
    with pytest.raises(IllegalTransition):
        advance(Lifecycle(stage, START), to, date(2030, 1, 1))  # type: ignore[arg-type]


def test_probation_extends_once_and_delays_confirmation() -> None:
    state = Lifecycle("probationary", START)
    extended = extend_probation(state, 6)
    assert extended.probation_extended
    with pytest.raises(IllegalTransition, match="only once"):
        extend_probation(extended, 6)
    with pytest.raises(IllegalTransition):
        advance(extended, "full", add_months(START, 12))
    assert advance(extended, "full", add_months(START, 18)).stage == "full"


@pytest.mark.parametrize("stage", ["applicant", "activist", "candidate", "full"])
def test_only_a_probation_can_be_extended(stage: str) -> None:
    with pytest.raises(IllegalTransition):
        extend_probation(Lifecycle(stage, START), 6)  # type: ignore[arg-type]


def test_an_exited_record_is_closed() -> None:
    closed = exit_membership(Lifecycle("full", START), "voluntary")
    assert closed.exited and closed.exit_reason == "voluntary"
    with pytest.raises(IllegalTransition):
        exit_membership(closed, "deceased")
    with pytest.raises(IllegalTransition):
        advance(Lifecycle("activist", START, exited=True), "candidate", date(2030, 1, 1))


def test_add_months_clamps_to_the_month_end() -> None:
    assert add_months(date(2024, 2, 29), 12) == date(2025, 2, 28)
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2024, 3, 31), -1) == date(2024, 2, 29)


actions = st.lists(
    st.tuples(
        st.sampled_from(["advance", "extend", "exit"]),
        st.integers(min_value=0, max_value=500),
        st.sampled_from(STAGES),
        st.integers(min_value=1, max_value=12),
    ),
    max_size=25,
)


@given(actions)
def test_random_histories_never_break_the_rules(history: list[tuple[str, int, str, int]]) -> None:
    """Whatever is tried, the stage only moves one step forward and never too early."""
    state = Lifecycle("applicant", START)
    day = START
    entered = {"applicant": START}
    for action, days_later, target, months in history:
        day = day + timedelta(days=days_later)
        before = state
        try:
            if action == "advance":
                state = advance(state, target, day)  # type: ignore[arg-type]
            elif action == "extend":
                state = extend_probation(state, months)
            else:
                state = exit_membership(state, "other")
        except IllegalTransition:
            assert state == before
            continue
        if state.stage != before.stage:
            assert STAGES.index(state.stage) == STAGES.index(before.stage) + 1
            assert not before.exited
            entered[state.stage] = day
    if "candidate" in entered:
        assert entered["candidate"] >= add_months(entered["activist"], 12)
    if "full" in entered:
        assert entered["full"] >= add_months(entered["probationary"], 12)
