"""The transfer-letter state machine (pure domain, property-based where it fits)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from grassroots.members.domain.transfer import (
    LETTER_VALID_DAYS,
    TRANSITIONS,
    TransferConflict,
    TransferLetter,
    apply_action,
    is_overdue,
    issue_letter,
)

ISSUED = date(2026, 1, 10)


def letter() -> TransferLetter:
    return issue_letter("unit-a", "unit-b", ISSUED)


def test_a_letter_is_valid_for_90_days() -> None:
    assert letter().valid_until == ISSUED + timedelta(days=LETTER_VALID_DAYS)
    assert not is_overdue(letter(), ISSUED + timedelta(days=90))
    assert is_overdue(letter(), ISSUED + timedelta(days=91))


def test_a_member_cannot_be_sent_to_their_own_unit() -> None:
    with pytest.raises(TransferConflict):
        issue_letter("unit-a", "unit-a", ISSUED)


def test_accepting_twice_is_a_conflict() -> None:
    accepted = apply_action(letter(), "accept", ISSUED)
    assert accepted.status == "accepted"
    with pytest.raises(TransferConflict):
        apply_action(accepted, "accept", ISSUED)


def test_a_revoked_letter_cannot_be_accepted() -> None:
    revoked = apply_action(letter(), "revoke", ISSUED)
    with pytest.raises(TransferConflict):
        apply_action(revoked, "accept", ISSUED)


def test_an_overdue_letter_cannot_be_accepted_but_can_expire() -> None:
    late = ISSUED + timedelta(days=100)
    with pytest.raises(TransferConflict, match="expired"):
        apply_action(letter(), "accept", late)
    with pytest.raises(TransferConflict, match="still valid"):
        apply_action(letter(), "expire", ISSUED)
    assert apply_action(letter(), "expire", late).status == "expired"


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["accept", "reject", "revoke", "expire"]),
            st.integers(min_value=0, max_value=200),
        ),
        min_size=1,
        max_size=10,
    )
)
def test_at_most_one_action_ever_succeeds(steps: list[tuple[str, int]]) -> None:
    """Every decision is final: after the first success, every later action conflicts."""
    current = letter()
    successes = 0
    for action, offset in steps:
        try:
            current = apply_action(current, action, ISSUED + timedelta(days=offset))  # type: ignore[arg-type]
        except TransferConflict:
            continue
        successes += 1
        assert current.status == TRANSITIONS[("issued", action)]  # type: ignore[index]
    assert successes <= 1
    assert (successes == 0) == (current.status == "issued")
