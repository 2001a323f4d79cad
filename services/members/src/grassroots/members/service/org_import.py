"""Import of a county's branch list: the tree in one go, parents first whatever the row order."""

from __future__ import annotations

import re
from typing import IO, Any

from pydantic import ValidationError

from grassroots.kit.auth import Principal
from grassroots.kit.db import AsyncSession
from grassroots.kit.problems import Invalid, ProblemError
from grassroots.kit.spreadsheets import cell_text, read_table
from grassroots.members.adapters import units as repo
from grassroots.members.domain import org_columns as cols
from grassroots.members.domain.import_report import (
    CreatedUnit,
    ImportRejection,
    OrgImportResult,
    RowError,
)
from grassroots.members.service.commands import OrgUnitIn
from grassroots.members.service.deps import Deps
from grassroots.members.service.org_units import create_org_unit
from grassroots.members.service.registry import pydantic_errors

_AREA = re.compile(r"^\d{12}$")
MAX_ROWS = 50_000


class _DryRunDone(Exception):
    """Raised to roll a dry run's savepoint back."""


async def import_org_units(
    session: AsyncSession,
    deps: Deps,
    principal: Principal,
    filename: str,
    stream: IO[bytes],
    *,
    dry_run: bool = False,
) -> OrgImportResult:
    """Create every unit of the file whose parent is known or created earlier in the file."""
    principal.require_role("org_admin")
    table = read_table(filename, stream, lambda h: cols.field_for_header(h) is not None)
    by_field: dict[str, int] = {}
    for index, header in enumerate(table.header):
        field = cols.field_for_header(header)
        if field is not None:
            by_field.setdefault(field, index)
    missing = [f for f in cols.REQUIRED_FIELDS if f not in by_field]
    if missing:
        names = "、".join(cols.FIELD_HEADERS[f][0] for f in missing)
        raise Invalid("file", f"缺少必需的列：{names} / missing columns {missing}")
    column = {f: table.header[i] for f, i in by_field.items()}

    def error(field: str, message: str) -> RowError:
        return RowError(
            field=field,
            column=column.get(field, field),
            message=message,
            message_zh=cols.reason_zh(message),
        )

    pending: list[tuple[int, dict[str, str]]] = []
    rejected: list[ImportRejection] = []
    number = 0
    for cells in table.rows:
        number += 1
        if number > MAX_ROWS:
            raise Invalid("file", f"最多 {MAX_ROWS} 行 / at most {MAX_ROWS} rows")
        values = {
            f: cols.from_label(f, cell_text(cells[i])) if i < len(cells) else ""
            for f, i in by_field.items()
        }
        if not any(values.values()):
            continue
        pending.append((number, values))

    existing = await _existing(session, principal)
    created: list[CreatedUnit] = []
    # The file's own units, by name and by area code, as they are created.
    made_by_ref: dict[str, list[str]] = {}
    file_refs = {v["name"] for _, v in pending} | {v["area_code"] for _, v in pending}

    async def create_all() -> None:
        nonlocal pending
        while pending:
            waiting: list[tuple[int, dict[str, str]]] = []
            for row, values in pending:
                reference = values.get("parent", "")
                parent_id, why = _parent(reference, made_by_ref, existing)
                if parent_id is None and why is None:
                    waiting.append((row, values))
                    continue
                if why is not None and reference not in file_refs:
                    rejected.append(ImportRejection(row=row, errors=[error("parent", why)]))
                    continue
                if why is not None:
                    waiting.append((row, values))
                    continue
                outcome = await _create(session, deps, principal, values, parent_id)
                if isinstance(outcome, list):
                    rejected.append(
                        ImportRejection(row=row, errors=[error(f, m) for f, m in outcome])
                    )
                    continue
                created.append(CreatedUnit(row=row, **outcome))
                for key in (values["name"], values["area_code"]):
                    made_by_ref.setdefault(key, []).append(outcome["id"])
            if len(waiting) == len(pending):
                for row, values in waiting:
                    message = f"no parent {values.get('parent')} in the file or the tree"
                    rejected.append(ImportRejection(row=row, errors=[error("parent", message)]))
                return
            pending = waiting

    try:
        async with session.begin_nested():
            await create_all()
            if dry_run:
                raise _DryRunDone
    except _DryRunDone:
        pass
    rejected.sort(key=lambda r: r.row)
    created.sort(key=lambda u: u.row)
    return OrgImportResult(
        dry_run=dry_run, rows_read=number, created=len(created), rejected=rejected, units=created
    )


def _parent(
    reference: str, made: dict[str, list[str]], existing: dict[str, list[str]]
) -> tuple[str | None, str | None]:
    """(parent id, None) when known; (None, None) for a root; (None, why) when not (yet)."""
    if not reference:
        return None, None
    found = made.get(reference) or existing.get(reference)
    if not found:
        return None, f"no parent {reference} in the file or the tree"
    if len(found) > 1:
        return None, f"more than one unit is called {reference}: give its area code"
    return found[0], None


async def _existing(session: AsyncSession, principal: Principal) -> dict[str, list[str]]:
    rows = await repo.units_under(session, principal.area_prefix)
    refs: dict[str, list[str]] = {}
    for row in rows:
        refs.setdefault(row.id, []).append(row.id)
        refs.setdefault(row.name, []).append(row.id)
        refs.setdefault(row.area_code, []).append(row.id)
    return refs


async def _create(
    session: AsyncSession,
    deps: Deps,
    principal: Principal,
    values: dict[str, str],
    parent_id: str | None,
) -> dict[str, Any] | list[tuple[str, str]]:
    body_values = {k: v for k, v in values.items() if k != "parent" and v}
    try:
        body = OrgUnitIn.model_validate({**body_values, "parent_id": parent_id})
    except ValidationError as exc:
        return [(e["field"], e["message"]) for e in pydantic_errors(exc)]
    try:
        async with session.begin_nested():
            unit = await create_org_unit(session, deps, principal, body)
    except ProblemError as exc:
        problems = exc.errors or [{"field": "name", "message": exc.detail}]
        return [
            (str(p["field"]).replace("parent_id", "parent"), str(p["message"])) for p in problems
        ]
    return {
        "id": unit["id"],
        "name": unit["name"],
        "area_code": unit["area_code"],
        "parent_id": parent_id,
    }
