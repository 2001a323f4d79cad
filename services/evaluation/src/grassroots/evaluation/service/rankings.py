"""Rankings of a unit's children under a scheme, and their publication."""

from __future__ import annotations

from typing import Any

from uuid6 import uuid7

from grassroots.contracts.area import county_of
from grassroots.contracts.events.evaluation import EvaluationPublished, PublishedEntry
from grassroots.evaluation.adapters.publications import add_publication, find_publication
from grassroots.evaluation.adapters.units import load_tree
from grassroots.evaluation.domain.indicators import CountRules
from grassroots.evaluation.domain.periods import Period
from grassroots.evaluation.domain.publications import ranking_changes
from grassroots.evaluation.domain.scoring import RankInput, rank_units
from grassroots.evaluation.domain.tree import Unit
from grassroots.evaluation.metrics import RANKINGS_PUBLISHED
from grassroots.evaluation.service.access import parse_period, scoped_unit
from grassroots.evaluation.service.assessment import assess_units
from grassroots.evaluation.service.commands import PublishIn
from grassroots.evaluation.service.deps import Deps
from grassroots.evaluation.service.schemes import find_scheme
from grassroots.kit.auth import Principal
from grassroots.kit.clock import utcnow
from grassroots.kit.db import AsyncSession
from grassroots.kit.paging import decode_cursor, encode_cursor
from grassroots.kit.problems import Conflict, NotFound


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


async def current_ranking(
    session: AsyncSession,
    deps: Deps,
    principal: Principal,
    parent: str,
    period: Period,
    scheme: str,
) -> dict[str, Any]:
    """The newest published version of a ranking as it was frozen, or else as computed now."""
    unit = await scoped_unit(session, principal, parent, "parent")
    published = await find_publication(session, unit.id, str(period), scheme)
    if published:
        ranking: dict[str, Any] = published["entries"]
        return ranking
    return await compute_ranking(session, unit, period, scheme, deps.rules)


async def show_ranking(
    session: AsyncSession,
    deps: Deps,
    principal: Principal,
    parent: str,
    period: str,
    scheme: str,
    version: int | None,
    limit: int,
    cursor: str | None,
) -> dict[str, Any]:
    """The children of `parent` ranked under a scheme; once published, the newest version
    (or the one asked for) as it was frozen, with what it corrected."""
    parsed = parse_period(period)
    offset = int(decode_cursor(cursor) or 0)
    unit = await scoped_unit(session, principal, parent, "parent")
    published = await find_publication(session, unit.id, str(parsed), scheme, version)
    if version is not None and published is None:
        raise NotFound(f"version: no published version {version} of this ranking")
    if published:
        newest = await find_publication(session, unit.id, str(parsed), scheme)
        ranking = {
            **published["entries"],
            "published_at": published["published_at"],
            "version": published["version"],
            "latest_version": newest["version"] if newest else published["version"],
            "changes": published["changes"],
            "note": published["note"],
        }
    else:
        ranking = {**await compute_ranking(session, unit, parsed, scheme, deps.rules)}
        ranking.update(
            published_at=None, version=None, latest_version=None, changes=None, note=None
        )
    items = ranking["items"]
    ranking["items"] = items[offset : offset + limit]
    more = offset + limit < len(items)
    ranking["next_cursor"] = encode_cursor(offset + limit) if more else None
    ranking["published"] = ranking["published_at"] is not None
    return ranking


async def publish_ranking(
    session: AsyncSession, deps: Deps, principal: Principal, command: PublishIn
) -> dict[str, Any]:
    """Freeze the ranking and emit `EvaluationPublished`.

    A later publication is a correction: the next version with what changed; the earlier
    versions stay as they were. Publishing an unchanged ranking again is 409.
    """
    principal.require_role("org_admin")
    period = parse_period(command.period)
    parent = await scoped_unit(session, principal, command.parent, "parent")
    scheme_name = command.scheme
    latest = await find_publication(session, parent.id, str(period), scheme_name)
    ranking = await compute_ranking(session, parent, period, scheme_name, deps.rules)
    version = 1 if latest is None else int(latest["version"]) + 1
    changes = None if latest is None else ranking_changes(latest["entries"], ranking)
    if latest is not None and not changes:
        raise Conflict(
            f"the {scheme_name} ranking of {period} is published (version {latest['version']}) "
            "and nothing has changed since"
        )
    publication_id = str(uuid7())
    now = utcnow()
    stored = await add_publication(
        session,
        {
            "id": publication_id,
            "kind": "ranking",
            "parent_org_unit_id": parent.id,
            "period": str(period),
            "scheme": scheme_name,
            "entries": ranking,
            "published_by": principal.sub,
            "published_at": now,
            "version": version,
            "changes": changes,
            "note": command.note,
        },
    )
    if not stored:
        raise Conflict(f"version {version} of this ranking was just published")
    entries = [
        PublishedEntry(
            org_unit_id=i["org_unit_id"], rank=i["rank"], score=i["score"], grade=i["grade"]
        )
        for i in ranking["items"]
    ]
    await deps.outbox.add(
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
        actor=principal.sub,
    )
    RANKINGS_PUBLISHED.labels("ranking").inc()
    return {
        "id": publication_id,
        "published_at": now,
        "version": version,
        "changes": changes,
        "note": command.note,
        **ranking,
    }
