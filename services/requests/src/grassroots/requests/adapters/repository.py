"""Every SQL statement of the requests service's use cases, one function or method per question.

The use cases in `service/` say what they want (`await find_item(session, county, code)`) and
never build a query; the SQLite/PostgreSQL differences (row locks) are answered here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Table, and_, delete, func, insert, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from grassroots.contracts.area import area_prefix
from grassroots.kit.db import insert_ignoring
from grassroots.kit.groupcommit import GroupCommit
from grassroots.kit.tables import org_units
from grassroots.requests.adapters.orm import (
    SLA_WATCHED,
    calendar_days,
    callbacks,
    catalog_items,
    co_tasks,
    extensions,
    history,
    members,
    personal_data_reads,
    requests,
    visits,
)
from grassroots.requests.domain.machine import CLOCK_RUNNING, OPEN_STATUSES, Status
from grassroots.requests.domain.request import Request

# One row for a writer that inserts rows itself (the intake's group commit): its table, its values.
Write = tuple[Table, dict[str, Any]]


def new_request_rows(row: dict[str, Any], first_entry: dict[str, Any]) -> list[Write]:
    """The rows that store a new request: itself and its first history entry."""
    return [(requests, row), (history, first_entry)]


class AlreadyStored(Exception):
    """A row with the same unique key is stored already (a catalogue code, a tracking code)."""


async def write_grouped(writer: GroupCommit, writes: Sequence[Write]) -> None:
    """Commit `writes` in the writer's next shared transaction (AlreadyStored on a duplicate)."""
    try:
        await writer.write(writes)
    except IntegrityError as exc:
        raise AlreadyStored(str(exc)) from exc


def is_sqlite(session: AsyncSession) -> bool:
    """True on SQLite, which takes no row locks (its one writer holds the database)."""
    return session.get_bind().dialect.name == "sqlite"


# ---------------------------------------------------------------- catalogue


async def find_item(session: AsyncSession, county_area: str, code: str) -> dict[str, Any] | None:
    """A county's item by code, or None."""
    row = (
        await session.execute(
            select(catalog_items).where(
                catalog_items.c.county_area == county_area, catalog_items.c.code == code
            )
        )
    ).first()
    return dict(row._mapping) if row else None


async def get_item_by_id(session: AsyncSession, item_id: str) -> dict[str, Any]:
    """An item by id (it must exist: requests point at it)."""
    row = (await session.execute(select(catalog_items).where(catalog_items.c.id == item_id))).one()
    return dict(row._mapping)


async def add_item(session: AsyncSession, row: dict[str, Any]) -> None:
    """Insert a catalogue item (AlreadyStored when its code is taken in its county)."""
    try:
        await session.execute(insert(catalog_items).values(**row))
    except IntegrityError as exc:
        raise AlreadyStored(str(exc)) from exc


async def change_item(session: AsyncSession, item_id: str, values: dict[str, Any]) -> None:
    """Overwrite an item's fields."""
    await session.execute(
        update(catalog_items).where(catalog_items.c.id == item_id).values(**values)
    )


async def list_items(
    session: AsyncSession,
    county_area: str | None,
    *,
    after: str | None,
    limit: int,
    category: str | None,
    include_inactive: bool,
) -> list[dict[str, Any]]:
    """A page of items ordered by id."""
    query = select(catalog_items)
    if county_area:
        query = query.where(catalog_items.c.county_area == county_area)
    if category:
        query = query.where(catalog_items.c.category == category)
    if not include_inactive:
        query = query.where(catalog_items.c.active.is_(True))
    if after:
        query = query.where(catalog_items.c.id > after)
    rows = (await session.execute(query.order_by(catalog_items.c.id).limit(limit))).all()
    return [dict(r._mapping) for r in rows]


# ---------------------------------------------------------------- calendar


async def calendar_overrides(session: AsyncSession) -> dict[date, bool]:
    """Every day the operator declared a holiday (False) or a working day (True)."""
    rows = (await session.execute(select(calendar_days.c.day, calendar_days.c.is_workday))).all()
    return {row.day: row.is_workday for row in rows}


async def calendar_year(session: AsyncSession, year: int) -> list[Any]:
    """A year's overrides, by day."""
    return list(
        (
            await session.execute(
                select(calendar_days)
                .where(
                    calendar_days.c.day >= date(year, 1, 1),
                    calendar_days.c.day <= date(year, 12, 31),
                )
                .order_by(calendar_days.c.day)
            )
        ).all()
    )


async def replace_calendar_year(
    session: AsyncSession,
    year: int,
    holidays: list[date],
    workdays: list[date],
    *,
    loaded_by: str,
    loaded_at: datetime,
) -> None:
    """Drop a year's overrides and write the given holidays and working days instead."""
    await session.execute(
        delete(calendar_days).where(
            calendar_days.c.day >= date(year, 1, 1), calendar_days.c.day <= date(year, 12, 31)
        )
    )
    rows = [
        {"day": d, "is_workday": flag, "note": None, "loaded_by": loaded_by, "loaded_at": loaded_at}
        for flag, days in ((False, holidays), (True, workdays))
        for d in days
    ]
    if rows:
        await session.execute(insert(calendar_days), rows)


# ---------------------------------------------------------------- members replica


async def upsert_member(
    session: AsyncSession, member_id: str, version: int, values: dict[str, Any], at: datetime
) -> None:
    """Insert or update a member; an older version never overwrites a newer one."""
    row = {"member_id": member_id, "version": version, "updated_at": at, **values}
    result = await session.execute(insert_ignoring(session, members, ["member_id"]).values(**row))
    if not result.rowcount:  # type: ignore[attr-defined]
        await session.execute(
            update(members)
            .where(members.c.member_id == member_id, members.c.version < version)
            .values(version=version, updated_at=at, **values)
        )


async def change_member(
    session: AsyncSession, member_id: str, version: int, values: dict[str, Any], at: datetime
) -> None:
    """Update a known member to `version`, unless a newer version is already kept."""
    await session.execute(
        update(members)
        .where(members.c.member_id == member_id, members.c.version < version)
        .values(version=version, updated_at=at, **values)
    )


async def active_members_under(session: AsyncSession, area_code: str) -> list[Any]:
    """Active members of units inside `area_code`'s subtree, each with its unit's area."""
    return list(
        (
            await session.execute(
                select(members, org_units.c.area_code.label("unit_area"))
                .join(org_units, org_units.c.id == members.c.org_unit_id)
                .where(
                    members.c.active.is_(True),
                    org_units.c.area_code.startswith(area_prefix(area_code)),
                )
            )
        ).all()
    )


async def open_loads(session: AsyncSession, member_ids: list[str]) -> dict[str, int]:
    """How many open requests each of `member_ids` handles (absent: none)."""
    if not member_ids:
        return {}
    rows = (
        await session.execute(
            select(requests.c.handler_member_id, func.count())
            .where(
                requests.c.handler_member_id.in_(member_ids),
                requests.c.status.in_([s.value for s in OPEN_STATUSES]),
            )
            .group_by(requests.c.handler_member_id)
        )
    ).all()
    return {row.handler_member_id: int(row[1]) for row in rows}


# ---------------------------------------------------------------- requests, read by cadres


@dataclass(frozen=True)
class RequestFilter:
    """Which requests a cadre's list shows (every field optional but the area prefix)."""

    area_prefix: str
    statuses: list[str] | None = None
    org_unit_id: str | None = None
    handler_member_id: str | None = None
    accepted_by: str | None = None
    service_code: str | None = None
    overdue: bool | None = None
    due_before: datetime | None = None
    escalated: bool | None = None


async def requests_page(
    session: AsyncSession,
    wanted: RequestFilter,
    *,
    before_id: str | None,
    limit: int,
    now: datetime,
) -> list[dict[str, Any]]:
    """Up to `limit` requests matching `wanted`, newest first, below `before_id` if given."""
    query = select(requests).where(requests.c.org_area_code.startswith(wanted.area_prefix))
    if wanted.statuses:
        query = query.where(requests.c.status.in_(wanted.statuses))
    if wanted.accepted_by:
        query = query.where(requests.c.accepted_by == wanted.accepted_by)
    running = requests.c.status.in_([s.value for s in CLOCK_RUNNING])
    if wanted.due_before is not None:
        query = query.where(running & (requests.c.due_at < wanted.due_before))
    if wanted.escalated is not None:
        query = query.where(
            requests.c.escalations > 0 if wanted.escalated else requests.c.escalations == 0
        )
    if wanted.org_unit_id:
        query = query.where(requests.c.org_unit_id == wanted.org_unit_id)
    if wanted.handler_member_id:
        query = query.where(requests.c.handler_member_id == wanted.handler_member_id)
    if wanted.service_code:
        query = query.where(requests.c.service_code == wanted.service_code)
    if wanted.overdue is not None:
        late = running & (requests.c.due_at < now)
        query = query.where(late) if wanted.overdue else query.where(~late)
    if before_id is not None:
        query = query.where(requests.c.id < before_id)
    rows = (await session.execute(query.order_by(requests.c.id.desc()).limit(limit))).all()
    return [dict(r._mapping) for r in rows]


async def record_personal_data_read(
    session: AsyncSession, request_id: str, *, reader: str, role: str, purpose: str, at: datetime
) -> None:
    """Log one read of a citizen's unmasked contact."""
    await session.execute(
        insert(personal_data_reads).values(
            request_id=request_id, reader=reader, role=role, purpose=purpose, at=at
        )
    )


async def find_request(session: AsyncSession, request_id: str) -> dict[str, Any] | None:
    """A request's row by id, or None."""
    row = (await session.execute(select(requests).where(requests.c.id == request_id))).first()
    return dict(row._mapping) if row else None


# ---------------------------------------------------------------- the request aggregate


async def get_for_update(session: AsyncSession, request_id: str) -> Request | None:
    """The request, its row locked on PostgreSQL until the transaction ends; None if unknown."""
    query = select(requests).where(requests.c.id == request_id)
    if not is_sqlite(session):
        query = query.with_for_update()
    row = (await session.execute(query)).first()
    return Request(dict(row._mapping)) if row is not None else None


async def save(session: AsyncSession, req: Request) -> bool:
    """Write what changed since `req` was loaded, then its history; False when someone else
    changed the request meanwhile (its version moved), and nothing is written."""
    result = await session.execute(
        update(requests)
        .where(requests.c.id == req.id, requests.c.version == req.loaded_version)
        .values(**req.changed)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return False
    for entry in req.history:
        await session.execute(insert(history), entry)
    req.loaded_version = req.row["version"]
    req.changed = {}
    req.history = []
    return True


# ---------------------------------------------------------------- the SLA scanner's batches
# Each batch is claimed with SKIP LOCKED on PostgreSQL, so replicas scanning at once skip each
# other's rows instead of waiting and handling them twice; SQLite has one writer anyway.


async def _claimed(session: AsyncSession, query: Any) -> list[dict[str, Any]]:
    if not is_sqlite(session):
        query = query.with_for_update(skip_locked=True)
    return [dict(r._mapping) for r in (await session.execute(query)).all()]


async def claim_overdue(
    session: AsyncSession, *, now: datetime, area_prefix: str, limit: int
) -> list[dict[str, Any]]:
    """Up to `limit` watched requests past their due time, earliest due first."""
    query = select(requests).where(requests.c.due_at < now, text(SLA_WATCHED))
    if area_prefix:
        query = query.where(requests.c.org_area_code.startswith(area_prefix))
    return await _claimed(session, query.order_by(requests.c.due_at).limit(limit))


async def mark_overdue(
    session: AsyncSession, row: dict[str, Any], *, now: datetime, actor: str, note: str
) -> dict[str, Any] | None:
    """Mark one breach (guarded by the version) with its history entry; the row as it now
    stands, or None when it changed meanwhile or was marked already."""
    marked = await session.execute(
        update(requests)
        .where(
            requests.c.id == row["id"],
            requests.c.version == row["version"],
            requests.c.overdue_marked.is_(False),
        )
        .values(
            overdue_marked=True,
            overdue_at=now,
            supervised_at=None,
            version=row["version"] + 1,
            updated_at=now,
        )
    )
    if marked.rowcount != 1:  # type: ignore[attr-defined]
        return None
    row = {
        **row,
        "overdue_marked": True,
        "overdue_at": now,
        "supervised_at": None,
        "version": row["version"] + 1,
        "updated_at": now,
    }
    await session.execute(
        history.insert().values(
            request_id=row["id"],
            version=row["version"],
            action="overdue",
            from_status=row["status"],
            to_status=row["status"],
            actor=actor,
            org_unit_id=row["org_unit_id"],
            note=note,
            at=now,
        )
    )
    return row


async def claim_stale_resolved(
    session: AsyncSession, *, cutoff: datetime, area_prefix: str, limit: int
) -> list[dict[str, Any]]:
    """Up to `limit` requests resolved before `cutoff` (and so never rated)."""
    query = (
        select(requests)
        .where(
            requests.c.status == Status.RESOLVED.value,
            requests.c.resolved_at < cutoff,
        )
        .limit(limit)
    )
    if area_prefix:
        query = query.where(requests.c.org_area_code.startswith(area_prefix))
    return await _claimed(session, query)


async def claim_due_for_chasing(
    session: AsyncSession, *, now: datetime, area_prefix: str, limit: int
) -> list[dict[str, Any]]:
    """Up to `limit` running requests past their reminder time, not yet reminded nor due."""
    query = (
        select(requests)
        .where(
            requests.c.chase_at <= now,
            requests.c.chased_at.is_(None),
            requests.c.due_at > now,
            requests.c.status.in_(sorted(s.value for s in CLOCK_RUNNING)),
            requests.c.org_area_code.startswith(area_prefix),
        )
        .order_by(requests.c.chase_at)
        .limit(limit)
    )
    return await _claimed(session, query)


async def claim_unsupervised_breaches(
    session: AsyncSession, *, breached_before: datetime, area_prefix: str, limit: int
) -> list[dict[str, Any]]:
    """Up to `limit` requests that breached before `breached_before` with no notice yet."""
    query = (
        select(requests)
        .where(
            requests.c.overdue_at < breached_before,
            requests.c.supervised_at.is_(None),
            requests.c.org_area_code.startswith(area_prefix),
        )
        .limit(limit)
    )
    return await _claimed(session, query)


async def last_breaching_unit(session: AsyncSession, request_id: str) -> str | None:
    """The unit that held the request at its latest breach."""
    unit_id: str | None = await session.scalar(
        select(history.c.org_unit_id)
        .where(history.c.request_id == request_id, history.c.action == "overdue")
        .order_by(history.c.version.desc())
        .limit(1)
    )
    return unit_id


async def breaches_by_unit(
    session: AsyncSession, *, county: str, start: datetime, end: datetime, minimum: int
) -> list[dict[str, Any]]:
    """Units of a county with at least `minimum` breaches in [start, end), most first."""
    breaches = func.count()
    query = (
        select(history.c.org_unit_id, breaches.label("breaches"))
        .join(requests, requests.c.id == history.c.request_id)
        .where(
            history.c.action == "overdue",
            history.c.at >= start,
            history.c.at < end,
            requests.c.county_area == county,
        )
        .group_by(history.c.org_unit_id)
        .having(breaches >= minimum)
        .order_by(text("breaches DESC"), history.c.org_unit_id)
    )
    rows = (await session.execute(query)).all()
    return [{"org_unit_id": r.org_unit_id, "breaches": int(r.breaches)} for r in rows]


async def open_by_tier(
    session: AsyncSession, *, now: datetime, area_prefix: str
) -> tuple[list[tuple[str, int, int]], datetime | None]:
    """Open and overdue counts per holding tier, and the earliest unmarked breach's due time."""
    open_ = requests.c.status.in_(sorted(s.value for s in OPEN_STATUSES))
    scope = requests.c.org_area_code.startswith(area_prefix)
    rows = (
        await session.execute(
            select(
                requests.c.org_tier,
                func.count(),
                func.count().filter(requests.c.due_at < now),
            )
            .where(open_, scope)
            .group_by(requests.c.org_tier)
        )
    ).all()
    oldest = await session.scalar(
        select(func.min(requests.c.due_at)).where(
            and_(open_, scope, requests.c.overdue_marked.is_(False), requests.c.due_at < now)
        )
    )
    return [(r[0], r[1], r[2]) for r in rows], oldest


# ---------------------------------------------------------------- the clock's history


async def clock_history(session: AsyncSession, request_id: str) -> list[Any]:
    """The time and details of every history entry of a request, oldest first."""
    return list(
        (
            await session.execute(
                select(history.c.at, history.c.details)
                .where(history.c.request_id == request_id)
                .order_by(history.c.version)
            )
        ).all()
    )


async def open_due_times(session: AsyncSession, area_prefix: str) -> list[Any]:
    """Id, due and reminder time of every open request inside `area_prefix`."""
    return list(
        (
            await session.execute(
                select(requests.c.id, requests.c.due_at, requests.c.chase_at).where(
                    requests.c.status.in_(sorted(s.value for s in OPEN_STATUSES)),
                    requests.c.org_area_code.startswith(area_prefix),
                )
            )
        ).all()
    )


async def set_columns(session: AsyncSession, request_id: str, values: dict[str, Any]) -> None:
    """Overwrite some of a request's columns, outside the version (a recomputed due time)."""
    await session.execute(update(requests).where(requests.c.id == request_id).values(**values))


# ---------------------------------------------------------------- visits


async def add_visit(session: AsyncSession, row: dict[str, Any]) -> None:
    """Insert a visit."""
    await session.execute(insert(visits).values(**row))


async def visits_in_month(session: AsyncSession, month: str, area_code: str) -> list[Any]:
    """Visits of a month (YYYY-MM) logged by units inside `area_code`'s subtree."""
    return list(
        (
            await session.execute(
                select(visits).where(
                    visits.c.month == month,
                    visits.c.org_area_code.startswith(area_prefix(area_code)),
                )
            )
        ).all()
    )


async def statuses_of(session: AsyncSession, request_ids: list[str]) -> dict[str, str]:
    """The status of each of `request_ids` that exists."""
    if not request_ids:
        return {}
    found = await session.execute(
        select(requests.c.id, requests.c.status).where(requests.c.id.in_(request_ids))
    )
    return {r.id: r.status for r in found}


async def claim_expired_waits(
    session: AsyncSession, *, now: datetime, area_prefix: str, limit: int
) -> list[dict[str, Any]]:
    """Up to `limit` requests waiting for the citizen past their maximum wait."""
    query = (
        select(requests)
        .where(
            requests.c.status == Status.WAITING.value,
            requests.c.paused_until < now,
            requests.c.org_area_code.startswith(area_prefix),
        )
        .limit(limit)
    )
    return await _claimed(session, query)


async def last_details(session: AsyncSession, request_id: str, action: str) -> Any:
    """The details of the request's latest history entry of `action`, or None."""
    return await session.scalar(
        select(history.c.details)
        .where(history.c.request_id == request_id, history.c.action == action)
        .order_by(history.c.version.desc())
        .limit(1)
    )


# ---------------------------------------------------------------- requests, one by one


async def insert_rows(
    session: AsyncSession, writes: Iterable[tuple[Table, dict[str, Any]]]
) -> None:
    """Insert each (table, row) in order (a visit's problem joins the visit's transaction)."""
    for table, values in writes:
        await session.execute(insert(table), values)


async def request_id_by_tracking_code(session: AsyncSession, code: str) -> str | None:
    """The id of the request with tracking code `code`, or None."""
    found = (
        await session.execute(select(requests.c.id).where(requests.c.tracking_code == code))
    ).first()
    return None if found is None else str(found.id)


async def find_by_tracking_code(session: AsyncSession, code: str) -> dict[str, Any] | None:
    """The request with tracking code `code`, or None."""
    row = (await session.execute(select(requests).where(requests.c.tracking_code == code))).first()
    return dict(row._mapping) if row else None


async def history_of(session: AsyncSession, request_id: str) -> list[dict[str, Any]]:
    """The request's audit trail, oldest first."""
    rows = (
        await session.execute(
            select(history).where(history.c.request_id == request_id).order_by(history.c.version)
        )
    ).all()
    return [dict(r._mapping) for r in rows]


# ------------------------------------------------ co-handling, extensions, callbacks


async def co_task_for_update(
    session: AsyncSession, request_id: str, task_id: str
) -> dict[str, Any] | None:
    """A helper task of the request, locked on PostgreSQL; None if unknown."""
    query = select(co_tasks).where(co_tasks.c.id == task_id, co_tasks.c.request_id == request_id)
    if not is_sqlite(session):
        query = query.with_for_update()
    task = (await session.execute(query)).first()
    return dict(task._mapping) if task else None


async def add_co_task(session: AsyncSession, row: dict[str, Any]) -> None:
    """Insert a helper task."""
    await session.execute(insert(co_tasks).values(**row))


async def change_co_task(session: AsyncSession, task_id: str, values: dict[str, Any]) -> None:
    """Overwrite fields of a helper task."""
    await session.execute(update(co_tasks).where(co_tasks.c.id == task_id).values(**values))


async def holder_area_of(session: AsyncSession, request_id: str) -> str | None:
    """The area code of the unit holding the request, or None if there is no such request."""
    area: str | None = await session.scalar(
        select(requests.c.org_area_code).where(requests.c.id == request_id)
    )
    return area


async def co_tasks_of(session: AsyncSession, request_id: str) -> list[dict[str, Any]]:
    """The helper tasks of a request, oldest first."""
    rows = (
        await session.execute(
            select(co_tasks)
            .where(co_tasks.c.request_id == request_id)
            .order_by(co_tasks.c.created_at)
        )
    ).all()
    return [dict(r._mapping) for r in rows]


async def pending_extensions(session: AsyncSession, request_id: str) -> int:
    """How many extensions of the request wait for a decision."""
    count: int | None = await session.scalar(
        select(func.count()).where(
            extensions.c.request_id == request_id, extensions.c.status == "pending"
        )
    )
    return count or 0


async def add_extension(session: AsyncSession, row: dict[str, Any]) -> None:
    """Insert an extension request."""
    await session.execute(insert(extensions).values(**row))


async def find_extension(
    session: AsyncSession, request_id: str, extension_id: str
) -> dict[str, Any] | None:
    """An extension of the request, or None."""
    found = (
        await session.execute(
            select(extensions).where(
                extensions.c.id == extension_id, extensions.c.request_id == request_id
            )
        )
    ).first()
    return dict(found._mapping) if found else None


async def change_extension(
    session: AsyncSession, extension_id: str, values: dict[str, Any]
) -> None:
    """Overwrite fields of an extension (its decision)."""
    await session.execute(
        update(extensions).where(extensions.c.id == extension_id).values(**values)
    )


async def callback_outcomes(session: AsyncSession, request_id: str) -> list[str]:
    """The outcome of each callback of the request so far."""
    rows = (
        await session.execute(
            select(callbacks.c.outcome).where(callbacks.c.request_id == request_id)
        )
    ).all()
    return [r.outcome for r in rows]


async def add_callback(session: AsyncSession, row: dict[str, Any]) -> None:
    """Insert a callback."""
    await session.execute(insert(callbacks).values(**row))


# ---------------------------------------------------------------- Open311


async def active_items_by_code(session: AsyncSession, county_area: str) -> list[dict[str, Any]]:
    """A county's active catalogue items, by code."""
    rows = (
        await session.execute(
            select(catalog_items)
            .where(catalog_items.c.county_area == county_area, catalog_items.c.active.is_(True))
            .order_by(catalog_items.c.code)
        )
    ).all()
    return [dict(r._mapping) for r in rows]


@dataclass(frozen=True)
class RequestWindow:
    """Which requests of a county an Open311 search answers: by id, or by time and filters."""

    ids: list[str] | None = None
    start: datetime | None = None
    end: datetime | None = None
    service_codes: list[str] | None = None
    # Only statuses in `statuses_in`, or only those not in `statuses_not_in`.
    statuses_in: list[str] | None = None
    statuses_not_in: list[str] | None = None


async def requests_with_service_names(
    session: AsyncSession, county_area: str, window: RequestWindow, limit: int
) -> list[tuple[dict[str, Any], str]]:
    """Up to `limit` requests of the county in `window`, newest first, with their item's name."""
    query = (
        select(requests, catalog_items.c.name.label("service_name"))
        .join(catalog_items, catalog_items.c.id == requests.c.catalog_item_id)
        .where(requests.c.county_area == county_area)
    )
    if window.ids is not None:
        query = query.where(requests.c.id.in_(window.ids))
    else:
        query = query.where(
            requests.c.received_at >= window.start, requests.c.received_at <= window.end
        )
        if window.service_codes is not None:
            query = query.where(requests.c.service_code.in_(window.service_codes))
        if window.statuses_not_in is not None:
            query = query.where(requests.c.status.not_in(window.statuses_not_in))
        elif window.statuses_in is not None:
            query = query.where(requests.c.status.in_(window.statuses_in))
    query = query.order_by(requests.c.received_at.desc()).limit(limit)
    rows = (await session.execute(query)).all()
    return [(dict(r._mapping), r.service_name) for r in rows]
