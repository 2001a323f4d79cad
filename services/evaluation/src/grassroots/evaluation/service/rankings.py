"""Rankings of a unit's children under a scheme, and their publication."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from uuid6 import uuid7

from grassroots.contracts.events.evaluation import EvaluationPublished, PublishedEntry
from grassroots.evaluation.adapters.orm import publications
from grassroots.evaluation.domain.periods import Period
from grassroots.evaluation.domain.scoring import RankInput, rank_units
from grassroots.evaluation.metrics import RANKINGS_PUBLISHED
from grassroots.evaluation.service.assessment import assess_units
from grassroots.evaluation.service.indicators import CountRules, Unit, load_tree
from grassroots.evaluation.service.schemes import county_of, find_scheme
from grassroots.kit.clock import utcnow
from grassroots.kit.outbox import Outbox
from grassroots.kit.problems import Conflict


async def compute_ranking(
    session: AsyncSession, parent: Unit, period: Period, scheme_name: str, rules: CountRules
) -> dict[str, Any]:
    """The ranking of `parent`'s children: score, rank, grade and the indicators behind it."""
    scheme = await find_scheme(session, county_of(parent.area_code), scheme_name)
    tree = await load_tree(session, parent.area_code)
    children = [tree.units[c] for c in tree.children.get(parent.id, [])]
    assessed = await assess_units(session, tree, [c.id for c in children], period, scheme, rules)
    inputs = [
        RankInput(
            org_unit_id=child.id,
            score=assessed[child.id].score,
            resolution_rate=assessed[child.id].rates["resolution_rate"],
            satisfaction_rate=assessed[child.id].rates["satisfaction_rate"],
            received=assessed[child.id].counts.received,
        )
        for child in children
    ]
    items = []
    for entry, rank in rank_units(inputs):
        unit = tree.units[entry.org_unit_id]
        unit_assessment = assessed[unit.id]
        items.append(
            {
                "org_unit_id": unit.id,
                "name": unit.name,
                "area_code": unit.area_code,
                "status": entry.score.status,
                "score": entry.score.score,
                "rank": rank,
                "grade": entry.score.grade,
                "base": entry.score.base,
                "bonus": entry.score.bonus,
                "deduction": entry.score.deduction,
                "indicators": {
                    **unit_assessment.counts.as_dict(),
                    **unit_assessment.rates,
                },
            }
        )
    return {
        "parent": parent.id,
        "period": str(period),
        "scheme": scheme.name,
        "scheme_version": scheme.version,
        "items": items,
    }


async def find_publication(
    session: AsyncSession, parent_id: str, period: Period, scheme: str
) -> dict[str, Any] | None:
    """A published ranking, if any."""
    row = (
        await session.execute(
            select(publications).where(
                publications.c.kind == "ranking",
                publications.c.parent_org_unit_id == parent_id,
                publications.c.period == str(period),
                publications.c.scheme == scheme,
            )
        )
    ).first()
    return dict(row._mapping) if row else None


async def publish_ranking(
    session: AsyncSession,
    outbox: Outbox,
    parent: Unit,
    period: Period,
    scheme_name: str,
    rules: CountRules,
    actor: str,
) -> dict[str, Any]:
    """Freeze the ranking and emit `EvaluationPublished`; a second publication is 409."""
    if await find_publication(session, parent.id, period, scheme_name):
        raise Conflict(f"the {scheme_name} ranking of {period} is already published")
    ranking = await compute_ranking(session, parent, period, scheme_name, rules)
    publication_id = str(uuid7())
    entries = [
        PublishedEntry(
            org_unit_id=i["org_unit_id"], rank=i["rank"], score=i["score"], grade=i["grade"]
        )
        for i in ranking["items"]
    ]
    now = utcnow()
    try:
        async with session.begin_nested():
            await session.execute(
                insert(publications).values(
                    id=publication_id,
                    kind="ranking",
                    parent_org_unit_id=parent.id,
                    period=str(period),
                    scheme=scheme_name,
                    entries=ranking,
                    published_by=actor,
                    published_at=now,
                )
            )
    except IntegrityError as exc:
        raise Conflict(f"the {scheme_name} ranking of {period} is already published") from exc
    await outbox.add(
        session,
        EvaluationPublished(
            publication_id=publication_id,
            kind="ranking",
            parent_org_unit_id=parent.id,
            period=str(period),
            scheme=scheme_name,
            entries=entries,
            version=1,
            occurred_at=now,
        ),
        area_code=parent.area_code,
        aggregate_id=publication_id,
        actor=actor,
    )
    RANKINGS_PUBLISHED.labels("ranking").inc()
    return {
        "id": publication_id,
        "published_at": now,
        **ranking,
    }
