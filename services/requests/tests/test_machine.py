"""The handling state machine: every allowed and forbidden transition, and random walks."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from grassroots.requests.domain.machine import (
    OPEN_STATUSES,
    TRANSITIONS,
    Action,
    IllegalTransition,
    RequestState,
    Status,
    allowed_actions,
    next_status,
)

S, A = Status, Action

# The table written out by hand, row by row, as the issue describes the workflow.
EXPECTED: dict[tuple[Status, Action], Status] = {
    (S.SUBMITTED, A.ACCEPT): S.ACCEPTED,
    (S.ESCALATED, A.ACCEPT): S.ACCEPTED,
    (S.REOPENED, A.ACCEPT): S.ACCEPTED,
    (S.ACCEPTED, A.ASSIGN): S.ASSIGNED,
    (S.ASSIGNED, A.ASSIGN): S.ASSIGNED,
    (S.IN_PROGRESS, A.ASSIGN): S.ASSIGNED,
    (S.EXPLAINED, A.ASSIGN): S.ASSIGNED,
    (S.ACCEPTED, A.START): S.IN_PROGRESS,
    (S.ASSIGNED, A.START): S.IN_PROGRESS,
    (S.EXPLAINED, A.START): S.IN_PROGRESS,
    (S.SUBMITTED, A.ESCALATE): S.ESCALATED,
    (S.ACCEPTED, A.ESCALATE): S.ESCALATED,
    (S.ASSIGNED, A.ESCALATE): S.ESCALATED,
    (S.IN_PROGRESS, A.ESCALATE): S.ESCALATED,
    (S.ESCALATED, A.ESCALATE): S.ESCALATED,
    (S.EXPLAINED, A.ESCALATE): S.ESCALATED,
    (S.REOPENED, A.ESCALATE): S.ESCALATED,
    (S.ACCEPTED, A.EXPLAIN): S.EXPLAINED,
    (S.ASSIGNED, A.EXPLAIN): S.EXPLAINED,
    (S.IN_PROGRESS, A.EXPLAIN): S.EXPLAINED,
    (S.IN_PROGRESS, A.RESOLVE): S.RESOLVED,
    (S.EXPLAINED, A.RESOLVE): S.RESOLVED,
    (S.RESOLVED, A.FEEDBACK): S.RESOLVED,
    (S.RESOLVED, A.REOPEN): S.REOPENED,
    (S.CLOSED, A.REOPEN): S.REOPENED,
    (S.RESOLVED, A.CLOSE): S.CLOSED,
    **{(s, A.MERGE): S.MERGED for s in OPEN_STATUSES},
    # The table keeps the request merged; apply gives back the status it was merged from.
    (S.MERGED, A.UNMERGE): S.MERGED,
}
ALL_PAIRS = [(s, a) for s in Status for a in Action]


def test_the_table_is_exactly_the_workflow() -> None:
    assert TRANSITIONS == EXPECTED


@pytest.mark.parametrize(("status", "action"), sorted(EXPECTED, key=str))
def test_every_allowed_transition(status: Status, action: Action) -> None:
    state = RequestState(status=status, version=3)
    if action is A.UNMERGE:
        after = state.apply(action, restore=S.IN_PROGRESS)
        assert after.status is S.IN_PROGRESS
    else:
        after = state.apply(action, handler_member_id="m-1")
        assert after.status is EXPECTED[(status, action)]
    assert after.version == 4


@given(st.sampled_from(sorted(OPEN_STATUSES)))
def test_unmerge_gives_back_the_status_merged_from(status: Status) -> None:
    merged = RequestState(status=status, version=1).apply(A.MERGE)
    assert merged.status is S.MERGED
    assert merged.apply(A.UNMERGE, restore=status).status is status
    with pytest.raises(IllegalTransition):
        merged.apply(A.UNMERGE)
    with pytest.raises(IllegalTransition):
        merged.apply(A.UNMERGE, restore=S.CLOSED)


@pytest.mark.parametrize(("status", "action"), [p for p in ALL_PAIRS if p not in EXPECTED], ids=str)
def test_every_forbidden_transition(status: Status, action: Action) -> None:
    state = RequestState(status=status, version=3)
    with pytest.raises(IllegalTransition):
        state.apply(action)
    with pytest.raises(IllegalTransition):
        next_status(status, action)


def test_feedback_only_once_until_reopened() -> None:
    rated = RequestState(status=S.RESOLVED, version=1).apply(A.FEEDBACK)
    assert rated.rated
    with pytest.raises(IllegalTransition):
        rated.apply(A.FEEDBACK)
    reopened = rated.apply(A.REOPEN)
    assert not reopened.rated


def test_escalation_drops_the_handler_and_assignment_sets_it() -> None:
    assigned = RequestState(status=S.ACCEPTED, version=1).apply(A.ASSIGN, handler_member_id="m-7")
    assert assigned.handler_member_id == "m-7"
    assert assigned.apply(A.ESCALATE).handler_member_id is None


def test_closed_is_final_except_for_reopening() -> None:
    assert allowed_actions(S.CLOSED) == [A.REOPEN]


def test_every_open_status_can_escalate_and_nothing_closed_can() -> None:
    for status in Status:
        assert (A.ESCALATE in allowed_actions(status)) == (status in OPEN_STATUSES)


@given(st.lists(st.sampled_from(list(Action)), max_size=60), st.sampled_from(list(Status)))
def test_random_action_sequences_stay_defined_and_versions_grow(
    actions: list[Action], start: Status
) -> None:
    state = RequestState(status=start, version=1)
    for action in actions:
        before = state
        try:
            state = state.apply(action, handler_member_id="m-1")
        except IllegalTransition:
            assert state is before
            continue
        assert state.status in set(Status)
        assert state.version == before.version + 1
        assert (before.status, action) in TRANSITIONS
