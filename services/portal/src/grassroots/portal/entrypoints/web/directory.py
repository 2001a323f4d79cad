"""Names for codes: the organisation units and catalogues the website shows, cached briefly.

The website never shows a 12-digit code where a name exists. Units come from the members
service (read with the portal's own viewer token), catalogues from the requests service's
public guide; both are cached for a few minutes per process.
"""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from grassroots.portal.adapters.platform import Platform

PAGE = 500
CACHE_SECONDS = 300.0


@dataclass(frozen=True)
class Unit:
    """An organisation unit as the website needs it."""

    id: str
    name: str
    area_code: str
    tier: str
    kind: str
    parent_id: str | None
    domain: str = ""

    @property
    def place(self) -> str:
        """The place a citizen knows: 中共鸡东镇东升村支部委员会 -> 鸡东镇东升村."""
        return place_name(self.name)


_PREFIX = re.compile(r"^中国共产党|^中共")
_SUFFIX = re.compile(
    r"(党总支部委员会|总支部委员会|支部委员会|党委员会|委员会|党委|党总支|总支|党支部|支部)$"
)


def place_name(unit_name: str) -> str:
    """A unit's place name: its name without the party prefix and the body's suffix."""
    place = _SUFFIX.sub("", _PREFIX.sub("", unit_name.strip()))
    return place or unit_name


class Directory:
    """Units and catalogue items by id, code and county, refreshed every few minutes."""

    def __init__(self, platform: Platform, service_token: Callable[[], str]) -> None:
        self.platform = platform
        self.service_token = service_token
        self._units: dict[str, Unit] = {}
        self._units_at = 0.0
        self._catalogues: dict[str, tuple[float, list[dict[str, Any]]]] = {}

    async def _all_pages(self, fetch: Callable[[str | None], Awaitable[Any]]) -> list[Any]:
        items: list[Any] = []
        cursor: str | None = None
        for _ in range(200):  # 100,000 units at most: a safety stop, not a limit people meet
            page = await fetch(cursor)
            items.extend(page["items"])
            cursor = page.get("next_cursor")
            if not cursor:
                break
        return items

    async def units(self) -> dict[str, Unit]:
        """Every unit the platform has, by id (cached)."""
        if self._units and time.monotonic() - self._units_at < CACHE_SECONDS:
            return self._units

        async def fetch(cursor: str | None) -> Any:
            return await self.platform.call(
                "members",
                "GET",
                "/v1/org-units",
                token=self.service_token(),
                params={"limit": PAGE, "cursor": cursor},
            )

        rows = await self._all_pages(fetch)
        self._units = {
            row["id"]: Unit(
                row["id"],
                row["name"],
                row["area_code"],
                row["tier"],
                row["kind"],
                row["parent_id"],
                row.get("domain") or "",
            )
            for row in rows
        }
        self._units_at = time.monotonic()
        return self._units

    def forget(self) -> None:
        """Drop the cached units (after a change made through the website)."""
        self._units_at = 0.0

    async def unit(self, unit_id: str | None) -> Unit | None:
        """One unit by id."""
        if not unit_id:
            return None
        return (await self.units()).get(unit_id)

    async def counties(self) -> list[Unit]:
        """The counties, by area code."""
        units = (await self.units()).values()
        return sorted((u for u in units if u.tier == "county"), key=lambda u: u.area_code)

    async def county_of(self, area_code: str) -> Unit | None:
        """The county a 12-digit area code lies in."""
        for county in await self.counties():
            if area_code[:6] == county.area_code[:6]:
                return county
        return None

    async def places(self, county_area: str) -> list[Unit]:
        """The villages and communities (and townships) of a county, townships first."""
        units = (await self.units()).values()
        inside = [
            u
            for u in units
            if u.area_code[:6] == county_area[:6] and u.tier in ("township", "village")
        ]
        return sorted(inside, key=lambda u: (u.area_code[:9], u.tier != "township", u.area_code))

    async def area_name(self, area_code: str) -> str:
        """The name of the unit at an area code (the code itself only when none exists)."""
        for unit in (await self.units()).values():
            if unit.area_code == area_code:
                return unit.place
        return area_code

    async def catalogue(self, county_area: str) -> list[dict[str, Any]]:
        """The active items of a county's service guide (cached)."""
        cached = self._catalogues.get(county_area)
        if cached and time.monotonic() - cached[0] < CACHE_SECONDS:
            return cached[1]

        async def fetch(cursor: str | None) -> Any:
            return await self.platform.call(
                "requests",
                "GET",
                "/v1/catalog",
                params={"county": county_area, "limit": PAGE, "cursor": cursor},
            )

        items = await self._all_pages(fetch)
        self._catalogues[county_area] = (time.monotonic(), items)
        return items

    async def service_name(self, county_area: str, code: str) -> str:
        """A catalogue item's name by its code."""
        for item in await self.catalogue(county_area):
            if item["code"] == code:
                return str(item["name"])
        return code
