"""Structure statistics: age bands, education levels and how counted cells add up."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from grassroots.members.domain.lifecycle import STAGES, add_months

Education = Literal[
    "primary_or_below",
    "junior_high",
    "senior_high",
    "vocational",
    "associate",
    "bachelor",
    "postgraduate",
]
EDUCATION_LEVELS: tuple[str, ...] = (
    "primary_or_below",
    "junior_high",
    "senior_high",
    "vocational",
    "associate",
    "bachelor",
    "postgraduate",
)
# 初中及以下: the share seed 001 quotes.
JUNIOR_HIGH_OR_BELOW = frozenset({"primary_or_below", "junior_high"})
# Lower age bound of each band; the first band starts at 0.
AGE_BANDS: tuple[tuple[str, int], ...] = (
    ("30_and_under", 0),
    ("31_35", 31),
    ("36_45", 36),
    ("46_55", 46),
    ("56_60", 56),
    ("61_70", 61),
    ("71_and_over", 71),
)
OVER_45_FROM_BAND = 3  # "45岁以上": 46 and older


def band_cutoffs(as_of: date) -> list[date]:
    """For each band after the first, the latest birth date of someone at least its age."""
    return [add_months(as_of, -12 * low) for _, low in AGE_BANDS[1:]]


def band_of(birth_date: date, as_of: date) -> int:
    """Index of the age band a birth date falls in on `as_of`."""
    index = 0
    for i, cutoff in enumerate(band_cutoffs(as_of), start=1):
        if birth_date <= cutoff:
            index = i
    return index


@dataclass(frozen=True)
class Cell:
    """Members sharing one combination of the counted attributes."""

    stage: str
    education: str | None
    gender: str
    band: int
    floating: bool
    lost_contact: bool
    count: int


@dataclass
class Structure:
    """The structure of a subtree's active members."""

    as_of: date
    total: int = 0
    by_stage: dict[str, int] = field(default_factory=dict)
    by_education: dict[str, int] = field(default_factory=dict)
    by_gender: dict[str, int] = field(default_factory=dict)
    age_bands: dict[str, int] = field(default_factory=dict)
    aged_over_45_ratio: float = 0.0
    junior_high_or_below_ratio: float = 0.0
    floating: int = 0
    floating_ratio: float = 0.0
    lost_contact: int = 0


def _ratio(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def summarise(cells: Iterable[Cell], as_of: date) -> Structure:
    """Add cells up into the answer: every stage, level and band appears, zeros included."""
    stages: Counter[str] = Counter(dict.fromkeys(STAGES, 0))
    education: Counter[str] = Counter(dict.fromkeys(EDUCATION_LEVELS, 0))
    genders: Counter[str] = Counter({"male": 0, "female": 0})
    bands = [0] * len(AGE_BANDS)
    total = floating = lost = 0
    for cell in cells:
        total += cell.count
        stages[cell.stage] += cell.count
        education[cell.education or "unknown"] += cell.count
        genders[cell.gender] += cell.count
        bands[cell.band] += cell.count
        floating += cell.count if cell.floating else 0
        lost += cell.count if cell.lost_contact else 0
    low_education = sum(education[e] for e in JUNIOR_HIGH_OR_BELOW)
    return Structure(
        as_of=as_of,
        total=total,
        by_stage=dict(stages),
        by_education=dict(education),
        by_gender=dict(genders),
        age_bands={name: bands[i] for i, (name, _) in enumerate(AGE_BANDS)},
        aged_over_45_ratio=_ratio(sum(bands[OVER_45_FROM_BAND:]), total),
        junior_high_or_below_ratio=_ratio(low_education, total),
        floating=floating,
        floating_ratio=_ratio(floating, total),
        lost_contact=lost,
    )
