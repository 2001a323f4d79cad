"""The duplicate look-up of intake: similar open requests of one service in one village."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from grassroots.requests import metrics
from grassroots.requests.adapters.duplicate_index import open_neighbours
from grassroots.requests.domain.duplicates import DUPLICATE_WINDOW, rank_candidates
from grassroots.requests.service.context import RequestsContext


async def propose_duplicates(
    ctx: RequestsContext,
    area_code: str,
    service_code: str,
    description_terms: list[int],
    now: datetime,
) -> list[dict[str, Any]]:
    """Open requests of the same service and village from the last 30 days that read alike."""
    with metrics.DUPLICATE_DETECTION.time():
        neighbours = await open_neighbours(ctx.db, area_code, service_code, now - DUPLICATE_WINDOW)
        found = rank_candidates(
            description_terms, neighbours, threshold=ctx.settings.requests_duplicate_threshold
        )
    return [{"id": c.request_id, "similarity": c.similarity} for c in found]
