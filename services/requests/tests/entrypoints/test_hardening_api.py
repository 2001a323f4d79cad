"""Inputs that once answered 500 or were refused: calendar years, explain dates, catalogue."""

from __future__ import annotations

from datetime import datetime

import pytest

from grassroots.contracts.timezone import platform_zone
from grassroots.kit.testing.services import RunningService, auth

from ..conftest import ADMIN, COUNTY, ITEM, TOWN, VILLAGE_CADRE, submit
from .test_handling_api import act

pytestmark = pytest.mark.component

PLATFORM = auth("platform_admin", sub="ops")


@pytest.mark.parametrize("year", ["0", "-1", "10000", str(10**20)])
async def test_a_calendar_year_out_of_range_is_a_422_naming_the_year(
    service: RunningService, year: str
) -> None:
    read = await service.client.get(f"/v1/calendar/{year}", headers=PLATFORM)
    write = await service.client.put(
        f"/v1/calendar/{year}", json={"holidays": []}, headers=PLATFORM
    )
    for response in (read, write):
        assert response.status_code == 422, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert "year" in {e["field"].split(".")[-1] for e in response.json()["errors"]}


async def test_explain_takes_a_plain_date_as_the_end_of_that_day(service: RunningService) -> None:
    rid = (await submit(service))["id"]
    await act(service, rid, "accept", VILLAGE_CADRE)
    response = await act(
        service,
        rid,
        "explain",
        VILLAGE_CADRE,
        {"explanation": "待县里批复", "expected_by": "2027-03-31"},
    )
    assert response.status_code == 200, response.text
    promised = datetime.fromisoformat(response.json()["expected_by"])
    assert promised == datetime(2027, 3, 31, 23, 59, 59, tzinfo=platform_zone())
    assert datetime.fromisoformat(response.json()["due_at"]) == promised


async def test_the_catalogue_county_comes_from_the_caller_unless_it_sits_above_counties(
    service: RunningService,
) -> None:
    minimal = {k: v for k, v in ITEM.items() if k != "county_area"}
    county_admin = await service.client.post(
        "/v1/catalog", json={**minimal, "code": "by-county"}, headers=ADMIN
    )
    assert county_admin.status_code == 201, county_admin.text
    assert county_admin.json()["county_area"] == COUNTY
    township_admin = await service.client.post(
        "/v1/catalog",
        json={**minimal, "code": "by-town"},
        headers=auth("org_admin", org=TOWN, sub="admin-town"),
    )
    assert township_admin.status_code == 201, township_admin.text
    assert township_admin.json()["county_area"] == COUNTY
    above = auth("org_admin", org="230300000000", sub="admin-city")
    missing = await service.client.post(
        "/v1/catalog", json={**minimal, "code": "by-city"}, headers=above
    )
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"].endswith("county_area")
    named = await service.client.post(
        "/v1/catalog", json={**minimal, "code": "by-city", "county_area": COUNTY}, headers=above
    )
    assert named.status_code == 201, named.text
