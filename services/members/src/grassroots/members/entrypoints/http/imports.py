"""Routes of member imports: at once, as a background job, and the template to fill in."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, File, Query, Response, UploadFile

from grassroots.kit.auth import CurrentPrincipal
from grassroots.kit.guards import OrgAdmin
from grassroots.kit.openapi import XLSX, binary
from grassroots.kit.spreadsheets import CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE
from grassroots.members.entrypoints.http.deps import (
    AppDatabase,
    AppDeps,
    AppRuntime,
    ReadSession,
    Session,
)
from grassroots.members.entrypoints.http.schemas import ImportJobOut, ImportResult
from grassroots.members.service import exports, import_jobs, imports

router = APIRouter(prefix="/v1", tags=["import and export"])

ImportFile = Annotated[
    UploadFile,
    File(description="CSV (UTF-8, GBK or GB18030) or XLSX; Chinese or English column names"),
]
DryRun = Annotated[bool, Query(description="check and answer the report, write nothing")]
SheetName = Annotated[
    str | None, Query(max_length=31, description="XLSX sheet (default: the first)")
]


@router.post("/members/import", response_model=ImportResult)
async def import_members(
    principal: OrgAdmin,
    session: Session,
    deps: AppDeps,
    file: ImportFile,
    dry_run: DryRun = False,
    sheet: SheetName = None,
) -> ImportResult:
    """Import members; good rows are committed, bad rows are named and change nothing."""
    return await imports.import_upload(
        session, deps, principal, file.filename or "", file.file, dry_run=dry_run, sheet=sheet
    )


@router.post("/members/import/jobs", status_code=202, response_model=ImportJobOut)
async def start_import_job(
    principal: OrgAdmin,
    db: AppDatabase,
    runtime: AppRuntime,
    deps: AppDeps,
    file: ImportFile,
    dry_run: DryRun = False,
    sheet: SheetName = None,
) -> ImportJobOut:
    """Import a large file in the background; poll the job for rows read, accepted, rejected."""
    job = await import_jobs.start_import_job(
        db,
        deps,
        principal,
        file.filename or "",
        file.file,
        dry_run=dry_run,
        sheet=sheet,
        run_in_background=runtime.add_task,
    )
    return ImportJobOut.model_validate(job)


@router.get("/members/import/jobs/{job_id}", response_model=ImportJobOut)
async def get_import_job(
    job_id: str, principal: OrgAdmin, session: ReadSession, deps: AppDeps
) -> ImportJobOut:
    """An import job's progress, and its report once done."""
    return ImportJobOut.model_validate(
        await import_jobs.get_import_job(session, deps, principal, job_id)
    )


@router.get("/members/import/template", response_class=Response, responses=binary("text/csv", XLSX))
async def import_template(
    principal: CurrentPrincipal, format: Literal["csv", "xlsx"] = "xlsx"
) -> Response:
    """The import template: Chinese headers and one example row."""
    return Response(
        exports.import_template(principal, format),
        media_type=XLSX_MEDIA_TYPE if format == "xlsx" else CSV_MEDIA_TYPE,
        headers={
            "Content-Disposition": f'attachment; filename="members-template.{format}"; '
            f"filename*=UTF-8''%E5%85%9A%E5%91%98%E5%AF%BC%E5%85%A5%E6%A8%A1%E6%9D%BF.{format}"
        },
    )
