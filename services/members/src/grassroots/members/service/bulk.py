"""Import of member rows from CSV or XLSX, and export of a subtree with masked data."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

from openpyxl import Workbook, load_workbook
from pydantic import BaseModel, ValidationError
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession
from uuid6 import uuid7

from grassroots.kit import clock
from grassroots.kit.auth import Principal
from grassroots.kit.db import Database
from grassroots.kit.problems import Invalid
from grassroots.kit.sealing import KeyRing
from grassroots.members import metrics
from grassroots.members.adapters.bulk_insert import insert_rows
from grassroots.members.adapters.orm import member_skills, members, org_units
from grassroots.members.domain.skills import split_skills
from grassroots.members.service.registry import (
    MemberIn,
    aliases_for,
    county_of,
    member_row,
    prepare_member,
    pydantic_errors,
    registration_events,
)
from grassroots.members.service.shared import Deps, PendingEvent, load_unit, record_events

REQUIRED_COLUMNS = ("name", "id_number", "org_unit_id", "stage")
COLUMNS = tuple(MemberIn.model_fields)
LIST_COLUMNS = frozenset({"skills", "duties"})
BOOL_COLUMNS = frozenset({"in_service", "public_name_consent"})
_BOOL_WORDS = {"是": "true", "否": "false", "y": "true", "n": "false"}
EXPORT_COLUMNS = ("id", *COLUMNS, "status", "floating", "lost_contact", "community_org_unit_id")
CHUNK = 1000
SLICE = 5000


class ImportRejection(BaseModel):
    """A rejected row: its 1-based data row number and what was wrong."""

    row: int
    errors: list[dict[str, str]]


class ImportResult(BaseModel):
    """Answer of `POST /v1/members/import`."""

    accepted: int
    rejected: list[ImportRejection]


def read_table(filename: str, content: bytes) -> tuple[list[str], Iterator[list[Any]]]:
    """Header and data rows of a CSV (UTF-8, with or without BOM) or XLSX upload."""
    if filename.lower().endswith((".xlsx", ".xlsm")) or content[:2] == b"PK":
        try:
            workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except Exception as exc:
            raise Invalid("file", f"not a readable XLSX workbook: {exc}") from exc
        sheet_rows = workbook.active.iter_rows(values_only=True)  # type: ignore[union-attr]
        header = next(sheet_rows, None)
        if header is None:
            raise Invalid("file", "the sheet is empty")
        return [str(h or "").strip() for h in header], (list(r) for r in sheet_rows)
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Invalid("file", "a CSV file must be UTF-8") from exc
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if header is None:
        raise Invalid("file", "the file is empty")
    return [h.strip() for h in header], reader


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()[:10]
    return str(value).strip()


def row_to_input(header: list[str], cells: list[Any]) -> dict[str, Any]:
    """A data row as the `MemberIn` fields it fills (empty cells are left out)."""
    values: dict[str, Any] = {}
    for name, raw in zip(header, cells, strict=False):
        text = _cell(raw)
        if not text:
            continue
        if name in LIST_COLUMNS:
            values[name] = split_skills(text)
        elif name in BOOL_COLUMNS:
            values[name] = _BOOL_WORDS.get(text.lower(), text)
        else:
            values[name] = text
    return values


@dataclass
class _Plan:
    rows: list[dict[str, Any]] = field(default_factory=list)
    events: list[PendingEvent] = field(default_factory=list)
    skills: list[dict[str, str]] = field(default_factory=list)
    rejected: list[ImportRejection] = field(default_factory=list)


async def import_members(
    session: AsyncSession, deps: Deps, principal: Principal, filename: str, content: bytes
) -> ImportResult:
    """Validate every row; commit the good ones (with their events) and name the bad ones."""
    principal.require_role("org_admin")
    header, data = read_table(filename, content)
    unknown = [h for h in header if h not in COLUMNS]
    if unknown:
        raise Invalid("file", f"unknown columns {unknown}; known: {list(COLUMNS)}")
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise Invalid("file", f"missing columns {missing}")
    inputs = [row_to_input(header, cells) for cells in data]
    inputs = _drop_trailing_blanks(inputs)
    units = await _units(session, {str(i.get("org_unit_id", "")) for i in inputs})
    aliases = {
        county: await aliases_for(session, county)
        for county in {county_of(u.area_code) for u in units.values()}
    }
    keys, active_key_id, index_key = deps.cipher.config
    context = CheckContext(
        units={u.id: u.area_code for u in units.values()},
        aliases=aliases,
        principal=principal,
        scope_prefix=principal.area_prefix,
        deployment_prefix=deps.deployment_prefix,
        keys=tuple(sorted(keys.items())),
        active_key_id=active_key_id,
        index_key=index_key,
        today=clock.today(),
    )
    outcome = _Outcome()
    # Rows are checked and written a slice at a time, all in the caller's one transaction,
    # so memory stays bounded however large the file.
    for start in range(0, len(inputs), SLICE):
        checked = check_slice(context, start, inputs[start : start + SLICE])
        await _take(session, deps, principal, context, checked, outcome)
    outcome.rejected.sort(key=lambda r: r.row)
    metrics.IMPORT_ROWS.labels("accepted").inc(outcome.accepted)
    metrics.IMPORT_ROWS.labels("rejected").inc(len(outcome.rejected))
    return ImportResult(accepted=outcome.accepted, rejected=outcome.rejected)


@dataclass(frozen=True)
class CheckContext:
    """Everything a row check needs (no session: checking is pure computation)."""

    units: dict[str, str]
    aliases: dict[str, dict[str, str]]
    principal: Principal
    # The token's area prefix, worked out once rather than per row.
    scope_prefix: str
    deployment_prefix: str
    keys: tuple[tuple[str, str], ...]
    active_key_id: str
    index_key: str | None
    today: date


@dataclass
class _Outcome:
    accepted: int = 0
    rejected: list[ImportRejection] = field(default_factory=list)
    seen_hashes: dict[str, int] = field(default_factory=dict)


CheckedRow = tuple[int, list[dict[str, str]], dict[str, Any] | None, str | None]


def check_slice(
    context: CheckContext, start: int, inputs: list[dict[str, Any]]
) -> list[CheckedRow]:
    """Check rows `start + 1 …`: each with its errors, or its sealed database row and phone."""
    cipher = _ring(context.keys, context.active_key_id, context.index_key)
    checked: list[CheckedRow] = []
    for number, values in enumerate(inputs, start=start + 1):
        errors, prepared = _check_row(values, context, cipher)
        if prepared is None:
            checked.append((number, errors, None, None))
        else:
            checked.append((number, [], prepared[0], prepared[1]))
    return checked


async def _take(
    session: AsyncSession,
    deps: Deps,
    principal: Principal,
    context: CheckContext,
    checked: list[CheckedRow],
    outcome: _Outcome,
) -> None:
    """Drop repeats and registered ID numbers from a checked slice, then write the rest."""
    plan = _Plan()
    for number, errors, row, phone in checked:
        if row is not None:
            earlier = outcome.seen_hashes.get(row["id_number_hash"])
            if earlier is not None:
                errors = [{"field": "id_number", "message": f"repeats row {earlier}"}]
            else:
                outcome.seen_hashes[row["id_number_hash"]] = number
        if errors or row is None:
            plan.rejected.append(ImportRejection(row=number, errors=errors))
            continue
        row["_row"] = number
        row["_phone"] = phone
        plan.rows.append(row)
    await _reject_registered(session, plan)
    await _write(session, deps, principal, plan, context.units)
    outcome.accepted += len(plan.rows)
    outcome.rejected.extend(plan.rejected)


async def _write(
    session: AsyncSession, deps: Deps, principal: Principal, plan: _Plan, units: dict[str, str]
) -> None:
    """Insert a slice's accepted members, their skills and their events."""
    for row in plan.rows:
        row.pop("_row")
        phone = row.pop("_phone")
        area = units[row["org_unit_id"]]
        plan.events.extend(registration_events(row, area, phone))
        plan.skills.extend({"member_id": row["id"], "skill": s} for s in row["skills"])
    await insert_rows(session, members, plan.rows)
    await insert_rows(session, member_skills, plan.skills)
    await record_events(session, deps.outbox, plan.events, principal.sub)


def _drop_trailing_blanks(inputs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    while inputs and not inputs[-1]:
        inputs.pop()
    return inputs


async def _units(session: AsyncSession, ids: set[str]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    ordered = sorted(i for i in ids if i)
    for start in range(0, len(ordered), CHUNK):
        rows = await session.execute(
            select(org_units.c.id, org_units.c.area_code).where(
                org_units.c.id.in_(ordered[start : start + CHUNK])
            )
        )
        found.update({r.id: r for r in rows})
    return found


def _check_row(
    values: dict[str, Any], context: CheckContext, cipher: KeyRing
) -> tuple[list[dict[str, str]], tuple[dict[str, Any], str | None] | None]:
    try:
        body = MemberIn.model_validate(values)
    except ValidationError as exc:
        return pydantic_errors(exc), None
    area_code = context.units.get(body.org_unit_id)
    if area_code is None:
        return [
            {"field": "org_unit_id", "message": f"no organisation unit {body.org_unit_id}"}
        ], None
    if not area_code.startswith(context.scope_prefix) or not area_code.startswith(
        context.deployment_prefix
    ):
        return [{"field": "org_unit_id", "message": "outside this token's scope"}], None
    aliases = context.aliases[county_of(area_code)]
    prepared, phone, errors = prepare_member(body, aliases, context.today)
    if errors:
        return errors, None
    row = member_row(str(uuid7()), prepared, phone, cipher, context.principal.sub)
    return [], (row, phone)


async def _reject_registered(session: AsyncSession, plan: _Plan) -> None:
    """Move rows whose ID number is already registered to the rejected list."""
    hashes = [r["id_number_hash"] for r in plan.rows]
    taken: set[str] = set()
    if session.get_bind().dialect.name == "postgresql":
        # One probe of the unique index per hash: the members table grows inside this very
        # transaction, where the planner's statistics cannot see it, and a hash join or a
        # sequential scan over it would make a large import quadratic.
        found = await session.execute(
            text(
                "SELECT h FROM unnest(CAST(:hashes AS text[])) AS h "
                "WHERE EXISTS (SELECT 1 FROM members m WHERE m.id_number_hash = h)"
            ),
            {"hashes": hashes},
        )
        taken.update(found.scalars())
    else:
        for start in range(0, len(hashes), CHUNK):
            query = select(members.c.id_number_hash).where(
                members.c.id_number_hash.in_(hashes[start : start + CHUNK])
            )
            taken.update((await session.execute(query)).scalars())
    if not taken:
        return
    kept = []
    for row in plan.rows:
        if row["id_number_hash"] in taken:
            plan.rejected.append(
                ImportRejection(
                    row=row["_row"],
                    errors=[{"field": "id_number", "message": "already registered"}],
                )
            )
        else:
            kept.append(row)
    plan.rows = kept


def _export_values(row: Any) -> list[Any]:
    values = dict(row._mapping)
    values["id_number"] = values.get("id_number_masked")
    values["phone"] = values.get("phone_masked")
    out = []
    for name in EXPORT_COLUMNS:
        value = values.get(name)
        if isinstance(value, list):
            value = ";".join(value)
        elif isinstance(value, bool):
            value = "true" if value else "false"
        elif isinstance(value, date):
            value = value.isoformat()
        out.append("" if value is None else value)
    return out


async def export_rows(
    db: Database, principal: Principal, org_unit_id: str
) -> AsyncIterator[list[Any]]:
    """Masked rows of a subtree's members, read page by page."""
    principal.require_role("cadre")
    async with db.read_only() as session:
        unit = await load_unit(session, org_unit_id, field="org_unit")
    principal.require_area(unit.area_code)
    subtree = select(org_units.c.id).where(org_units.c.path.startswith(unit.path))
    after = ""
    while True:
        async with db.read_only() as session:
            rows = (
                await session.execute(
                    select(members)
                    .where(members.c.org_unit_id.in_(subtree), members.c.id > after)
                    .where(members.c.status != "erased")
                    .order_by(members.c.id)
                    .limit(5000)
                )
            ).all()
        if not rows:
            return
        for row in rows:
            yield _export_values(row)
        after = rows[-1].id


async def check_export(db: Database, principal: Principal, org_unit_id: str) -> None:
    """Raise before streaming starts when the export is not allowed."""
    principal.require_role("cadre")
    async with db.read_only() as session:
        unit = await load_unit(session, org_unit_id, field="org_unit")
    principal.require_area(unit.area_code)


async def export_csv(db: Database, principal: Principal, org_unit_id: str) -> AsyncIterator[bytes]:
    """The subtree as UTF-8 CSV (with BOM so spreadsheet programs read the Chinese right)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(EXPORT_COLUMNS)
    yield ("\ufeff" + buffer.getvalue()).encode()
    batch = 0
    buffer.seek(0)
    buffer.truncate()
    async for values in export_rows(db, principal, org_unit_id):
        writer.writerow(values)
        batch += 1
        if batch == 1000:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
            batch = 0
    if buffer.tell():
        yield buffer.getvalue().encode()


async def export_xlsx(db: Database, principal: Principal, org_unit_id: str) -> bytes:
    """The subtree as an XLSX workbook (write-only mode keeps memory flat per row)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("members")
    sheet.append(list(EXPORT_COLUMNS))
    async for values in export_rows(db, principal, org_unit_id):
        sheet.append(values)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


@lru_cache(maxsize=4)
def _ring(keys: tuple[tuple[str, str], ...], active_key_id: str, index_key: str | None) -> KeyRing:
    """The key ring built once per key configuration."""
    return KeyRing(dict(keys), active_key_id, index_key)
