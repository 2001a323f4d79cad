"""Visits (三访): a cadre's household visit; problems found become requests; monthly summary."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from uuid6 import uuid7

from grassroots.contracts.events.requests import VisitLogged
from grassroots.contracts.timezone import platform_zone
from grassroots.kit.clock import utcnow
from grassroots.kit.orgtree import OrgUnitView, unit_serving
from grassroots.kit.problems import Invalid, ProblemError
from grassroots.requests.adapters import repository
from grassroots.requests.domain.request import RaisedEvent
from grassroots.requests.service.context import RequestsContext
from grassroots.requests.service.events import add_events
from grassroots.requests.service.handling import Intake, take_in

SOLVED = ("resolved", "closed")


@dataclass
class VisitInput:
    """A visit as logged by a cadre."""

    visitor_member_id: str
    kind: str
    household: str
    area_code: str
    notes: str | None
    visited_at: datetime | None
    problems: list[Intake] = field(default_factory=list)


async def log_visit(ctx: RequestsContext, visit: VisitInput, *, actor: str) -> dict[str, Any]:
    """Record a visit and turn each problem into a request (channel `visit`), in one transaction."""
    visit_id = str(uuid7())
    now = utcnow()
    visited_at = visit.visited_at or now
    async with ctx.db.transaction() as session:
        unit = await unit_serving(session, visit.area_code)
        if unit is None:
            raise Invalid("area_code", f"no organisation unit serves area {visit.area_code} yet")
        request_ids = []
        for index, problem in enumerate(visit.problems):
            problem.visit_id = visit_id
            problem.channel = "visit"
            try:
                row = await take_in(ctx, session, problem, actor=actor)
            except ProblemError as exc:
                if exc.status == 422 and exc.errors:
                    raise Invalid(
                        f"problems.{index}.{exc.errors[0]['field']}", exc.errors[0]["message"]
                    ) from exc
                raise
            request_ids.append(row["id"])
        await repository.add_visit(
            session,
            {
                "id": visit_id,
                "visitor_member_id": visit.visitor_member_id,
                "org_unit_id": unit.id,
                "org_area_code": unit.area_code,
                "area_code": visit.area_code,
                "kind": visit.kind,
                "household_enc": ctx.cipher.encrypt(
                    visit.household, record_id=visit_id, field="household"
                ),
                "notes_enc": ctx.cipher.encrypt(visit.notes, record_id=visit_id, field="notes"),
                "month": visited_at.astimezone(platform_zone()).strftime("%Y-%m"),
                "visited_at": visited_at,
                "problem_request_ids": request_ids,
                "created_by": actor,
                "created_at": now,
            },
        )
        event = VisitLogged(
            visit_id=visit_id,
            visitor_member_id=visit.visitor_member_id,
            org_unit_id=unit.id,
            area_code=visit.area_code,
            kind=visit.kind,  # type: ignore[arg-type]
            visited_at=visited_at,
            problem_request_ids=request_ids,
            version=1,
            occurred_at=now,
        )
        await add_events(
            ctx.runtime.outbox, session, [RaisedEvent(event, unit.area_code, visit_id, actor)]
        )
    return {
        "id": visit_id,
        "org_unit_id": unit.id,
        "visitor_member_id": visit.visitor_member_id,
        "kind": visit.kind,
        "area_code": visit.area_code,
        "visited_at": visited_at,
        "problem_request_ids": request_ids,
    }


async def monthly_summary(ctx: RequestsContext, unit: OrgUnitView, month: str) -> dict[str, Any]:
    """Visits per cadre of the unit's subtree in a month, the quota, problems found and solved."""
    async with ctx.db.read_only() as session:
        rows = await repository.visits_in_month(session, month, unit.area_code)
        problem_ids = [pid for r in rows for pid in r.problem_request_ids]
        statuses = await repository.statuses_of(session, problem_ids)
    quota = ctx.settings.requests_visit_quota
    per_cadre: dict[str, dict[str, Any]] = defaultdict(
        lambda: {
            "visits": 0,
            "households": set(),
            "kinds": defaultdict(int),
            "found": 0,
            "solved": 0,
        }
    )
    for r in rows:
        entry = per_cadre[r.visitor_member_id]
        entry["visits"] += 1
        household = ctx.cipher.decrypt(r.household_enc, record_id=r.id, field="household")
        entry["households"].add((household or "").strip())
        entry["kinds"][r.kind] += 1
        entry["found"] += len(r.problem_request_ids)
        entry["solved"] += sum(statuses.get(pid) in SOLVED for pid in r.problem_request_ids)
    cadres = [
        {
            "visitor_member_id": member_id,
            "visits": e["visits"],
            "households": len(e["households"]),
            "by_kind": dict(e["kinds"]),
            "quota": quota,
            "quota_met": len(e["households"]) >= quota,
            "problems_found": e["found"],
            "problems_solved": e["solved"],
        }
        for member_id, e in sorted(per_cadre.items())
    ]
    return {
        "org_unit_id": unit.id,
        "month": month,
        "quota": quota,
        "visits": len(rows),
        "problems_found": len(problem_ids),
        "problems_solved": sum(s in SOLVED for s in statuses.values()),
        "cadres": cadres,
    }
