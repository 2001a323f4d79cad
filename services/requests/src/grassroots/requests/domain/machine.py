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
    MERGED = "merged"


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
    MERGE = "merge"
    UNMERGE = "unmerge"


S, A = Status, Action
# Everything still to be worked on: the SLA scanner watches these.
OPEN_STATUSES: frozenset[Status] = frozenset(
    {S.SUBMITTED, S.ACCEPTED, S.ASSIGNED, S.IN_PROGRESS, S.ESCALATED, S.EXPLAINED, S.REOPENED}
)
# Statuses a new holder must take on before working (after intake, escalation or reopening).
_WAITING = (S.SUBMITTED, S.ESCALATED, S.REOPENED)
_WORKING = (S.ACCEPTED, S.ASSIGNED, S.IN_PROGRESS, S.EXPLAINED)

TRANSITIONS: dict[tuple[Status, Action], Status] = {
    **{(s, A.ACCEPT): S.ACCEPTED for s in _WAITING},
    **{(s, A.ASSIGN): S.ASSIGNED for s in _WORKING},
    # The accepting cadre may start at once and so becomes the handler.
    **{(s, A.START): S.IN_PROGRESS for s in (S.ACCEPTED, S.ASSIGNED, S.EXPLAINED)},
    # 本级不能解决的报上级: from any open status, also again from the level above.
    **{(s, A.ESCALATE): S.ESCALATED for s in OPEN_STATUSES},
    # 一时解决不了的及时说明情况.
    **{(s, A.EXPLAIN): S.EXPLAINED for s in (S.ACCEPTED, S.ASSIGNED, S.IN_PROGRESS)},
    **{(s, A.RESOLVE): S.RESOLVED for s in (S.IN_PROGRESS, S.EXPLAINED)},
    # The rating is recorded on the resolved request; an unsatisfied one then reopens it.
    (S.RESOLVED, A.FEEDBACK): S.RESOLVED,
    (S.RESOLVED, A.REOPEN): S.REOPENED,
    (S.CLOSED, A.REOPEN): S.REOPENED,
    (S.RESOLVED, A.CLOSE): S.CLOSED,
    # A repeat report of an open matter follows the main request (重复件合并).
    **{(s, A.MERGE): S.MERGED for s in OPEN_STATUSES},
    # Undoing a merge gives back the status the request had before (RequestState.apply).
    (S.MERGED, A.UNMERGE): S.MERGED,
}


class IllegalTransition(Exception):
    """The action is not allowed in the request's current status."""

    def __init__(self, status: Status, action: Action) -> None:
        super().__init__(f"cannot {action.value} a request that is {status.value}")
        self.status = status
        self.action = action


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

    def apply(
        self,
        action: Action,
        *,
        handler_member_id: str | None = None,
        restore: Status | None = None,
    ) -> RequestState:
        """The state after `action`; the version always grows by one.

        `restore` is the status an unmerge gives back (the one the request was merged from).
        """
        if action is Action.FEEDBACK and self.rated:
            raise IllegalTransition(self.status, action)
        status = next_status(self.status, action)
        if action is Action.UNMERGE:
            if restore is None or restore not in OPEN_STATUSES:
                raise IllegalTransition(self.status, action)
            status = restore
        handler = self.handler_member_id
        if action in (Action.ASSIGN, Action.START) and handler_member_id is not None:
            handler = handler_member_id
        if action is Action.ESCALATE:
            # The unit above names its own handler.
            handler = None
        rated = self.rated
        if action is Action.FEEDBACK:
            rated = True
        elif action is Action.REOPEN:
            rated = False
        return replace(
            self, status=status, version=self.version + 1, handler_member_id=handler, rated=rated
        )
