"""Transfer letters of organisation relation (组织关系介绍信) and their states."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Literal

TransferStatus = Literal["issued", "accepted", "rejected", "revoked", "expired"]
TransferAction = Literal["accept", "reject", "revoke", "expire"]
LETTER_VALID_DAYS = 90

# The whole machine: only an issued letter moves, and every move is final.
TRANSITIONS: dict[tuple[TransferStatus, TransferAction], TransferStatus] = {
    ("issued", "accept"): "accepted",
    ("issued", "reject"): "rejected",
    ("issued", "revoke"): "revoked",
    ("issued", "expire"): "expired",
}


class TransferConflict(ValueError):
    """The letter cannot take this action in its state (answered 409)."""


@dataclass(frozen=True)
class TransferLetter:
    """A letter's state: who it moves from and to, until when it is valid, and its status."""

    from_org_unit_id: str
    to_org_unit_id: str
    issued_on: date
    valid_until: date
    status: TransferStatus = "issued"


def issue_letter(from_org_unit_id: str, to_org_unit_id: str, on: date) -> TransferLetter:
    """A new letter valid for 90 days; a member cannot be sent to the unit they are in."""
    if from_org_unit_id == to_org_unit_id:
        raise TransferConflict("the member already belongs to that unit")
    return TransferLetter(
        from_org_unit_id, to_org_unit_id, on, on + timedelta(days=LETTER_VALID_DAYS)
    )


def is_overdue(letter: TransferLetter, today: date) -> bool:
    """True when the letter is still open past its validity."""
    return letter.status == "issued" and today > letter.valid_until


def apply_action(letter: TransferLetter, action: TransferAction, today: date) -> TransferLetter:
    """The letter after `action` on `today`, or raise TransferConflict."""
    target = TRANSITIONS.get((letter.status, action))
    if target is None:
        raise TransferConflict(f"cannot {action} a letter that is {letter.status}")
    if action == "accept" and is_overdue(letter, today):
        raise TransferConflict(f"the letter expired on {letter.valid_until.isoformat()}")
    if action == "expire" and not is_overdue(letter, today):
        raise TransferConflict("the letter is still valid")
    return replace(letter, status=target)
