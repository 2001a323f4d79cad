"""Housekeeping nobody should have to remember: transfer letters past their validity close.

A letter is valid 90 days; one neither accepted nor otherwise decided by then is closed as
`expired` by the system, exactly as the sending organisation would close it by hand, with its
event. Safe with several replicas: each letter is locked (skipping locked ones) and checked
again before it is closed, so it is closed once.
"""

from __future__ import annotations

import logging

from grassroots.contracts.area import ROOT_AREA
from grassroots.kit import clock
from grassroots.kit.app import Runtime
from grassroots.kit.auth import Principal
from grassroots.kit.problems import ProblemError
from grassroots.members.adapters import transfers as repo
from grassroots.members.service.commands import DecisionIn
from grassroots.members.service.deps import Deps
from grassroots.members.service.transfers import decide_transfer

log = logging.getLogger(__name__)

SYSTEM = Principal(sub="system:transfer-expiry", role="platform_admin", org=ROOT_AREA)
NOTE = "closed automatically: the letter's validity ran out"


async def expire_overdue_letters(runtime: Runtime, deps: Deps, *, limit: int = 500) -> int:
    """Close every issued letter whose validity ended before today; how many were closed."""
    today = clock.today()
    async with runtime.db.read_only() as session:
        due = await repo.overdue_letter_ids(session, today, limit)
    closed = 0
    for transfer_id in due:
        try:
            async with runtime.db.transaction() as session:
                claimed = await repo.claim_issued_letter(
                    session, transfer_id, skip_locked=not runtime.db.is_sqlite
                )
                if not claimed:
                    continue  # decided meanwhile, or another replica is closing it
                await decide_transfer(
                    session, deps, SYSTEM, transfer_id, "expire", DecisionIn(note=NOTE)
                )
        except ProblemError as exc:
            # Rolled back whole; the next sweep tries again.
            log.warning("transfer %s not expired: %s", transfer_id, exc.detail)
            continue
        closed += 1
    if closed:
        log.info("closed %d transfer letters past their validity", closed)
    return closed
