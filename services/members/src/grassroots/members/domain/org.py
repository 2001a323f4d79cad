"""Rules of the organisation tree: a unit's code fits its tier and lies inside its parent's."""

from __future__ import annotations

from dataclasses import dataclass

from grassroots.contracts.area import Tier, area_prefix, fits_tier, is_within

TIER_ORDER = [Tier.PROVINCE, Tier.CITY, Tier.COUNTY, Tier.TOWNSHIP, Tier.VILLAGE, Tier.GRID]


@dataclass(frozen=True)
class UnitPlacement:
    """What is checked when a unit is placed in the tree."""

    area_code: str
    tier: Tier


class PlacementError(ValueError):
    """A unit cannot sit where it was asked to; `field` names the offending input."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def check_placement(unit: UnitPlacement, parent: UnitPlacement | None) -> None:
    """Raise PlacementError unless the unit's code fits its tier and its parent's subtree."""
    if not fits_tier(unit.area_code, unit.tier):
        raise PlacementError(
            "area_code",
            f"{unit.area_code} does not fit tier {unit.tier.value}: "
            "the levels below the tier must be zeros and the tier's own level filled in",
        )
    if parent is None:
        return
    if TIER_ORDER.index(unit.tier) < TIER_ORDER.index(parent.tier):
        raise PlacementError(
            "tier", f"a {unit.tier.value} unit cannot sit under a {parent.tier.value} unit"
        )
    if not is_within(unit.area_code, parent.area_code):
        raise PlacementError(
            "area_code",
            f"{unit.area_code} lies outside the parent's area {parent.area_code}",
        )
    if unit.tier == parent.tier and area_prefix(unit.area_code) != area_prefix(parent.area_code):
        raise PlacementError("area_code", "a unit of the parent's tier must share its area code")
