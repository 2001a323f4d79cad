"""Membership lifecycle: applicant → activist → candidate → probationary → full, then exit."""

from __future__ import annotations

import calendar
from dataclasses import dataclass, replace
from datetime import date
from typing import Literal

Stage = Literal["applicant", "activist", "candidate", "probationary", "full"]
ExitReason = Literal["voluntary", "removed", "lost_contact", "deceased", "other"]
STAGES: tuple[Stage, ...] = ("applicant", "activist", "candidate", "probationary", "full")
PROBATION_MONTHS = 12
MAX_EXTENSION_MONTHS = 12

# The only forward moves, each with the months the member must have spent in the stage before.
# Probation's minimum is the member's own `probation_months` (12, or more once extended).
ADVANCES: dict[tuple[Stage, Stage], int | None] = {
    ("applicant", "activist"): 0,
    ("activist", "candidate"): 12,
    ("candidate", "probationary"): 0,
    ("probationary", "full"): None,
}


class IllegalTransition(ValueError):
    """The lifecycle does not allow this move now (answered 409)."""


def add_months(day: date, months: int) -> date:
    """The same day `months` later, clamped to the month's end (29 Feb + 12 → 28 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class Lifecycle:
    """Where a member stands: stage, since when, probation length, and whether they left."""

    stage: Stage
    since: date
    probation_months: int = PROBATION_MONTHS
    exited: bool = False
    exit_reason: ExitReason | None = None

    @property
    def probation_extended(self) -> bool:
        """True once the probation was extended (it may be only once)."""
        return self.probation_months > PROBATION_MONTHS

    def earliest_next(self) -> date | None:
        """The first day the member may move to the next stage (None at the last stage)."""
        index = STAGES.index(self.stage)
        if index == len(STAGES) - 1:
            return None
        wait = ADVANCES[(self.stage, STAGES[index + 1])]
        return add_months(self.since, self.probation_months if wait is None else wait)


def _require_active(state: Lifecycle) -> None:
    if state.exited:
        raise IllegalTransition("the member has exited; the record is closed")


def advance(state: Lifecycle, to: Stage, on: date) -> Lifecycle:
    """Move to the next stage on `on`, or raise IllegalTransition."""
    _require_active(state)
    if (state.stage, to) not in ADVANCES:
        raise IllegalTransition(f"{state.stage} → {to} is not a step of the lifecycle")
    if on < state.since:
        raise IllegalTransition(f"{on.isoformat()} is before the current stage began")
    earliest = state.earliest_next()
    if earliest is not None and on < earliest:
        raise IllegalTransition(
            f"{state.stage} → {to} is allowed from {earliest.isoformat()} "
            "(minimum time in the stage not yet served)"
        )
    return Lifecycle(stage=to, since=on, probation_months=PROBATION_MONTHS)


def extend_probation(state: Lifecycle, months: int) -> Lifecycle:
    """Extend a probation once, by 1 to 12 months, or raise IllegalTransition."""
    _require_active(state)
    if state.stage != "probationary":
        raise IllegalTransition("only a probationary member's probation can be extended")
    if state.probation_extended:
        raise IllegalTransition("a probation can be extended only once")
    if not 1 <= months <= MAX_EXTENSION_MONTHS:
        raise IllegalTransition(f"an extension is 1 to {MAX_EXTENSION_MONTHS} months")
    return replace(state, probation_months=PROBATION_MONTHS + months)


def exit_membership(state: Lifecycle, reason: ExitReason) -> Lifecycle:
    """Close the record with a reason, or raise IllegalTransition when already closed."""
    _require_active(state)
    return replace(state, exited=True, exit_reason=reason)
