"""Schemes: stored per county, versioned by name; `three-rates` is always available."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from uuid6 import uuid7

from grassroots.evaluation.adapters.orm import schemes
from grassroots.evaluation.domain.scoring import (
    DEFAULT_MIN_FEEDBACKS,
    DEFAULT_SCHEME,
    THREE_RATES,
    Deduction,
    Scheme,
)
from grassroots.kit.clock import utcnow
from grassroots.kit.problems import NotFound


def county_of(area_code: str) -> str:
    """The county an area lies in (its first six digits); higher tiers keep their own code."""
    return area_code[:6] + "000000"


def scheme_to_definition(scheme: Scheme) -> dict[str, Any]:
    """A scheme as stored JSON."""
    return {
        "weights": dict(scheme.weights),
        "bonus_cap": scheme.bonus_cap,
        "deductions": [
            {"indicator": d.indicator, "points_each": d.points_each, "cap": d.cap}
            for d in scheme.deductions
        ],
        "grades": [{"grade": g, "min_score": s} for g, s in scheme.grades],
        "lowest_grade": scheme.lowest_grade,
        "min_feedbacks": scheme.min_feedbacks,
        "small_sample": scheme.small_sample,
    }


def scheme_from_definition(name: str, version: int, definition: dict[str, Any]) -> Scheme:
    """A stored scheme as the domain object."""
    return Scheme(
        name=name,
        version=version,
        weights={k: float(v) for k, v in definition["weights"].items()},
        bonus_cap=float(definition.get("bonus_cap", 5.0)),
        deductions=tuple(
            Deduction(d["indicator"], float(d["points_each"]), float(d["cap"]))
            for d in definition.get("deductions", [])
        ),
        grades=tuple((g["grade"], float(g["min_score"])) for g in definition.get("grades", [])),
        lowest_grade=str(definition.get("lowest_grade", "poor")),
        min_feedbacks=int(definition.get("min_feedbacks", DEFAULT_MIN_FEEDBACKS)),
        small_sample=(
            "list_apart"
            if definition.get("small_sample") == "list_apart"
            else "rank_on_other_rates"
        ),
    )


async def create_scheme(
    session: AsyncSession, county: str, name: str, definition: dict[str, Any], actor: str
) -> dict[str, Any]:
    """Store the next version of a named scheme for a county."""
    latest = await session.scalar(
        select(func.max(schemes.c.version)).where(
            schemes.c.county_area_code == county, schemes.c.name == name
        )
    )
    version = int(latest or (1 if name == DEFAULT_SCHEME else 0)) + 1
    row = {
        "id": str(uuid7()),
        "county_area_code": county,
        "name": name,
        "version": version,
        "definition": definition,
        "created_by": actor,
        "created_at": utcnow(),
    }
    await session.execute(insert(schemes).values(**row))
    return row


def builtin_row(county: str) -> dict[str, Any]:
    """The built-in default scheme as a row."""
    return {
        "id": f"builtin:{DEFAULT_SCHEME}",
        "county_area_code": county,
        "name": DEFAULT_SCHEME,
        "version": THREE_RATES.version,
        "definition": scheme_to_definition(THREE_RATES),
        "created_by": "builtin",
        "created_at": None,
    }


async def find_scheme(session: AsyncSession, county: str, name: str) -> Scheme:
    """The newest version of `name` for the county; the built-in default when none stored."""
    row = (
        await session.execute(
            select(schemes)
            .where(schemes.c.county_area_code == county, schemes.c.name == name)
            .order_by(schemes.c.version.desc())
            .limit(1)
        )
    ).first()
    if row is not None:
        return scheme_from_definition(row.name, row.version, row.definition)
    if name == DEFAULT_SCHEME:
        return THREE_RATES
    raise NotFound(f"no scheme {name!r} for county {county}")
