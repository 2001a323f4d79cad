"""Schemes as stored JSON: versioned per county and name; `three-rates` is always there."""

from __future__ import annotations

from typing import Any

from grassroots.evaluation.domain.scoring import (
    DEFAULT_MIN_FEEDBACKS,
    DEFAULT_SCHEME,
    THREE_RATES,
    Deduction,
    Scheme,
)


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


def next_version(name: str, latest: int | None) -> int:
    """The version a new definition of `name` gets (the built-in default holds version 1)."""
    return int(latest or (1 if name == DEFAULT_SCHEME else 0)) + 1


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
