"""Propose, then decide once: bonus items, points items, exclusions and appeals."""

from __future__ import annotations

OUTCOMES = {
    "approve": "approved",
    "reject": "rejected",
    "uphold": "upheld",
    "dismiss": "dismissed",
}


class AlreadyDecided(Exception):
    """The item left its open state already; a decision is taken once."""

    def __init__(self, status: str) -> None:
        super().__init__(f"already {status}")
        self.status = status


def decided_status(current: str, decision: str, *, open_status: str) -> str:
    """The status a decision gives an open item; AlreadyDecided when it is not open."""
    if current != open_status:
        raise AlreadyDecided(current)
    return OUTCOMES[decision]
