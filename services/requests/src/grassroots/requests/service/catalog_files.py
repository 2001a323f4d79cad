"""A county's catalogue from a spreadsheet (the kit's reader), and the catalogue as one."""

from __future__ import annotations

from typing import IO, Any, Literal

from pydantic import BaseModel, Field, ValidationError

from grassroots.kit.auth import Principal
from grassroots.kit.problems import Invalid
from grassroots.kit.spreadsheets import cell_text, csv_bytes, read_table, xlsx_bytes
from grassroots.requests.domain import catalog_columns as cols
from grassroots.requests.service import catalog
from grassroots.requests.service.context import RequestsContext

MAX_ROWS = 20_000
Tier = Literal["grid", "village", "township", "county", "city", "province"]
EXPORT_FIELDS = (
    "code",
    "name",
    "category",
    "time_limit",
    "calendar",
    "handling_tier",
    "materials",
    "door_to_door",
    "allow_anonymous",
    "description",
)


class CatalogRow(BaseModel):
    """The fields a catalogue sheet fills; the rest keep their defaults."""

    code: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_\-.]+$")
    name: str = Field(min_length=1, max_length=200)
    category: str = Field(min_length=1, max_length=100)
    description: str = Field(default="", max_length=4000)
    time_limit: str
    calendar: Literal["workdays", "natural"] = "workdays"
    handling_tier: Tier = "village"
    materials: list[str] = Field(default_factory=list)
    door_to_door: bool = False
    allow_anonymous: bool = False
    skills: list[str] = Field(default_factory=list)


class CellError(BaseModel):
    """What is wrong in one cell: the field, the column as the file called it, and why."""

    field: str
    column: str
    message: str
    message_zh: str


class RejectedRow(BaseModel):
    """A rejected row (1-based data row) and its errors."""

    row: int
    errors: list[CellError]


class CatalogImportResult(BaseModel):
    """Answer of `POST /v1/catalog/import`."""

    county_area: str
    dry_run: bool
    rows_read: int
    created: int
    updated: int
    unchanged: int
    rejected: list[RejectedRow]


def county_for(principal: Principal, county: str | None) -> str:
    """The county a catalogue file fills: the caller's, or the one named from above."""
    if county is not None:
        principal.require_area(county)
        return catalog.county_of(county)
    if principal.org[4:6] == "00":
        raise Invalid("county_area", "a caller above county level names the county")
    return catalog.county_of(principal.org)


def _row_values(
    by_field: dict[str, int], cells: list[Any]
) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    values: dict[str, Any] = {}
    errors: list[tuple[str, str]] = []
    for field, index in by_field.items():
        text = cell_text(cells[index]) if index < len(cells) else ""
        if not text:
            continue
        try:
            if field == "time_limit":
                values["time_limit"], calendar = cols.parse_time_limit(text)
                if calendar is not None and "calendar" not in values:
                    values["calendar"] = calendar
            elif field == "calendar":
                values["calendar"] = cols.CALENDARS.get(text, text)
            elif field == "handling_tier":
                values["handling_tier"] = cols.TIERS.get(text, text)
            elif field in {"door_to_door", "allow_anonymous"}:
                values[field] = cols.parse_flag(text)
            elif field in {"materials", "skills"}:
                values[field] = cols.split_list(text)
            else:
                values[field] = text
        except ValueError as exc:
            errors.append((field, str(exc)))
    return values, errors


async def import_catalog(
    ctx: RequestsContext,
    principal: Principal,
    county: str | None,
    filename: str,
    stream: IO[bytes],
    *,
    dry_run: bool,
) -> CatalogImportResult:
    """Create or update a county's items from a sheet; bad rows are named and change nothing."""
    principal.require_role("org_admin")
    county_area = county_for(principal, county)
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

    def cell_error(field: str, message: str) -> CellError:
        index = by_field.get(field.split(".")[0])
        return CellError(
            field=field,
            column=table.header[index] if index is not None else field,
            message=message,
            message_zh=cols.reason_zh(message),
        )

    result = CatalogImportResult(
        county_area=county_area,
        dry_run=dry_run,
        rows_read=0,
        created=0,
        updated=0,
        unchanged=0,
        rejected=[],
    )
    seen: dict[str, int] = {}
    for number, cells in enumerate(table.rows, start=1):
        if number > MAX_ROWS:
            raise Invalid("file", f"最多 {MAX_ROWS} 行 / at most {MAX_ROWS} rows")
        result.rows_read = number
        if not any(cell_text(c) for c in cells):
            continue
        values, problems = _row_values(by_field, cells)
        if not problems:
            try:
                row = CatalogRow.model_validate(values)
            except ValidationError as exc:
                problems = [(".".join(str(p) for p in e["loc"]), e["msg"]) for e in exc.errors()]
        if not problems and row.code in seen:
            problems = [("code", f"repeats row {seen[row.code]}")]
        if problems:
            result.rejected.append(
                RejectedRow(row=number, errors=[cell_error(f, m) for f, m in problems])
            )
            continue
        seen[row.code] = number
        await _save(ctx, county_area, row, result)
    return result


async def _save(
    ctx: RequestsContext, county_area: str, row: CatalogRow, result: CatalogImportResult
) -> None:
    """Create the item, or change the fields the sheet fills where they differ."""
    async with ctx.db.read_only() as session:
        current = await catalog.find_item(session, county_area, row.code)
    if current is None:
        result.created += 1
        if not result.dry_run:
            fields = {
                "escalation_limits": {},
                "attributes": [],
                "active": True,
                **row.model_dump(mode="json"),
            }
            await catalog.create_item(ctx, county_area, fields)
        return
    # Only the columns the sheet has: a sheet without 所需技能 leaves the skills alone.
    given = row.model_dump(mode="json", exclude_unset=True)
    if all(current[k] == v for k, v in given.items()):
        result.unchanged += 1
        return
    result.updated += 1
    if not result.dry_run:
        fields = {k: current[k] for k in catalog.ITEM_FIELDS} | given
        await catalog.update_item(ctx, county_area, row.code, fields)


async def export_catalog(ctx: RequestsContext, county: str, file_format: str, lang: str) -> bytes:
    """A county's active catalogue as CSV or XLSX (Chinese headers and wording by default)."""
    rows: list[list[Any]] = []
    after: str | None = None
    while True:
        page = await catalog.list_items(ctx, county, after=after, limit=500)
        for item in page:
            rows.append([_export_value(item, f, lang) for f in EXPORT_FIELDS])
        if len(page) < 500:
            break
        after = page[-1]["id"]
    header = [f if lang == "en" else cols.FIELD_HEADERS[f][0] for f in EXPORT_FIELDS]
    if file_format == "xlsx":
        return xlsx_bytes("服务事项" if lang != "en" else "catalogue", header, rows)
    return csv_bytes(header, rows)


def _export_value(item: dict[str, Any], field: str, lang: str) -> Any:
    value = item[field]
    chinese = lang != "en"
    if field == "time_limit" and chinese:
        return cols.time_limit_label(value, item["calendar"])
    if field == "calendar" and chinese:
        return next((k for k, v in cols.CALENDARS.items() if v == value), value)
    if field == "handling_tier" and chinese:
        return next((k for k, v in cols.TIERS.items() if v == value), value)
    if isinstance(value, list):
        return ("、" if chinese else ";").join(value)
    if isinstance(value, bool):
        return ("是" if value else "否") if chinese else str(value).lower()
    return value
