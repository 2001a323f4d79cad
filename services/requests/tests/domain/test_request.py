"""The request aggregate: transitions through the machine, the history and events they raise."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grassroots.contracts.events.requests import (
    RequestAccepted,
    RequestAssigned,
    RequestChased,
)
from grassroots.requests.domain.machine import Action, IllegalTransition, Status, allowed_actions
from grassroots.requests.domain.request import Change, Request

NOW = datetime(2031, 3, 3, 9, 0, tzinfo=UTC)
VILLAGE = "110101001001"


def stored(**overrides: Any) -> dict[str, Any]:
    """A stored request row with the columns the aggregate reads."""
    row: dict[str, Any] = {
        "id": "r-1",
        "status": Status.SUBMITTED.value,
        "version": 1,
        "handler_member_id": None,
        "rating": None,
        "paused_from": None,
        "open_co_tasks": 0,
        "org_unit_id": "u-village",
        "org_area_code": VILLAGE,
        "area_code": VILLAGE,
        "service_code": "civil.subsidy",
        "due_at": NOW + timedelta(days=5),
        "accepted_by": None,
    }
    row.update(overrides)
    return row


def test_a_transition_grows_the_version_and_notes_history_and_event() -> None:
    req = Request(stored())
    req.transition(
        Action.ACCEPT, actor="cadre-1", at=NOW, change=Change(values={"accepted_by": "cadre-1"})
    )
    assert req.status is Status.ACCEPTED
    assert req.row["version"] == 2 and req.loaded_version == 1
    assert req.changed == {
        "status": "accepted",
        "version": 2,
        "handler_member_id": None,
        "paused_from": None,
        "updated_at": NOW,
        "accepted_by": "cadre-1",
    }
    [entry] = req.history
    assert (entry["action"], entry["from_status"], entry["to_status"]) == (
        "accept",
        "submitted",
        "accepted",
    )
    assert entry["version"] == 2 and entry["actor"] == "cadre-1"
    [event] = req.pull_events()
    assert isinstance(event.data, RequestAccepted)
    assert event.data.version == 2 and event.data.status == "accepted"
    assert (event.area_code, event.aggregate_id, event.actor) == (VILLAGE, "r-1", "cadre-1")
    assert req.pull_events() == []


def test_the_loaded_row_is_not_changed() -> None:
    row = stored()
    Request(row).transition(Action.ACCEPT, actor="c", at=NOW)
    assert row["status"] == "submitted" and row["version"] == 1


def test_a_refused_transition_changes_nothing() -> None:
    req = Request(stored(status=Status.CLOSED.value))
    with pytest.raises(IllegalTransition):
        req.transition(Action.ACCEPT, actor="c", at=NOW)
    assert req.changed == {} and req.history == [] and req.pull_events() == []


def test_history_and_event_names_may_differ_from_the_action() -> None:
    req = Request(stored(status=Status.ACCEPTED.value))
    req.transition(
        Action.ASSIGN,
        actor="c",
        at=NOW,
        handler_member_id="m-1",
        change=Change(note="handler m-1", history_action="assign"),
    )
    [event] = req.pull_events()
    assert isinstance(event.data, RequestAssigned) and event.data.handler_member_id == "m-1"
    assert req.history[0]["note"] == "handler m-1"


def test_a_recorded_step_keeps_the_status_and_grows_the_version() -> None:
    req = Request(stored(status=Status.IN_PROGRESS.value, version=4))
    req.record("chased", actor="system", at=NOW, change=Change(values={"chased_at": NOW}))
    assert req.status is Status.IN_PROGRESS
    assert req.changed == {"chased_at": NOW, "version": 5, "updated_at": NOW}
    assert req.history[0]["from_status"] == req.history[0]["to_status"] == "in_progress"
    [event] = req.pull_events()
    assert isinstance(event.data, RequestChased) and event.data.version == 5


# Actions whose events carry nothing beyond the request's own fields.
PLAIN = [Action.ACCEPT, Action.ASSIGN, Action.START, Action.RESOLVE, Action.CLOSE, Action.REOPEN]


@settings(deadline=None)
@given(st.lists(st.sampled_from(PLAIN), max_size=12))
def test_every_allowed_step_grows_the_version_by_one(actions: list[Action]) -> None:
    req = Request(stored())
    for action in actions:
        if action not in allowed_actions(req.status):
            continue
        before = req.row["version"]
        try:
            req.transition(action, actor="c", at=NOW, handler_member_id="m-1")
        except IllegalTransition:
            continue
        assert req.row["version"] == before + 1
    assert [h["version"] for h in req.history] == list(range(2, 2 + len(req.history)))
    versions = [getattr(e.data, "version", None) for e in req.pull_events()]
    assert versions == [h["version"] for h in req.history]
