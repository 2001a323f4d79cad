"""Read-mostly lookups of intake, cached briefly: the catalogue item and the unit to route to.

Every intake needs the county's catalogue item and the unit serving the area; both change a
few times a year and are read hundreds of times a second at peak. Answers that found
something are kept for `ttl` seconds (`GR_REQUESTS_LOOKUP_CACHE_SECONDS`, 0 turns the cache
off); a catalogue change made by this process, or an organisation-tree event it applies,
empties the cache at once, so only another replica's change can take up to `ttl` to be seen.
"""

from __future__ import annotations

import time
from typing import Any, Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from grassroots.kit.db import Database
from grassroots.kit.orgtree import OrgUnitView, get_unit, unit_serving
from grassroots.kit.problems import Invalid
from grassroots.requests.adapters.repository import find_item

K = TypeVar("K")
V = TypeVar("V")

# Rank of a tier for routing, lowest unit first (a grid ranks below its village here, unlike
# `contracts.area.TIER_DEPTH`, which counts the area code's levels).
TIER_RANK = {"grid": 6, "village": 5, "township": 4, "county": 3, "city": 2, "province": 1}


async def route_to_unit(session: AsyncSession, area_code: str, handling_tier: str) -> OrgUnitView:
    """The lowest unit serving `area_code` that works at `handling_tier` or above."""
    unit = await unit_serving(session, area_code)
    if unit is None:
        raise Invalid("area_code", f"no organisation unit serves area {area_code} yet")
    wanted = TIER_RANK.get(handling_tier, 6)
    while TIER_RANK.get(unit.tier, 6) > wanted and unit.parent_id:
        parent = await get_unit(session, unit.parent_id)
        if parent is None:
            break
        unit = parent
    return unit


class _Remembered(Generic[K, V]):
    """Values kept `ttl` seconds each (0: not at all), at most `size` of them."""

    def __init__(self, ttl: float, size: int = 100_000) -> None:
        self.ttl = ttl
        self.size = size
        self._values: dict[K, tuple[float, V]] = {}

    def get(self, key: K) -> V | None:
        kept = self._values.get(key)
        return kept[1] if kept is not None and kept[0] > time.monotonic() else None

    def put(self, key: K, value: V) -> None:
        if self.ttl <= 0:
            return
        if len(self._values) >= self.size:
            self._values.clear()
        self._values[key] = (time.monotonic() + self.ttl, value)

    def clear(self) -> None:
        self._values.clear()


class Lookups:
    """Catalogue items by (county, code) and routes by (area, tier), kept `ttl` seconds."""

    def __init__(self, db: Database, ttl: float) -> None:
        self.db = db
        self._items: _Remembered[tuple[str, str], dict[str, Any]] = _Remembered(ttl)
        self._routes: _Remembered[tuple[str, str], OrgUnitView] = _Remembered(ttl)
        self._stale = False

    def clear(self) -> None:
        """Forget everything (a catalogue item or the organisation tree changed)."""
        self._items.clear()
        self._routes.clear()

    def mark_stale(self) -> None:
        """Forget everything once the current transaction commits (see `after_commit`)."""
        self._stale = True

    def after_commit(self) -> None:
        """The database's commit hook: empty the cache if a change was marked."""
        if self._stale:
            self._stale = False
            self.clear()

    async def item(self, county_area: str, code: str) -> dict[str, Any] | None:
        """The county's catalogue item `code`, or None (which is never remembered)."""
        item = self._items.get((county_area, code))
        if item is None:
            async with self.db.read_only() as session:
                item = await find_item(session, county_area, code)
            if item is not None:
                self._items.put((county_area, code), item)
        return item

    async def route(self, area_code: str, handling_tier: str) -> OrgUnitView:
        """The unit a request for `area_code` at `handling_tier` goes to (422 if none)."""
        unit = self._routes.get((area_code, handling_tier))
        if unit is None:
            async with self.db.read_only() as session:
                unit = await route_to_unit(session, area_code, handling_tier)
            self._routes.put((area_code, handling_tier), unit)
        return unit
