"""Structure statistics over an organisation subtree."""

from __future__ import annotations

from datetime import date
from typing import Any

from grassroots.kit import clock
from grassroots.kit.auth import Principal
from grassroots.kit.db import AsyncSession
from grassroots.members.adapters import statistics
from grassroots.members.domain.structure import Cell, band_cutoffs, summarise
from grassroots.members.service.deps import Deps
from grassroots.members.service.shared import load_unit


async def structure(
    session: AsyncSession, deps: Deps, principal: Principal, org_unit_id: str, as_of: date | None
) -> dict[str, Any]:
    """Counts of a subtree's active members by stage, education, gender and age band."""
    principal.require_role("viewer")
    unit = await load_unit(session, org_unit_id, field="org_unit")
    principal.require_area(unit.area_code)
    day = as_of or clock.today()
    cutoffs = band_cutoffs(day)
    rows = await statistics.structure_counts(session, unit.path, list(cutoffs))
    cells = [
        Cell(
            stage=r.stage,
            education=r.education,
            gender=r.gender,
            band=int(r.band),
            floating=bool(r.floating),
            lost_contact=bool(r.lost_contact),
            count=int(r[6]),
        )
        for r in rows
    ]
    result = summarise(cells, day)
    return {"org_unit_id": unit.id, **result.__dict__}
