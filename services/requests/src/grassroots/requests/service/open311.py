"""What the Open311 GeoReport v2 endpoint reads: a county's services and its requests."""

from __future__ import annotations

from typing import Any

from grassroots.requests.adapters import repository
from grassroots.requests.adapters.repository import RequestWindow
from grassroots.requests.service.context import RequestsContext

__all__ = ["RequestWindow", "active_services", "search_requests"]


async def active_services(ctx: RequestsContext, county_area: str) -> list[dict[str, Any]]:
    """The county's active catalogue items, by code."""
    async with ctx.db.read_only() as session:
        return await repository.active_items_by_code(session, county_area)


async def search_requests(
    ctx: RequestsContext, county_area: str, window: RequestWindow, limit: int
) -> list[tuple[dict[str, Any], str]]:
    """Up to `limit` of the county's requests in `window`, newest first, with service names."""
    async with ctx.db.read_only() as session:
        return await repository.requests_with_service_names(session, county_area, window, limit)
