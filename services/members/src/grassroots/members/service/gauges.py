"""Keeps the per-county business gauges (members by stage, floating share) up to date."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from sqlalchemy import func, select

from grassroots.kit.app import Runtime
from grassroots.members import metrics
from grassroots.members.adapters.orm import members, org_units
from grassroots.members.domain.lifecycle import STAGES

log = logging.getLogger(__name__)


async def refresh_gauges(runtime: Runtime) -> None:
    """Recount active members per county and stage, and floating members per county."""
    county = func.substr(org_units.c.area_code, 1, 6)
    query = (
        select(county.label("county"), members.c.stage, members.c.floating, func.count())
        .join(org_units, org_units.c.id == members.c.org_unit_id)
        .where(members.c.status == "active")
        .where(org_units.c.area_code.startswith(runtime.settings.area_prefix))
        .group_by(county, members.c.stage, members.c.floating)
    )
    async with runtime.db.read_only() as session:
        rows = (await session.execute(query)).all()
    by_stage: dict[tuple[str, str], int] = {}
    totals: dict[str, int] = {}
    floating: dict[str, int] = {}
    for prefix, stage, is_floating, count in rows:
        code = str(prefix).ljust(12, "0")
        by_stage[(code, stage)] = by_stage.get((code, stage), 0) + count
        totals[code] = totals.get(code, 0) + count
        if is_floating:
            floating[code] = floating.get(code, 0) + count
    for code, total in totals.items():
        for stage in STAGES:
            metrics.MEMBERS_BY_STAGE.labels(code, stage).set(by_stage.get((code, stage), 0))
        metrics.FLOATING_SHARE.labels(code).set(floating.get(code, 0) / total if total else 0.0)


async def _loop(runtime: Runtime, interval: float) -> None:
    while True:
        try:
            await refresh_gauges(runtime)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.warning("members gauges: refresh failed", exc_info=True)
        await asyncio.sleep(interval)


def refresh_gauges_lifespan(
    interval: float,
) -> Callable[[Runtime], AbstractAsyncContextManager[Any]]:
    """A lifespan hook that refreshes the gauges every `interval` seconds."""

    @asynccontextmanager
    async def lifespan(runtime: Runtime) -> AsyncIterator[None]:
        runtime.add_task(asyncio.create_task(_loop(runtime, interval), name="members-gauges"))
        yield

    return lifespan
