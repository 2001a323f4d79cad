"""Placement rules of the organisation tree (pure domain)."""

from __future__ import annotations

import pytest

from grassroots.contracts.area import Tier
from grassroots.members.domain.org import PlacementError, UnitPlacement, check_placement

COUNTY = UnitPlacement("230321000000", Tier.COUNTY)


def test_a_township_fits_under_its_county() -> None:
    check_placement(UnitPlacement("230321100000", Tier.TOWNSHIP), COUNTY)


def test_a_branch_of_the_county_organ_shares_its_code() -> None:
    check_placement(UnitPlacement("230321000000", Tier.COUNTY), COUNTY)


@pytest.mark.parametrize(
    ("unit", "field"),
    [
        (UnitPlacement("230321100000", Tier.COUNTY), "area_code"),
        (UnitPlacement("230322100000", Tier.TOWNSHIP), "area_code"),
        (UnitPlacement("230300000000", Tier.CITY), "tier"),
    ],
)
def test_misplaced_units_are_refused(unit: UnitPlacement, field: str) -> None:
    with pytest.raises(PlacementError) as caught:
        check_placement(unit, COUNTY)
    assert caught.value.field == field


def test_a_root_unit_only_needs_a_fitting_code() -> None:
    check_placement(UnitPlacement("230000000000", Tier.PROVINCE), None)
    with pytest.raises(PlacementError):
        check_placement(UnitPlacement("230300000000", Tier.PROVINCE), None)
