"""Keeps the per-county business gauges (members by stage, floating share) up to date."""

from __future__ import annotations

from grassroots.kit.app import Runtime
from grassroots.members import metrics
from grassroots.members.adapters import statistics
from grassroots.members.domain.lifecycle import STAGES


async def refresh_gauges(runtime: Runtime) -> None:
    """Recount active members per county and stage, and floating members per county."""
    async with runtime.db.read_only() as session:
        rows = await statistics.active_by_county(session, runtime.settings.area_prefix)
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
