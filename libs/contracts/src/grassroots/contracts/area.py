"""China's 12-digit statistical area codes and the tiers of the organisation tree."""

from __future__ import annotations

import re
from enum import StrEnum
from functools import lru_cache
from typing import Annotated

from pydantic import AfterValidator

ROOT_AREA = "000000000000"
_AREA_RE = re.compile(r"^\d{12}$")
# (start, end) of each level's digits: province, city, county, township, village.
LEVEL_SLICES: tuple[tuple[int, int], ...] = ((0, 2), (2, 4), (4, 6), (6, 9), (9, 12))


class Tier(StrEnum):
    """Tiers of the organisation tree, top to bottom."""

    ROOT = "root"
    PROVINCE = "province"
    CITY = "city"
    COUNTY = "county"
    TOWNSHIP = "township"
    VILLAGE = "village"
    GRID = "grid"


# How many leading levels of the area code a tier fills in (a grid sits inside its village's code).
TIER_DEPTH: dict[Tier, int] = {
    Tier.ROOT: 0,
    Tier.PROVINCE: 1,
    Tier.CITY: 2,
    Tier.COUNTY: 3,
    Tier.TOWNSHIP: 4,
    Tier.VILLAGE: 5,
    Tier.GRID: 5,
}
_DEPTH_TIER = {0: Tier.ROOT, 1: Tier.PROVINCE, 2: Tier.CITY, 3: Tier.COUNTY, 4: Tier.TOWNSHIP}


def check_area_code(value: str) -> str:
    """Return the code if it is 12 digits whose absent levels are all zeros, else raise."""
    if not isinstance(value, str):
        raise ValueError("area code must be exactly 12 digits")
    return _checked_area_code(value)


@lru_cache(maxsize=65536)
def _checked_area_code(value: str) -> str:
    if not _AREA_RE.match(value):
        raise ValueError("area code must be exactly 12 digits")
    levels = split_levels(value)
    seen_zero = False
    for level in levels:
        is_zero = set(level) == {"0"}
        if seen_zero and not is_zero:
            raise ValueError("area code has a lower level under an absent one")
        seen_zero = seen_zero or is_zero
    return value


AreaCode = Annotated[str, AfterValidator(check_area_code)]


def split_levels(area_code: str) -> list[str]:
    """Split a 12-digit code into its five level tokens, e.g. ['23', '03', '21', '000', '000']."""
    return [area_code[a:b] for a, b in LEVEL_SLICES]


def area_depth(area_code: str) -> int:
    """Number of levels the code fills in (0 for the root, 5 for a village)."""
    depth = 0
    for level in split_levels(area_code):
        if set(level) == {"0"}:
            break
        depth += 1
    return depth


def area_tier(area_code: str) -> Tier:
    """The deepest tier a code names (a village code answers `village`)."""
    depth = area_depth(check_area_code(area_code))
    return _DEPTH_TIER.get(depth, Tier.VILLAGE)


def area_prefix(area_code: str) -> str:
    """The significant digits of a code: '230321' for a county, '' for the root."""
    depth = area_depth(area_code)
    return area_code[: LEVEL_SLICES[depth - 1][1]] if depth else ""


def is_within(child: str, parent: str) -> bool:
    """True when `child` lies inside (or is) the area `parent` names."""
    return child.startswith(area_prefix(parent))


def fits_tier(area_code: str, tier: Tier) -> bool:
    """True when the code fills in exactly the levels the tier needs."""
    return area_depth(area_code) == TIER_DEPTH[tier]


def county_of(area_code: str) -> str:
    """The county an area lies in (its first six digits); a city or province keeps its own code."""
    return area_code[:6] + "000000"


def parent_area_codes(area_code: str) -> list[str]:
    """Codes of every enclosing area from the root down to (not including) this one."""
    depth = area_depth(area_code)
    out = []
    for d in range(depth):
        end = LEVEL_SLICES[d - 1][1] if d else 0
        out.append(area_code[:end].ljust(12, "0"))
    return out


def filter_prefix(area_filter: str) -> str:
    """Turn a dotted filter such as '23.03.21' into a code prefix '230321' (validated)."""
    if not area_filter:
        return ""
    tokens = area_filter.split(".")
    if len(tokens) > len(LEVEL_SLICES):
        raise ValueError(f"area filter {area_filter!r} has too many levels")
    for token, (a, b) in zip(tokens, LEVEL_SLICES, strict=False):
        if len(token) != b - a or not token.isdigit():
            raise ValueError(f"area filter {area_filter!r}: level {token!r} must be {b - a} digits")
    return "".join(tokens)
