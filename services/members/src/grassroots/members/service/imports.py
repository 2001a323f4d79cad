"""Import of member rows from CSV or XLSX as people keep them: Chinese headers and labels."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from itertools import islice
from typing import IO, Any

from pydantic import ValidationError
from uuid6 import uuid7

from grassroots.kit import clock
from grassroots.kit.auth import Principal
from grassroots.kit.db import AsyncSession
from grassroots.kit.problems import Invalid, ProblemError
from grassroots.kit.sealing import KeyRing
from grassroots.kit.spreadsheets import Table, cell_text, parse_date, read_table
from grassroots.members import metrics
from grassroots.members.adapters import members as member_repo
from grassroots.members.adapters import units as unit_repo
from grassroots.members.adapters.events import PendingEvent, record_events
from grassroots.members.domain import columns as cols
from grassroots.members.domain.identity import normalise_phone
from grassroots.members.domain.import_report import (
    AcceptedRow,
    ImportRejection,
    ImportResult,
    RowError,
)
from grassroots.members.service.commands import MemberIn, MemberPatch
from grassroots.members.service.deps import Deps
from grassroots.members.service.registry import (
    aliases_for,
    county_of,
    member_row,
    prepare_member,
    pydantic_errors,
    registration_events,
    update_member,
)

REQUIRED_FIELDS = ("name", "id_number", "org_unit_id", "stage")
CHUNK = 1000
SLICE = 5000
# How many accepted rows the answer shows with what was understood of them.
PREVIEW_ROWS = 100
# Fields an import may change on a member it names by 编号; the others have their own
# procedures (stage changes, transfers) or follow from the ID number.
EDITABLE = tuple(MemberPatch.model_fields)
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_AREA = re.compile(r"^\d{12}$")


@dataclass
class Layout:
    """Which column of the file feeds which field."""

    by_field: dict[str, list[int]]
    header: list[str]

    def column(self, field_name: str) -> str:
        """The file's name of the column behind a field (the key when the file lacks it)."""
        top = field_name.split(".")[0]
        indexes = self.by_field.get(top)
        return self.header[indexes[0]] if indexes else top


def layout_of(table: Table) -> tuple[Layout, list[str]]:
    """Map the header to fields; the ignored columns; 422 when a required one is missing."""
    by_field: dict[str, list[int]] = {}
    ignored: list[str] = []
    for index, name in enumerate(table.header):
        field_name = cols.field_for_header(name)
        if field_name is None or field_name in cols.READ_ONLY_FIELDS:
            if not cols.is_ignored_header(name):
                ignored.append(name)
            continue
        by_field.setdefault(field_name, []).append(index)
    layout = Layout(by_field, table.header)
    missing = [f for f in REQUIRED_FIELDS if f not in by_field]
    if missing:
        names = "、".join(cols.FIELD_HEADERS[f][0] for f in missing)
        raise Invalid(
            "file",
            f"缺少必需的列：{names} / missing columns {missing}; header read: {table.header}",
        )
    return layout, ignored


def convert_row(layout: Layout, cells: list[Any]) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """A data row as `MemberIn` values (labels, dates and lists understood), or cell errors."""
    values: dict[str, Any] = {}
    errors: list[dict[str, str]] = []
    for field_name, indexes in layout.by_field.items():
        raw = next((cells[i] for i in indexes if i < len(cells) and cell_text(cells[i])), None)
        if raw is None:
            continue
        text_value = cell_text(raw)
        try:
            if field_name in cols.DATE_FIELDS:
                values[field_name] = parse_date(raw)
            elif field_name in cols.BOOL_FIELDS:
                values[field_name] = cols.parse_flag(text_value)
            elif field_name in cols.LIST_FIELDS:
                tags = cols.split_list(text_value)
                values[field_name] = [cols.from_label(field_name, t) for t in tags]
            else:
                values[field_name] = cols.from_label(field_name, text_value)
        except ValueError as exc:
            errors.append({"field": field_name, "message": str(exc)})
    return values, errors


def row_error(layout: Layout, error: dict[str, str]) -> RowError:
    """An error with the file's column name and the reason in both languages."""
    return RowError(
        field=error["field"],
        column=layout.column(error["field"]),
        message=error["message"],
        message_zh=cols.reason_zh(error["message"]),
    )


@dataclass(frozen=True)
class CheckContext:
    """Everything a row check needs (no session: checking is pure computation)."""

    units: dict[str, str]
    aliases: dict[str, dict[str, str]]
    principal: Principal
    scope_prefix: str
    deployment_prefix: str
    keys: tuple[tuple[str, str], ...]
    active_key_id: str
    index_key: str | None
    today: date


@dataclass
class _Outcome:
    result: ImportResult
    seen_hashes: dict[str, int] = field(default_factory=dict)


@dataclass
class UnitIndex:
    """Units of the importer's scope by id, by area code and by name."""

    by_id: dict[str, str] = field(default_factory=dict)
    by_area: dict[str, list[str]] = field(default_factory=dict)
    by_name: dict[str, list[str]] = field(default_factory=dict)
    area_of: dict[str, str] = field(default_factory=dict)
    name_of: dict[str, str] = field(default_factory=dict)

    def resolve(self, reference: str) -> tuple[str | None, str | None]:
        """The unit id a cell means (an id, a 12-digit area code or a name), or why not."""
        if reference in self.by_id:
            return reference, None
        if _AREA.match(reference):
            found = self.by_area.get(reference, [])
            if not found:
                return None, f"no organisation unit with area code {reference}"
        else:
            found = self.by_name.get(reference, [])
            if not found:
                return None, f"no organisation unit named {reference} in this scope"
        if len(found) > 1:
            return None, f"more than one unit is called {reference}: give its area code or id"
        return found[0], None


async def load_units(session: AsyncSession, principal: Principal, deployment: str) -> UnitIndex:
    """Every unit the importer may import into (the scope's units are few: a county's thousands)."""
    prefix = principal.area_prefix
    if len(deployment) > len(prefix):
        prefix = deployment
    rows = await unit_repo.units_under(session, prefix)
    index = UnitIndex()
    for row in rows:
        index.by_id[row.id] = row.area_code
        index.by_area.setdefault(row.area_code, []).append(row.id)
        index.by_name.setdefault(row.name.strip(), []).append(row.id)
        index.area_of[row.id] = row.area_code
        index.name_of[row.id] = row.name
    return index


def open_table(filename: str, stream: IO[bytes], sheet: str | None) -> Table:
    """The upload as a table whose header names member columns."""

    def known(header: str) -> bool:
        return cols.field_for_header(header) is not None

    return read_table(filename, stream, known, sheet=sheet)


SessionScope = Callable[[], AbstractAsyncContextManager[AsyncSession]]
Progress = Callable[[AsyncSession, "ImportResult"], Awaitable[None]]


async def import_members(
    transactions: SessionScope,
    deps: Deps,
    principal: Principal,
    filename: str,
    stream: IO[bytes],
    *,
    dry_run: bool = False,
    sheet: str | None = None,
    progress: Progress | None = None,
) -> ImportResult:
    """Check every row; write the good ones (new or edited members) and name the bad ones.

    Each slice of rows runs in a session from `transactions`: one transaction for a whole
    upload, or one per slice for a background job.
    """
    principal.require_role("org_admin")
    table = open_table(filename, stream, sheet)
    layout, ignored = layout_of(table)
    async with transactions() as session:
        units = await load_units(session, principal, deps.deployment_prefix)
        aliases = {
            county: await aliases_for(session, county)
            for county in {county_of(a) for a in units.area_of.values()}
        }
    keys, active_key_id, index_key = deps.cipher.config
    context = CheckContext(
        units=units.area_of,
        aliases=aliases,
        principal=principal,
        scope_prefix=principal.area_prefix,
        deployment_prefix=deps.deployment_prefix,
        keys=tuple(sorted(keys.items())),
        active_key_id=active_key_id,
        index_key=index_key,
        today=clock.today(),
    )
    result = ImportResult(
        dry_run=dry_run,
        columns={layout.header[i]: f for f, indexes in layout.by_field.items() for i in indexes},
        ignored_columns=ignored,
    )
    outcome = _Outcome(result)
    number = 0
    rows = _non_blank(table.rows)
    # A slice at a time: the sheet is read lazily, so memory stays bounded however large.
    while True:
        batch = list(islice(rows, SLICE))
        if not batch:
            break
        slice_rows = []
        for cells in batch:
            number += 1
            slice_rows.append((number, cells))
        async with transactions() as session:
            await _take_slice(session, deps, principal, context, layout, units, slice_rows, outcome)
            result.rows_read = number
            if progress is not None:
                await progress(session, result)
    result.rejected.sort(key=lambda r: r.row)
    result.accepted = result.created + result.updated
    if not dry_run:
        metrics.IMPORT_ROWS.labels("accepted").inc(result.accepted)
        metrics.IMPORT_ROWS.labels("rejected").inc(len(result.rejected))
    return result


async def import_upload(
    session: AsyncSession,
    deps: Deps,
    principal: Principal,
    filename: str,
    stream: IO[bytes],
    *,
    dry_run: bool = False,
    sheet: str | None = None,
) -> ImportResult:
    """Import an upload in the caller's one transaction: good rows commit with it."""

    @asynccontextmanager
    async def same_transaction() -> AsyncIterator[AsyncSession]:
        yield session

    return await import_members(
        same_transaction, deps, principal, filename, stream, dry_run=dry_run, sheet=sheet
    )


def _non_blank(rows: Iterator[list[Any]]) -> Iterator[list[Any]]:
    """Data rows; blank rows (often trailing, sometimes between blocks) are skipped."""
    pending = 0
    for cells in rows:
        if any(cell_text(c) for c in cells):
            # Blank rows inside the data still count, so row numbers match the file's.
            yield from ([] for _ in range(pending))
            pending = 0
            yield cells
        else:
            pending += 1


async def _take_slice(
    session: AsyncSession,
    deps: Deps,
    principal: Principal,
    context: CheckContext,
    layout: Layout,
    units: UnitIndex,
    slice_rows: list[tuple[int, list[Any]]],
    outcome: _Outcome,
) -> None:
    result = outcome.result
    new_rows: list[tuple[int, dict[str, Any]]] = []
    edits: list[tuple[int, str, dict[str, Any]]] = []
    for number, cells in slice_rows:
        if not cells:
            continue
        values, errors = convert_row(layout, cells)
        reference = values.get("org_unit_id")
        if isinstance(reference, str):
            unit_id, why = units.resolve(reference)
            if unit_id is None:
                errors.append({"field": "org_unit_id", "message": str(why)})
            else:
                values["org_unit_id"] = unit_id
        if errors:
            _reject(result, layout, number, errors)
            continue
        member_id = values.pop("id", None)
        if member_id:
            edits.append((number, str(member_id), values))
        else:
            new_rows.append((number, values))
    if new_rows:
        checked = check_slice(context, new_rows)
        await _take_new(session, deps, principal, context, layout, checked, outcome)
    if edits:
        await _take_edits(session, deps, principal, layout, units, edits, outcome)


CheckedRow = tuple[int, list[dict[str, str]], dict[str, Any] | None, str | None]


def check_slice(context: CheckContext, rows: list[tuple[int, dict[str, Any]]]) -> list[CheckedRow]:
    """Check new rows: each with its errors, or its sealed database row and phone."""
    cipher = _ring(context.keys, context.active_key_id, context.index_key)
    checked: list[CheckedRow] = []
    for number, values in rows:
        errors, prepared = _check_row(values, context, cipher)
        if prepared is None:
            checked.append((number, errors, None, None))
        else:
            checked.append((number, [], prepared[0], prepared[1]))
    return checked


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
    prepared, phone, errors = prepare_member(
        body, context.aliases[county_of(area_code)], context.today
    )
    if errors:
        return errors, None
    row = member_row(str(uuid7()), prepared, phone, cipher, context.principal.sub)
    return [], (row, phone)


def _reject(
    result: ImportResult, layout: Layout, number: int, errors: list[dict[str, str]]
) -> None:
    result.rejected.append(
        ImportRejection(row=number, errors=[row_error(layout, e) for e in errors])
    )


def _understood(row: dict[str, Any]) -> dict[str, Any]:
    shown = ("name", "gender", "birth_date", "education", "org_unit_id", "stage", "joined_at")
    out = {k: row.get(k) for k in shown if row.get(k) is not None}
    out["skills"] = row.get("skills", [])
    return out


async def _take_new(
    session: AsyncSession,
    deps: Deps,
    principal: Principal,
    context: CheckContext,
    layout: Layout,
    checked: list[CheckedRow],
    outcome: _Outcome,
) -> None:
    """Drop repeats and registered ID numbers, then write the rest (unless a dry run)."""
    result = outcome.result
    kept: list[tuple[int, dict[str, Any], str | None]] = []
    for number, errors, row, phone in checked:
        if row is not None:
            earlier = outcome.seen_hashes.get(row["id_number_hash"])
            if earlier is not None:
                errors = [{"field": "id_number", "message": f"repeats row {earlier}"}]
            else:
                outcome.seen_hashes[row["id_number_hash"]] = number
        if errors or row is None:
            _reject(result, layout, number, errors)
            continue
        kept.append((number, row, phone))
    taken = await _registered(session, [r["id_number_hash"] for _, r, _ in kept])
    rows: list[dict[str, Any]] = []
    events: list[PendingEvent] = []
    skills: list[dict[str, str]] = []
    for number, row, phone in kept:
        if row["id_number_hash"] in taken:
            _reject(
                result, layout, number, [{"field": "id_number", "message": "already registered"}]
            )
            continue
        if len(result.preview) < PREVIEW_ROWS:
            result.preview.append(
                AcceptedRow(
                    row=number, member_id=row["id"], action="created", values=_understood(row)
                )
            )
        result.created += 1
        rows.append(row)
        events.extend(registration_events(row, context.units[row["org_unit_id"]], phone))
        skills.extend({"member_id": row["id"], "skill": s} for s in row["skills"])
    if outcome.result.dry_run:
        return
    await member_repo.add_members_in_bulk(session, rows, skills)
    await record_events(session, deps.outbox, events, principal.sub)


async def _take_edits(
    session: AsyncSession,
    deps: Deps,
    principal: Principal,
    layout: Layout,
    units: UnitIndex,
    edits: list[tuple[int, str, dict[str, Any]]],
    outcome: _Outcome,
) -> None:
    """Rows naming a member by 编号: the editable fields that differ change, nothing else."""
    result = outcome.result
    ids = [member_id for _, member_id, _ in edits if _UUID.match(member_id)]
    current = {}
    for start in range(0, len(ids), CHUNK):
        found = await member_repo.members_by_id(session, ids[start : start + CHUNK])
        current.update({r.id: r for r in found})
    for number, member_id, values in edits:
        row = current.get(member_id)
        if row is None or row.org_unit_id not in units.area_of:
            _reject(result, layout, number, [{"field": "id", "message": f"no member {member_id}"}])
            continue
        if row.status != "active":
            _reject(
                result, layout, number, [{"field": "id", "message": f"the record is {row.status}"}]
            )
            continue
        errors, patch = _edit_of(row, values, deps.cipher)
        if errors:
            _reject(result, layout, number, errors)
            continue
        if not patch:
            result.unchanged += 1
            continue
        try:
            body = MemberPatch.model_validate(patch)
        except ValidationError as exc:
            _reject(result, layout, number, pydantic_errors(exc))
            continue
        result.updated += 1
        if len(result.preview) < PREVIEW_ROWS:
            result.preview.append(
                AcceptedRow(
                    row=number,
                    member_id=member_id,
                    action="updated",
                    values=body.model_dump(exclude_unset=True, exclude={"phone"}),
                )
            )
        if not result.dry_run:
            try:
                await update_member(session, deps, principal, member_id, body)
            except ProblemError as exc:
                result.updated -= 1
                problems = exc.errors or [{"field": "id", "message": exc.detail}]
                _reject(result, layout, number, [dict(e) for e in problems])


def _edit_of(
    row: Any, values: dict[str, Any], cipher: KeyRing
) -> tuple[list[dict[str, str]], dict[str, Any]]:
    """The PATCH an edited row asks for, or errors for columns an import cannot change."""
    errors = []
    for fixed in ("org_unit_id", "stage", "joined_at", "confirmed_at"):
        if fixed in values and values[fixed] != getattr(row, fixed):
            how = "a transfer" if fixed == "org_unit_id" else "POST /v1/members/{id}/stage"
            errors.append({"field": fixed, "message": f"changes through {how}, not an import"})
    if errors:
        return errors, {}
    patch: dict[str, Any] = {}
    for name in EDITABLE:
        if name not in values:
            continue
        given = values[name]
        if name == "phone":
            # An export's masked phone stands for the stored one.
            if "*" in str(given):
                continue
            try:
                plain = normalise_phone(str(given))
            except ValueError as exc:
                errors.append({"field": "phone", "message": str(exc)})
                continue
            stored = (
                cipher.open(row.phone_enc, record_id=row.id, field="phone")
                if row.phone_enc
                else None
            )
            if plain != stored:
                patch["phone"] = plain
            continue
        stored = getattr(row, name)
        if name in cols.LIST_FIELDS:
            if sorted(given) != sorted(stored or []):
                patch[name] = given
        elif given != stored:
            patch[name] = given
    return errors, patch


async def _registered(session: AsyncSession, hashes: list[str]) -> set[str]:
    """Which of these ID-number hashes are already registered."""
    return await member_repo.registered_hashes(session, hashes, CHUNK)


@lru_cache(maxsize=4)
def _ring(keys: tuple[tuple[str, str], ...], active_key_id: str, index_key: str | None) -> KeyRing:
    """The key ring built once per key configuration."""
    return KeyRing(dict(keys), active_key_id, index_key)
