"""Skill normalisation, duties, and how structure cells add up (pure domain)."""

from __future__ import annotations

from datetime import date

import pytest

from grassroots.members.domain.skills import (
    base_aliases,
    check_duties,
    normalise_skills,
    split_skills,
)
from grassroots.members.domain.structure import AGE_BANDS, Cell, band_of, summarise


def test_free_tags_become_vocabulary_skills() -> None:
    tags = split_skills("修农机;法律援助、 电工 ,护理；电工")
    assert normalise_skills(tags, base_aliases()) == ["农机维修", "法律咨询", "电工", "养老护理"]


def test_unknown_tags_are_kept_clean_and_county_aliases_apply() -> None:
    aliases = {**base_aliases(), "修拖拉机": "农机维修"}
    assert normalise_skills(["修拖拉机", " Excel "], aliases) == ["农机维修", "excel"]


def test_duties_are_checked() -> None:
    assert check_duties(["handler", "supervisor", "handler"]) == ["handler", "supervisor"]
    with pytest.raises(ValueError, match="unknown duties"):
        check_duties(["boss"])


@pytest.mark.parametrize(
    ("birth", "band"),
    [
        (date(1996, 11, 23), "30_and_under"),
        (date(1995, 11, 22), "31_35"),
        (date(1980, 11, 23), "36_45"),
        (date(1980, 11, 22), "46_55"),
        (date(1955, 11, 22), "71_and_over"),
    ],
)
def test_age_bands_follow_birthdays(birth: date, band: str) -> None:
    assert AGE_BANDS[band_of(birth, date(2026, 11, 22))][0] == band


def test_summary_adds_cells_and_ratios() -> None:
    cells = [
        Cell("full", "junior_high", "male", 3, True, False, 6),
        Cell("full", "bachelor", "female", 1, False, True, 3),
        Cell("probationary", None, "female", 0, False, False, 1),
    ]
    result = summarise(cells, date(2026, 11, 22))
    assert result.total == 10
    assert result.by_stage["full"] == 9 and result.by_stage["applicant"] == 0
    assert result.by_education["unknown"] == 1
    assert result.aged_over_45_ratio == 0.6
    assert result.floating_ratio == 0.6
    assert result.lost_contact == 3
    assert result.junior_high_or_below_ratio == 0.6
    assert summarise([], date(2026, 11, 22)).floating_ratio == 0.0
