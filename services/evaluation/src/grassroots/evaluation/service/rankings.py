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
            ranked=not (
                assessed[child.id].score.status == "insufficient_sample"
                and scheme.small_sample == "list_apart"
            ),
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


RANKED_FIELDS = ("rank", "score", "status", "grade")


def ranking_changes(before: dict[str, Any], after: dict[str, Any]) -> list[dict[str, Any]]:
    """What a correction changes: per unit, each of rank, score, status and grade that moved."""
    old = {i["org_unit_id"]: i for i in before["items"]}
    new = {i["org_unit_id"]: i for i in after["items"]}
    changes = []
    for unit_id in sorted(set(old) | set(new)):
        was, now = old.get(unit_id, {}), new.get(unit_id, {})
        for name in RANKED_FIELDS:
            if was.get(name) != now.get(name):
                changes.append(
                    {
                        "org_unit_id": unit_id,
                        "name": now.get("name", was.get("name")),
                        "field": name,
                        "before": was.get(name),
                        "after": now.get(name),
                    }
                )
    return changes


async def find_publication(
    session: AsyncSession, parent_id: str, period: Period, scheme: str, version: int | None = None
) -> dict[str, Any] | None:
    """A published version of a ranking (the newest unless `version` is given), if any."""
    query = select(publications).where(
        publications.c.kind == "ranking",
        publications.c.parent_org_unit_id == parent_id,
        publications.c.period == str(period),
        publications.c.scheme == scheme,
    )
    if version is not None:
        query = query.where(publications.c.version == version)
    row = (await session.execute(query.order_by(publications.c.version.desc()).limit(1))).first()
    return dict(row._mapping) if row else None


async def publish_ranking(
    session: AsyncSession,
    outbox: Outbox,
    parent: Unit,
    period: Period,
    scheme_name: str,
    rules: CountRules,
    actor: str,
    note: str | None = None,
) -> dict[str, Any]:
    """Freeze the ranking and emit `EvaluationPublished`.

    A later publication is a correction: the next version with what changed; the earlier
    versions stay as they were. Publishing an unchanged ranking again is 409.
    """
    latest = await find_publication(session, parent.id, period, scheme_name)
    ranking = await compute_ranking(session, parent, period, scheme_name, rules)
    version = 1 if latest is None else int(latest["version"]) + 1
    changes = None if latest is None else ranking_changes(latest["entries"], ranking)
    if latest is not None and not changes:
        raise Conflict(
            f"the {scheme_name} ranking of {period} is published (version {latest['version']}) "
            "and nothing has changed since"
        )
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
                    version=version,
                    changes=changes,
                    note=note,
                )
            )
    except IntegrityError as exc:
        raise Conflict(f"version {version} of this ranking was just published") from exc
    await outbox.add(
        session,
        EvaluationPublished(
            publication_id=publication_id,
            kind="ranking",
            parent_org_unit_id=parent.id,
            period=str(period),
            scheme=scheme_name,
            entries=entries,
            version=version,
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
        "version": version,
        "changes": changes,
        "note": note,
        **ranking,
    }
