"""Routes of the member export (masked), as streamed CSV or an XLSX workbook."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response
from fastapi.responses import StreamingResponse

from grassroots.kit.guards import Cadre
from grassroots.kit.openapi import XLSX, binary
from grassroots.kit.spreadsheets import CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE
from grassroots.members.entrypoints.http.deps import AppDatabase, AppDeps, UnitParam
from grassroots.members.service import exports

router = APIRouter(prefix="/v1", tags=["import and export"])

Lang = Annotated[Literal["zh", "en"], Query(description="zh: Chinese headers and labels; en: keys")]


@router.get("/members/export", response_class=Response, responses=binary("text/csv", XLSX))
async def export_members(
    principal: Cadre,
    db: AppDatabase,
    deps: AppDeps,
    org_unit: UnitParam,
    format: Literal["csv", "xlsx"] = "csv",
    lang: Lang = "zh",
) -> Response:
    """A subtree's members with personal data masked, as CSV (streamed) or XLSX."""
    content = await exports.export_members(db, deps, principal, org_unit, format, lang)
    if isinstance(content, bytes):
        return Response(
            content,
            media_type=XLSX_MEDIA_TYPE,
            headers={"Content-Disposition": 'attachment; filename="members.xlsx"'},
        )
    return StreamingResponse(
        content,
        media_type=CSV_MEDIA_TYPE,
        headers={"Content-Disposition": 'attachment; filename="members.csv"'},
    )
