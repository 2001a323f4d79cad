"""The handling state machine of a citizen's request: one table of allowed transitions."""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum


class Status(StrEnum):
    """Where a request stands (the status values of DESIGN.md)."""

    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    ASSIGNED = "assigned"
    IN_PROGRESS = "in_progress"
    ESCALATED = "escalated"
    EXPLAINED = "explained"
    RESOLVED = "resolved"
    CLOSED = "closed"
    REOPENED = "reopened"
    # Handed to a unit below (派单), waiting for it to sign for it (accept) or return it.
    DISPATCHED = "dispatched"
    # Sent back by the receiving unit (退单), held by the dispatcher until it decides.
    RETURNED = "returned"
    # Waiting for the citizen (materials, unreachable): the SLA clock is stopped.
    WAITING = "waiting"


class Action(StrEnum):
    """What may be done to a request."""

    ACCEPT = "accept"
    ASSIGN = "assign"
    START = "start"
    ESCALATE = "escalate"
    EXPLAIN = "explain"
    RESOLVE = "resolve"
    FEEDBACK = "feedback"
    REOPEN = "reopen"
    CLOSE = "close"
    DISPATCH = "dispatch"
    RETURN = "return"
    UPHOLD_RETURN = "uphold_return"
    REJECT_RETURN = "reject_return"
    WAIT = "wait"
    RESUME = "resume"


S, A = Status, Action
# Everything still to be worked on.
OPEN_STATUSES: frozenset[Status] = frozenset(
    {
        S.SUBMITTED,
        S.ACCEPTED,
        S.ASSIGNED,
        S.IN_PROGRESS,
        S.ESCALATED,
        S.EXPLAINED,
        S.REOPENED,
        S.DISPATCHED,
        S.RETURNED,
        S.WAITING,
    }
)
# Open requests whose clock runs: the SLA scanner watches these (a paused one cannot breach).
CLOCK_RUNNING: frozenset[Status] = OPEN_STATUSES - {S.WAITING}
# Statuses a new holder must take on before working (after intake, escalation or reopening).
_WAITING = (S.SUBMITTED, S.ESCALATED, S.REOPENED)
_WORKING = (S.ACCEPTED, S.ASSIGNED, S.IN_PROGRESS, S.EXPLAINED)
# A holder may hand on what it holds, not what is on its way to someone else or paused.
_HELD = (*_WAITING, *_WORKING)

TRANSITIONS: dict[tuple[Status, Action], Status] = {
    **{(s, A.ACCEPT): S.ACCEPTED for s in _WAITING},
    # The receiving unit signs for a dispatched request (签收).
    (S.DISPATCHED, A.ACCEPT): S.ACCEPTED,
    **{(s, A.ASSIGN): S.ASSIGNED for s in _WORKING},
    # The accepting cadre may start at once and so becomes the handler.
    **{(s, A.START): S.IN_PROGRESS for s in (S.ACCEPTED, S.ASSIGNED, S.EXPLAINED)},
    # 本级不能解决的报上级: wherever the clock runs (the scanner escalates breaches), also
    # again from the level above.
    **{(s, A.ESCALATE): S.ESCALATED for s in CLOCK_RUNNING},
    # 一时解决不了的及时说明情况.
    **{(s, A.EXPLAIN): S.EXPLAINED for s in (S.ACCEPTED, S.ASSIGNED, S.IN_PROGRESS)},
    **{(s, A.RESOLVE): S.RESOLVED for s in (S.IN_PROGRESS, S.EXPLAINED)},
    # The rating is recorded on the resolved request; an unsatisfied one then reopens it.
    (S.RESOLVED, A.FEEDBACK): S.RESOLVED,
    (S.RESOLVED, A.REOPEN): S.REOPENED,
    (S.CLOSED, A.REOPEN): S.REOPENED,
    (S.RESOLVED, A.CLOSE): S.CLOSED,
    # 派单: the holder hands it to a unit below or to a functional department.
    **{(s, A.DISPATCH): S.DISPATCHED for s in _HELD},
    # 退单 before signing; the dispatcher then upholds (keeps it, to handle or re-dispatch)
    # or rejects (it goes back to the returning unit as signed for).
    (S.DISPATCHED, A.RETURN): S.RETURNED,
    (S.RETURNED, A.UPHOLD_RETURN): S.ACCEPTED,
    (S.RETURNED, A.REJECT_RETURN): S.ACCEPTED,
    **{(s, A.WAIT): S.WAITING for s in _WORKING},
    # Resuming goes back to the status before the pause (RequestState.paused_from).
    (S.WAITING, A.RESUME): S.WAITING,
}
# Transitions whose target is the status the request had before, not a fixed one.
RESTORES_PREVIOUS: frozenset[tuple[Status, Action]] = frozenset({(S.WAITING, A.RESUME)})


class IllegalTransition(Exception):
    """The action is not allowed in the request's current status."""

    def __init__(self, status: Status, action: Action) -> None:
        super().__init__(f"cannot {action.value} a request that is {status.value}")
        self.status = status
        self.action = action


class OpenCoTasks(IllegalTransition):
    """The lead cannot resolve while a helper unit's task is open."""

    def __init__(self, status: Status, count: int) -> None:
        super().__init__(status, Action.RESOLVE)
        self.args = (f"{count} helper task(s) still open: close them with a reason first",)
        self.count = count


def allowed_actions(status: Status) -> list[Action]:
    """The actions allowed from `status`, in table order."""
    return [action for (source, action) in TRANSITIONS if source == status]


def next_status(status: Status, action: Action) -> Status:
    """The status `action` leads to from `status`; raise IllegalTransition when not allowed."""
    try:
        return TRANSITIONS[(status, action)]
    except KeyError:
        raise IllegalTransition(status, action) from None


@dataclass(frozen=True)
class RequestState:
    """The parts of a request the state machine reasons about."""

    status: Status
    version: int
    handler_member_id: str | None = None
    rated: bool = False
    # The status to go back to on resume, while waiting.
    paused_from: Status | None = None
    # Helper units' tasks still open (协办): the lead cannot resolve while any is.
    open_co_tasks: int = 0

    def apply(self, action: Action, *, handler_member_id: str | None = None) -> RequestState:
        """The state after `action`; the version always grows by one."""
        if action is Action.FEEDBACK and self.rated:
            raise IllegalTransition(self.status, action)
        if action is Action.RESOLVE and self.open_co_tasks:
            raise OpenCoTasks(self.status, self.open_co_tasks)
        status = next_status(self.status, action)
        paused_from = self.paused_from
        if (self.status, action) in RESTORES_PREVIOUS:
            status = self.paused_from or Status.ACCEPTED
            paused_from = None
        elif action is Action.WAIT:
            paused_from = self.status
        handler = self.handler_member_id
        if action in (Action.ASSIGN, Action.START) and handler_member_id is not None:
            handler = handler_member_id
        if action in (Action.ESCALATE, Action.DISPATCH, Action.UPHOLD_RETURN):
            # The unit that holds it next names its own handler.
            handler = None
        rated = self.rated
        if action is Action.FEEDBACK:
            rated = True
        elif action is Action.REOPEN:
            rated = False
        return replace(
            self,
            status=status,
            version=self.version + 1,
            handler_member_id=handler,
            rated=rated,
            paused_from=paused_from,
        )
