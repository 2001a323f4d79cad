"""Area codes, tiers and subjects."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from grassroots.contracts.area import (
    AreaCode,
    Tier,
    area_tier,
    county_of,
    filter_prefix,
    fits_tier,
    is_within,
    parent_area_codes,
)
from grassroots.contracts.subjects import area_filter_subject, event_subject, parse_subject

AREA = TypeAdapter(AreaCode)


@pytest.mark.parametrize(
    ("code", "tier"),
    [
        ("230000000000", Tier.PROVINCE),
        ("230300000000", Tier.CITY),
        ("230321000000", Tier.COUNTY),
        ("230321100000", Tier.TOWNSHIP),
        ("230321100201", Tier.VILLAGE),
        ("000000000000", Tier.ROOT),
    ],
)
def test_tier_of_a_code(code: str, tier: Tier) -> None:
    assert AREA.validate_python(code) == code
    assert area_tier(code) == tier
    assert fits_tier(code, tier)


@pytest.mark.parametrize(
    "bad",
    ["23032100000", "2303210000000", "23032100000a", "230021000000", "230321000201", "", "２３"],
)
def test_malformed_codes_are_refused(bad: str) -> None:
    with pytest.raises(ValidationError):
        AREA.validate_python(bad)


def test_grid_tier_uses_its_village_code() -> None:
    assert fits_tier("230321100201", Tier.GRID)
    assert not fits_tier("230321100000", Tier.GRID)


def test_child_lies_inside_parent_prefix() -> None:
    assert is_within("230321100201", "230321000000")
    assert is_within("230321000000", "230321000000")
    assert not is_within("230322100201", "230321000000")
    assert is_within("110101001001", "000000000000")


def test_parents_from_root_down() -> None:
    assert parent_area_codes("230321100201") == [
        "000000000000",
        "230000000000",
        "230300000000",
        "230321000000",
        "230321100000",
    ]


def test_subjects_carry_the_area_path() -> None:
    subject = event_subject("requests", "escalated", "230321100201")
    assert subject == "gr.requests.v1.escalated.23.03.21.100.201"
    parsed = parse_subject(subject)
    assert (parsed.domain, parsed.event, parsed.area_code) == (
        "requests",
        "escalated",
        "230321100201",
    )
    assert event_subject("members", "x", "230321000000").endswith(".23.03.21.000.000")


def test_area_filters() -> None:
    assert area_filter_subject("requests", "23.03.21") == "gr.requests.v1.*.23.03.21.>"
    assert area_filter_subject("requests", "") == "gr.requests.v1.*.>"
    assert filter_prefix("23.03.21.100") == "230321100"
    for bad in ["23.3.21", "23.03.21.10", "a.b", "23.03.21.100.200.1"]:
        with pytest.raises(ValueError, match="area filter"):
            filter_prefix(bad)


def test_parse_refuses_foreign_subjects() -> None:
    for bad in ["gr.requests.v2.x.23.03.21.000.000", "foo", "gr.requests.v1.x.23.03.21.000"]:
        with pytest.raises(ValueError, match="subject"):
            parse_subject(bad)


digits = st.text(alphabet="0123456789", min_size=12, max_size=12)


@given(digits)
def test_every_valid_code_round_trips_through_its_subject(code: str) -> None:
    try:
        AREA.validate_python(code)
    except ValidationError:
        return
    assert parse_subject(event_subject("members", "e", code)).area_code == code
    for parent in parent_area_codes(code):
        assert is_within(code, parent)


def test_county_of_keeps_the_first_six_digits_and_leaves_higher_tiers_their_own_code() -> None:
    assert county_of("230321100201") == "230321000000"
    assert county_of("230321000000") == "230321000000"
    assert county_of("230300000000") == "230300000000"
    assert county_of("000000000000") == "000000000000"
