"""The handling state machine: every allowed and forbidden transition, and random walks."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from grassroots.requests.domain.machine import (
    CLOCK_RUNNING,
    OPEN_STATUSES,
    RESTORES_PREVIOUS,
    TRANSITIONS,
    Action,
    IllegalTransition,
    OpenCoTasks,
    RequestState,
    Status,
    allowed_actions,
    next_status,
)
from grassroots.requests.domain.wording import STATUS_TEXT, STEP_TEXT

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
    # Dispatch and return (派单, 退单).
    (S.DISPATCHED, A.ACCEPT): S.ACCEPTED,
    (S.DISPATCHED, A.ESCALATE): S.ESCALATED,
    (S.RETURNED, A.ESCALATE): S.ESCALATED,
    (S.SUBMITTED, A.DISPATCH): S.DISPATCHED,
    (S.ESCALATED, A.DISPATCH): S.DISPATCHED,
    (S.REOPENED, A.DISPATCH): S.DISPATCHED,
    (S.ACCEPTED, A.DISPATCH): S.DISPATCHED,
    (S.ASSIGNED, A.DISPATCH): S.DISPATCHED,
    (S.IN_PROGRESS, A.DISPATCH): S.DISPATCHED,
    (S.EXPLAINED, A.DISPATCH): S.DISPATCHED,
    (S.DISPATCHED, A.RETURN): S.RETURNED,
    (S.RETURNED, A.UPHOLD_RETURN): S.ACCEPTED,
    (S.RETURNED, A.REJECT_RETURN): S.ACCEPTED,
    # Waiting for the citizen: from any working status; resume goes back (see below).
    (S.ACCEPTED, A.WAIT): S.WAITING,
    (S.ASSIGNED, A.WAIT): S.WAITING,
    (S.IN_PROGRESS, A.WAIT): S.WAITING,
    (S.EXPLAINED, A.WAIT): S.WAITING,
    (S.WAITING, A.RESUME): S.WAITING,
    # Merging a repeat report: from whatever the holder holds.
    **{
        (s, A.MERGE): S.MERGED
        for s in (S.SUBMITTED, S.ESCALATED, S.REOPENED, S.ACCEPTED, S.ASSIGNED, S.IN_PROGRESS)
    },
    (S.EXPLAINED, A.MERGE): S.MERGED,
    # The table keeps the request merged; apply gives back the status it was merged from.
    (S.MERGED, A.UNMERGE): S.MERGED,
}
ALL_PAIRS = [(s, a) for s in Status for a in Action]


def test_the_table_is_exactly_the_workflow() -> None:
    assert TRANSITIONS == EXPECTED


@pytest.mark.parametrize(("status", "action"), sorted(EXPECTED, key=str))
def test_every_allowed_transition(status: Status, action: Action) -> None:
    state = RequestState(status=status, version=3, paused_from=S.IN_PROGRESS)
    after = state.apply(action, handler_member_id="m-1", restore=S.IN_PROGRESS)
    expected = (
        S.IN_PROGRESS if (status, action) in RESTORES_PREVIOUS else EXPECTED[(status, action)]
    )
    assert after.status is expected
    assert after.version == 4


@given(st.sampled_from(sorted({s for (s, a) in EXPECTED if a is A.MERGE})))
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


def test_every_status_whose_clock_runs_can_escalate_and_nothing_else_can() -> None:
    for status in Status:
        assert (A.ESCALATE in allowed_actions(status)) == (status in CLOCK_RUNNING)


def test_only_waiting_stops_the_clock_of_an_open_request() -> None:
    assert {S.WAITING} == OPEN_STATUSES - CLOCK_RUNNING


@pytest.mark.parametrize("status", [S.ACCEPTED, S.ASSIGNED, S.IN_PROGRESS, S.EXPLAINED])
def test_resume_goes_back_to_the_status_before_the_pause(status: Status) -> None:
    waiting = RequestState(status=status, version=1, handler_member_id="m-1").apply(A.WAIT)
    assert waiting.status is S.WAITING
    assert waiting.paused_from is status
    resumed = waiting.apply(A.RESUME)
    assert resumed.status is status
    assert resumed.paused_from is None
    assert resumed.handler_member_id == "m-1"


def test_a_waiting_request_cannot_be_worked_resolved_or_escalated() -> None:
    assert allowed_actions(S.WAITING) == [A.RESUME]


def test_a_dispatched_request_is_signed_for_returned_or_escalated_only() -> None:
    assert set(allowed_actions(S.DISPATCHED)) == {A.ACCEPT, A.RETURN, A.ESCALATE}


def test_a_returned_request_waits_for_the_dispatchers_decision() -> None:
    assert set(allowed_actions(S.RETURNED)) == {A.UPHOLD_RETURN, A.REJECT_RETURN, A.ESCALATE}


def test_dispatch_and_an_upheld_return_leave_the_next_holder_to_name_a_handler() -> None:
    handled = RequestState(status=S.IN_PROGRESS, version=1, handler_member_id="m-1")
    dispatched = handled.apply(A.DISPATCH)
    assert dispatched.handler_member_id is None
    back = dispatched.apply(A.RETURN).apply(A.UPHOLD_RETURN)
    assert back.status is S.ACCEPTED
    assert back.handler_member_id is None


@pytest.mark.parametrize("status", [S.IN_PROGRESS, S.EXPLAINED])
def test_an_open_helper_task_blocks_resolving(status: Status) -> None:
    state = RequestState(status=status, version=1, open_co_tasks=1)
    with pytest.raises(OpenCoTasks):
        state.apply(A.RESOLVE)
    assert RequestState(status=status, version=1).apply(A.RESOLVE).status is S.RESOLVED


@given(st.integers(min_value=1, max_value=20), st.sampled_from(list(Status)))
def test_open_helper_tasks_allow_every_action_but_resolve(open_tasks: int, status: Status) -> None:
    state = RequestState(status=status, version=1, open_co_tasks=open_tasks)
    for action in allowed_actions(status):
        if action is A.RESOLVE:
            with pytest.raises(OpenCoTasks):
                state.apply(action)
        else:
            assert state.apply(action, restore=S.ACCEPTED).version == 2


@given(st.lists(st.sampled_from(list(Action)), max_size=60), st.sampled_from(list(Status)))
def test_random_action_sequences_stay_defined_and_versions_grow(
    actions: list[Action], start: Status
) -> None:
    state = RequestState(status=start, version=1)
    pauses = 0
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
        # Only a waiting request remembers where it paused, and it never waits twice over.
        assert (state.paused_from is not None) == (state.status is S.WAITING)
        assert state.paused_from is not S.WAITING
        pauses += action is A.WAIT


def test_every_action_and_status_has_plain_words_for_citizens() -> None:
    assert set(STATUS_TEXT) >= {s.value for s in Status}
    scanner_and_side_steps = {
        "submit",
        "overdue",
        "chased",
        "supervised",
        "callback",
        "co_handler_added",
        "co_task_done",
        "co_task_scored",
        "extension_requested",
        "extension_decided",
    }
    assert set(STEP_TEXT) >= {a.value for a in Action} | scanner_and_side_steps
