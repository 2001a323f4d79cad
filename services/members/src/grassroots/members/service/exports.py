"""Export of a subtree's members (masked, Chinese headers by default) and the import template."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from typing import Any

from grassroots.kit.auth import Principal
from grassroots.kit.db import Database
from grassroots.kit.spreadsheets import CsvWriter, XlsxWriter, csv_bytes, xlsx_bytes
from grassroots.members.adapters import members as member_repo
from grassroots.members.adapters import units as unit_repo
from grassroots.members.domain import columns as cols
from grassroots.members.service.deps import Deps
from grassroots.members.service.shared import load_unit

EXPORT_FIELDS = (
    "id",
    "name",
    "gender",
    "birth_date",
    "ethnicity",
    "education",
    "degree",
    "id_number",
    "phone",
    "org_unit_id",
    "stage",
    "stage_since",
    "joined_at",
    "confirmed_at",
    "category",
    "work_unit",
    "residence_area",
    "skills",
    "in_service",
    "duties",
    "public_name_consent",
    "status",
    "floating",
    "lost_contact",
    "community_org_unit_id",
)
TEMPLATE_FIELDS = (
    "name",
    "gender",
    "birth_date",
    "ethnicity",
    "education",
    "id_number",
    "phone",
    "org_unit_id",
    "stage",
    "joined_at",
    "confirmed_at",
    "work_unit",
    "skills",
    "in_service",
    "duties",
)
# The example row of the template: a made-up member with a valid ID number for 1980-02-02.
TEMPLATE_EXAMPLE = {
    "name": "张三（示例，导入前请删除本行）",
    "gender": "男",
    "birth_date": "1980年2月2日",
    "ethnicity": "汉族",
    "education": "本科",
    "id_number": "230321198002022471",
    "phone": "13800001234",
    "org_unit_id": "东升村党支部（名称、12位区划代码或编号）",
    "stage": "正式党员",
    "joined_at": "2005/7/1",
    "confirmed_at": "2006/7/1",
    "work_unit": "鸡东县供电公司",
    "skills": "电工、农机维修",
    "in_service": "是",
    "duties": "委员",
}
PAGE = 5000


def headers(fields: tuple[str, ...], lang: str) -> list[str]:
    """Column headers: Chinese names by default, keys with `lang=en`."""
    return [cols.export_header(f, lang) for f in fields]


def export_values(row: Any, unit_names: dict[str, str], lang: str) -> list[Any]:
    """One member as export cells: masked, and with Chinese labels unless `lang=en`."""
    values = dict(row._mapping)
    values["id_number"] = values.get("id_number_masked")
    values["phone"] = values.get("phone_masked")
    chinese = lang != "en"
    if chinese:
        for unit_field in ("org_unit_id", "community_org_unit_id"):
            if values.get(unit_field):
                values[unit_field] = unit_names.get(values[unit_field], values[unit_field])
    out: list[Any] = []
    for name in EXPORT_FIELDS:
        value = values.get(name)
        if isinstance(value, list):
            items = [cols.to_label(name, v) for v in value] if chinese else value
            value = ("、" if chinese else ";").join(items)
        elif isinstance(value, bool):
            value = ("是" if value else "否") if chinese else ("true" if value else "false")
        elif isinstance(value, date):
            value = value.isoformat()
        elif isinstance(value, str) and chinese:
            value = cols.to_label(name, value)
        out.append("" if value is None else value)
    return out


async def check_export(db: Database, principal: Principal, org_unit_id: str) -> None:
    """Raise before streaming starts when the export is not allowed."""
    principal.require_role("cadre")
    async with db.read_only() as session:
        unit = await load_unit(session, org_unit_id, field="org_unit")
    principal.require_area(unit.area_code)


async def export_rows(
    db: Database, principal: Principal, org_unit_id: str, lang: str
) -> AsyncIterator[list[Any]]:
    """Masked rows of a subtree's members, read page by page."""
    principal.require_role("cadre")
    async with db.read_only() as session:
        unit = await load_unit(session, org_unit_id, field="org_unit")
        principal.require_area(unit.area_code)
        unit_names = await unit_repo.unit_names_under(session, principal.area_prefix)
    after = ""
    while True:
        async with db.read_only() as session:
            rows = await member_repo.subtree_members_after(session, unit.path, after, PAGE)
        if not rows:
            return
        for row in rows:
            yield export_values(row, unit_names, lang)
        after = rows[-1].id


async def export_csv(
    db: Database, principal: Principal, org_unit_id: str, lang: str
) -> AsyncIterator[bytes]:
    """The subtree as UTF-8 CSV with a BOM, streamed a thousand rows at a time."""
    writer = CsvWriter()
    yield writer.encode([headers(EXPORT_FIELDS, lang)])
    batch: list[list[Any]] = []
    async for values in export_rows(db, principal, org_unit_id, lang):
        batch.append(values)
        if len(batch) == 1000:
            yield writer.encode(batch)
            batch = []
    if batch:
        yield writer.encode(batch)


async def export_xlsx(db: Database, principal: Principal, org_unit_id: str, lang: str) -> bytes:
    """The subtree as an XLSX workbook (write-only mode keeps memory flat per row)."""
    writer = XlsxWriter("党员名册" if lang != "en" else "members", headers(EXPORT_FIELDS, lang))
    async for values in export_rows(db, principal, org_unit_id, lang):
        writer.append(values)
    return writer.finish()


async def export_members(
    db: Database, deps: Deps, principal: Principal, org_unit_id: str, file_format: str, lang: str
) -> bytes | AsyncIterator[bytes]:
    """A subtree's members, masked: an XLSX workbook, or CSV chunks to stream.

    The checks run before anything is streamed, so a refusal is an ordinary problem answer.
    """
    await check_export(db, principal, org_unit_id)
    if file_format == "xlsx":
        return await export_xlsx(db, principal, org_unit_id, lang)
    return export_csv(db, principal, org_unit_id, lang)


def import_template(principal: Principal, file_format: str) -> bytes:
    """The import template, for any reader."""
    principal.require_role("viewer")
    return template(file_format)


def template(file_format: str) -> bytes:
    """The import template: Chinese headers and one example row."""
    header = headers(TEMPLATE_FIELDS, "zh")
    example = [TEMPLATE_EXAMPLE[f] for f in TEMPLATE_FIELDS]
    if file_format == "xlsx":
        return xlsx_bytes("党员导入模板", header, [example])
    return csv_bytes(header, [example])
