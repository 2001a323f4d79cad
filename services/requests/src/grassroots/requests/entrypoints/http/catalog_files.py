"""HTTP routes of catalogue files: import from a sheet, export as one."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, File, Query, Response, UploadFile

from grassroots.contracts.area import check_area_code
from grassroots.kit.guards import OrgAdmin
from grassroots.kit.openapi import binary
from grassroots.kit.problems import Invalid
from grassroots.kit.spreadsheets import CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE
from grassroots.requests.entrypoints.http.deps import Ctx
from grassroots.requests.service import catalog_files

router = APIRouter(prefix="/v1", tags=["catalogue"])
CountyParam = Annotated[str | None, Query(description="12-digit county area code")]


def _county(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return check_area_code(value)
    except ValueError as exc:
        raise Invalid("county", str(exc)) from exc


@router.post("/catalog/import", response_model=catalog_files.CatalogImportResult)
async def import_catalog(
    ctx: Ctx,
    principal: OrgAdmin,
    file: Annotated[
        UploadFile,
        File(description="CSV or XLSX: 事项编码, 事项名称, 类别, 办理时限, 所需材料, 上门服务"),
    ],
    county: CountyParam = None,
    dry_run: Annotated[bool, Query(description="check and answer, write nothing")] = False,
) -> catalog_files.CatalogImportResult:
    """Fill a county's catalogue from a sheet (org_admin; the county is the caller's)."""
    return await catalog_files.import_catalog(
        ctx, principal, _county(county), file.filename or "", file.file, dry_run=dry_run
    )


@router.get(
    "/catalog/export",
    response_class=Response,
    responses=binary("text/csv", XLSX_MEDIA_TYPE),
)
async def export_catalog(
    ctx: Ctx,
    county: Annotated[str, Query(description="12-digit county area code")],
    format: Literal["csv", "xlsx"] = "csv",
    lang: Literal["zh", "en"] = "zh",
) -> Response:
    """A county's public catalogue as a spreadsheet (Chinese headers by default)."""
    area = _county(county)
    assert area is not None
    content = await catalog_files.export_catalog(ctx, area, format, lang)
    return Response(
        content,
        media_type=XLSX_MEDIA_TYPE if format == "xlsx" else CSV_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="catalogue-{area}.{format}"'},
    )
