"""HTTP routes of the member registry."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from typing import IO, Annotated, Literal

from fastapi import APIRouter, File, Query, Response, UploadFile
from fastapi.responses import StreamingResponse
from sqlalchemy.ext.asyncio import AsyncSession

from grassroots.kit.auth import CurrentPrincipal
from grassroots.kit.guards import Cadre, OrgAdmin, PlatformAdmin
from grassroots.kit.openapi import XLSX, binary
from grassroots.kit.paging import Cursor, Limit, Page, decode_cursor, encode_cursor
from grassroots.kit.problems import Invalid
from grassroots.kit.spreadsheets import CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE
from grassroots.members.domain.lifecycle import Stage
from grassroots.members.entrypoints.deps import AppDeps, AppRuntime
from grassroots.members.service import (
    activities,
    exports,
    import_jobs,
    imports,
    lifecycle,
    registry,
    stats,
    transfers,
    vocabulary,
)

router = APIRouter(prefix="/v1")
UnitParam = Annotated[str, Query(min_length=1, max_length=36, description="organisation unit id")]


def _after(cursor: str | None) -> str | None:
    after = decode_cursor(cursor)
    if after is not None and not isinstance(after, str):
        raise Invalid("cursor", "not a cursor this service issued")
    return after


def _page(items: list, next_key: object) -> Page:  # type: ignore[type-arg]
    return Page(items=items, next_cursor=encode_cursor(next_key) if next_key else None)


@router.post("/members", status_code=201, response_model=registry.MemberOut, tags=["members"])
async def register_member(
    body: registry.MemberIn, principal: Cadre, runtime: AppRuntime, deps: AppDeps
) -> registry.MemberOut:
    """Enter a member in the registry (ID number validated, personal data encrypted)."""
    async with runtime.db.transaction() as session:
        return await registry.register_member(session, deps, principal, body)


@router.get("/members", response_model=Page[registry.MemberOut], tags=["members"])
async def list_members(
    principal: CurrentPrincipal,
    runtime: AppRuntime,
    org_unit: Annotated[str | None, Query(max_length=36)] = None,
    stage: Stage | None = None,
    skill: Annotated[str | None, Query(max_length=32)] = None,
    status: Literal["active", "exited", "erased"] = "active",
    floating: bool | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[registry.MemberOut]:
    """Members of the token's subtree (or of one unit's subtree), masked and paged."""
    async with runtime.db.read_only() as session:
        items, next_key = await registry.list_members(
            session,
            principal,
            org_unit_id=org_unit,
            stage=stage,
            skill=skill,
            status=status,
            floating=floating,
            limit=limit,
            after=_after(cursor),
        )
    return _page(items, next_key)


@router.get("/members/floating", response_model=Page[activities.FloatingOut], tags=["floating"])
async def list_floating(
    principal: Cadre,
    runtime: AppRuntime,
    org_unit: Annotated[str | None, Query(max_length=36)] = None,
    destination_area: Annotated[str | None, Query(pattern=r"^\d{12}$")] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[activities.FloatingOut]:
    """Floating members of the subtree, optionally gone to one destination area."""
    async with runtime.db.read_only() as session:
        items, next_key = await activities.list_floating(
            session,
            principal,
            org_unit_id=org_unit,
            destination_area=destination_area,
            limit=limit,
            after=_after(cursor),
        )
    return _page(items, next_key)


@router.get(
    "/members/floating/by-destination",
    response_model=list[activities.DestinationCount],
    tags=["floating"],
)
async def floating_by_destination(
    principal: Cadre,
    runtime: AppRuntime,
    org_unit: Annotated[str | None, Query(max_length=36)] = None,
) -> list[activities.DestinationCount]:
    """How many of the subtree's members float to each destination area."""
    async with runtime.db.read_only() as session:
        return await activities.floating_by_destination(session, principal, org_unit_id=org_unit)


ImportFile = Annotated[
    UploadFile,
    File(description="CSV (UTF-8, GBK or GB18030) or XLSX; Chinese or English column names"),
]
DryRun = Annotated[bool, Query(description="check and answer the report, write nothing")]
SheetName = Annotated[
    str | None, Query(max_length=31, description="XLSX sheet (default: the first)")
]
Lang = Annotated[Literal["zh", "en"], Query(description="zh: Chinese headers and labels; en: keys")]


@router.post("/members/import", response_model=imports.ImportResult, tags=["import and export"])
async def import_members(
    principal: OrgAdmin,
    runtime: AppRuntime,
    deps: AppDeps,
    file: ImportFile,
    dry_run: DryRun = False,
    sheet: SheetName = None,
) -> imports.ImportResult:
    """Import members; good rows are committed, bad rows are named and change nothing."""
    async with runtime.db.transaction() as session:

        @asynccontextmanager
        async def same_transaction() -> AsyncIterator[AsyncSession]:
            yield session

        return await imports.import_members(
            same_transaction,
            deps,
            principal,
            file.filename or "",
            file.file,
            dry_run=dry_run,
            sheet=sheet,
        )


@router.post(
    "/members/import/jobs",
    status_code=202,
    response_model=import_jobs.ImportJobOut,
    tags=["import and export"],
)
async def start_import_job(
    principal: OrgAdmin,
    runtime: AppRuntime,
    deps: AppDeps,
    file: ImportFile,
    dry_run: DryRun = False,
    sheet: SheetName = None,
) -> import_jobs.ImportJobOut:
    """Import a large file in the background; poll the job for rows read, accepted, rejected."""
    path = await asyncio.to_thread(_spool, file.file)
    job = await import_jobs.start_import_job(
        runtime.db, principal, file.filename or "", dry_run=dry_run
    )
    work = import_jobs.run_import_job(
        runtime.db,
        deps,
        principal,
        job.id,
        path,
        file.filename or "",
        dry_run=dry_run,
        sheet=sheet,
    )
    runtime.add_task(asyncio.create_task(work, name=f"import-{job.id}"))
    return job


def _spool(source: IO[bytes]) -> str:
    """Copy an upload to a file of its own: the job outlives the request's temporary file."""
    with tempfile.NamedTemporaryFile(prefix="gr-import-", delete=False) as target:
        shutil.copyfileobj(source, target, 1024 * 1024)
        return target.name


@router.get(
    "/members/import/jobs/{job_id}",
    response_model=import_jobs.ImportJobOut,
    tags=["import and export"],
)
async def get_import_job(
    job_id: str, principal: OrgAdmin, runtime: AppRuntime
) -> import_jobs.ImportJobOut:
    """An import job's progress, and its report once done."""
    return await import_jobs.get_import_job(runtime.db, principal, job_id)


@router.get(
    "/members/import/template",
    tags=["import and export"],
    response_class=Response,
    responses=binary("text/csv", XLSX),
)
async def import_template(
    principal: CurrentPrincipal, format: Literal["csv", "xlsx"] = "xlsx"
) -> Response:
    """The import template: Chinese headers and one example row."""
    principal.require_role("viewer")
    return Response(
        exports.template(format),
        media_type=XLSX_MEDIA_TYPE if format == "xlsx" else CSV_MEDIA_TYPE,
        headers={
            "Content-Disposition": f'attachment; filename="members-template.{format}"; '
            f"filename*=UTF-8''%E5%85%9A%E5%91%98%E5%AF%BC%E5%85%A5%E6%A8%A1%E6%9D%BF.{format}"
        },
    )


@router.get(
    "/members/export",
    tags=["import and export"],
    response_class=Response,
    responses=binary("text/csv", XLSX),
)
async def export_members(
    principal: Cadre,
    runtime: AppRuntime,
    org_unit: UnitParam,
    format: Literal["csv", "xlsx"] = "csv",
    lang: Lang = "zh",
) -> Response:
    """A subtree's members with personal data masked, as CSV (streamed) or XLSX."""
    await exports.check_export(runtime.db, principal, org_unit)
    if format == "xlsx":
        content = await exports.export_xlsx(runtime.db, principal, org_unit, lang)
        return Response(
            content,
            media_type=XLSX_MEDIA_TYPE,
            headers={"Content-Disposition": 'attachment; filename="members.xlsx"'},
        )
    return StreamingResponse(
        exports.export_csv(runtime.db, principal, org_unit, lang),
        media_type=CSV_MEDIA_TYPE,
        headers={"Content-Disposition": 'attachment; filename="members.csv"'},
    )


@router.get("/members/{member_id}", response_model=registry.MemberOut, tags=["members"])
async def get_member(
    member_id: str, principal: CurrentPrincipal, runtime: AppRuntime
) -> registry.MemberOut:
    """One member, masked."""
    async with runtime.db.read_only() as session:
        return await registry.get_member(session, principal, member_id)


@router.patch("/members/{member_id}", response_model=registry.MemberOut, tags=["members"])
async def update_member(
    member_id: str,
    body: registry.MemberPatch,
    principal: Cadre,
    runtime: AppRuntime,
    deps: AppDeps,
) -> registry.MemberOut:
    """Change fields of a member's record."""
    async with runtime.db.transaction() as session:
        return await registry.update_member(session, deps, principal, member_id, body)


@router.delete("/members/{member_id}", status_code=204, tags=["members"])
async def erase_member(
    member_id: str, principal: OrgAdmin, runtime: AppRuntime, deps: AppDeps
) -> Response:
    """Erase a member's personal data (PIPL deletion)."""
    async with runtime.db.transaction() as session:
        await registry.erase_member(session, deps, principal, member_id)
    return Response(status_code=204)


@router.post("/members/{member_id}/reveal", response_model=registry.RevealOut, tags=["members"])
async def reveal_member(
    member_id: str,
    body: registry.RevealIn,
    principal: OrgAdmin,
    runtime: AppRuntime,
    deps: AppDeps,
) -> registry.RevealOut:
    """Unmasked ID number and phone (org_admin and above, with a reason; every read is logged)."""
    async with runtime.db.transaction() as session:
        return await registry.reveal_member(session, deps, principal, member_id, body)


@router.get("/audit/pii-reads", response_model=Page[registry.PiiReadOut], tags=["members"])
async def list_pii_reads(
    principal: OrgAdmin,
    runtime: AppRuntime,
    member_id: Annotated[str | None, Query(max_length=36)] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[registry.PiiReadOut]:
    """Who read unmasked personal data, when and why."""
    after = decode_cursor(cursor)
    if after is not None and not isinstance(after, int):
        raise Invalid("cursor", "not a cursor this service issued")
    async with runtime.db.read_only() as session:
        items, next_key = await registry.list_pii_reads(
            session, principal, member_id=member_id, limit=limit, after=after
        )
    return _page(items, next_key)


@router.post("/members/{member_id}/stage", response_model=registry.MemberOut, tags=["lifecycle"])
async def change_stage(
    member_id: str,
    body: lifecycle.StageChangeIn,
    principal: OrgAdmin,
    runtime: AppRuntime,
    deps: AppDeps,
) -> registry.MemberOut:
    """Advance a member one stage, or extend a probation once (illegal moves are 409)."""
    async with runtime.db.transaction() as session:
        return await lifecycle.change_stage(session, deps, principal, member_id, body)


@router.post("/members/{member_id}/exit", response_model=registry.MemberOut, tags=["lifecycle"])
async def exit_member(
    member_id: str,
    body: lifecycle.ExitIn,
    principal: OrgAdmin,
    runtime: AppRuntime,
    deps: AppDeps,
) -> registry.MemberOut:
    """Close a member's record with a reason."""
    async with runtime.db.transaction() as session:
        return await lifecycle.exit_member(session, deps, principal, member_id, body)


@router.post(
    "/members/{member_id}/transfers",
    status_code=201,
    response_model=transfers.TransferOut,
    tags=["transfers"],
)
async def issue_transfer(
    member_id: str,
    body: transfers.TransferIn,
    principal: OrgAdmin,
    runtime: AppRuntime,
    deps: AppDeps,
) -> transfers.TransferOut:
    """Issue a transfer letter valid for 90 days."""
    async with runtime.db.transaction() as session:
        return await transfers.issue_transfer(session, deps, principal, member_id, body)


@router.get("/transfers", response_model=Page[transfers.TransferOut], tags=["transfers"])
async def list_transfers(
    principal: Cadre,
    runtime: AppRuntime,
    direction: Literal["incoming", "outgoing", "any"] = "any",
    status: Literal["issued", "accepted", "rejected", "revoked", "expired"] | None = None,
    overdue: bool = False,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[transfers.TransferOut]:
    """Letters leaving or reaching the token's subtree; `overdue=true` lists open expired ones."""
    async with runtime.db.read_only() as session:
        items, next_key = await transfers.list_transfers(
            session,
            principal,
            direction=direction,
            status=status,
            overdue=overdue,
            limit=limit,
            after=_after(cursor),
        )
    return _page(items, next_key)


@router.get("/transfers/{transfer_id}", response_model=transfers.TransferOut, tags=["transfers"])
async def get_transfer(
    transfer_id: str, principal: CurrentPrincipal, runtime: AppRuntime
) -> transfers.TransferOut:
    """One transfer letter."""
    async with runtime.db.read_only() as session:
        return await transfers.get_transfer(session, principal, transfer_id)


@router.post(
    "/transfers/{transfer_id}/{action}", response_model=transfers.TransferOut, tags=["transfers"]
)
async def decide_transfer(
    transfer_id: str,
    action: Literal["accept", "reject", "revoke", "expire"],
    principal: OrgAdmin,
    runtime: AppRuntime,
    deps: AppDeps,
    body: transfers.DecisionIn | None = None,
) -> transfers.TransferOut:
    """Accept or reject (receiving side); revoke, or close an overdue letter (sending side)."""
    async with runtime.db.transaction() as session:
        return await transfers.decide_transfer(
            session, deps, principal, transfer_id, action, body or transfers.DecisionIn()
        )


@router.post("/members/{member_id}/flow-out", response_model=registry.MemberOut, tags=["floating"])
async def flow_out(
    member_id: str,
    body: activities.FlowOutIn,
    principal: Cadre,
    runtime: AppRuntime,
    deps: AppDeps,
) -> registry.MemberOut:
    """Record that a member left to work or live elsewhere (floating)."""
    async with runtime.db.transaction() as session:
        return await activities.flow_out(session, deps, principal, member_id, body)


@router.post(
    "/members/{member_id}/flow-return", response_model=registry.MemberOut, tags=["floating"]
)
async def flow_return(
    member_id: str,
    principal: Cadre,
    runtime: AppRuntime,
    deps: AppDeps,
    body: activities.FlowReturnIn | None = None,
) -> registry.MemberOut:
    """Record a floating member's return."""
    async with runtime.db.transaction() as session:
        return await activities.flow_return(
            session, deps, principal, member_id, body or activities.FlowReturnIn()
        )


@router.post(
    "/members/{member_id}/lost-contact", response_model=registry.MemberOut, tags=["floating"]
)
async def set_lost_contact(
    member_id: str,
    body: activities.LostContactIn,
    principal: Cadre,
    runtime: AppRuntime,
    deps: AppDeps,
) -> registry.MemberOut:
    """Flag or clear loss of contact."""
    async with runtime.db.transaction() as session:
        return await activities.set_lost_contact(session, deps, principal, member_id, body)


@router.post(
    "/members/{member_id}/community-checkin",
    response_model=registry.MemberOut,
    tags=["in-service members"],
)
async def community_checkin(
    member_id: str,
    body: activities.CheckInIn,
    principal: CurrentPrincipal,
    runtime: AppRuntime,
    deps: AppDeps,
) -> registry.MemberOut:
    """An in-service member checks in at the residence community."""
    async with runtime.db.transaction() as session:
        return await activities.community_checkin(session, deps, principal, member_id, body)


@router.post(
    "/members/{member_id}/posts",
    status_code=201,
    response_model=activities.PostOut,
    tags=["in-service members"],
)
async def claim_post(
    member_id: str,
    body: activities.PostIn,
    principal: CurrentPrincipal,
    runtime: AppRuntime,
    deps: AppDeps,
) -> activities.PostOut:
    """Claim a service post."""
    async with runtime.db.transaction() as session:
        return await activities.claim_post(session, deps, principal, member_id, body)


@router.get(
    "/members/{member_id}/posts",
    response_model=Page[activities.PostOut],
    tags=["in-service members"],
)
async def list_posts(
    member_id: str,
    principal: CurrentPrincipal,
    runtime: AppRuntime,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[activities.PostOut]:
    """A member's claimed posts, paged."""
    async with runtime.db.read_only() as session:
        items, next_key = await activities.list_posts(
            session, principal, member_id, limit=limit, after=_after(cursor)
        )
    return _page(items, next_key)


@router.post(
    "/members/{member_id}/commitments",
    status_code=201,
    response_model=activities.CommitmentOut,
    tags=["in-service members"],
)
async def publish_commitment(
    member_id: str,
    body: activities.CommitmentIn,
    principal: CurrentPrincipal,
    runtime: AppRuntime,
    deps: AppDeps,
) -> activities.CommitmentOut:
    """Publish a public commitment."""
    async with runtime.db.transaction() as session:
        return await activities.publish_commitment(session, deps, principal, member_id, body)


@router.get(
    "/members/{member_id}/commitments",
    response_model=Page[activities.CommitmentOut],
    tags=["in-service members"],
)
async def list_commitments(
    member_id: str,
    principal: CurrentPrincipal,
    runtime: AppRuntime,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[activities.CommitmentOut]:
    """A member's public commitments, paged."""
    async with runtime.db.read_only() as session:
        items, next_key = await activities.list_commitments(
            session, principal, member_id, limit=limit, after=_after(cursor)
        )
    return _page(items, next_key)


@router.get("/stats/structure", response_model=stats.StructureOut, tags=["statistics"])
async def structure(
    principal: CurrentPrincipal,
    runtime: AppRuntime,
    org_unit: UnitParam,
    as_of: date | None = None,
) -> stats.StructureOut:
    """Structure of a subtree's active members: stage, education, gender, age, floating."""
    async with runtime.db.read_only() as session:
        return await stats.structure(session, principal, org_unit, as_of)


@router.put("/skills/aliases", response_model=vocabulary.AliasOut, tags=["skills"])
async def put_skill_alias(
    body: vocabulary.AliasIn, principal: OrgAdmin, runtime: AppRuntime
) -> vocabulary.AliasOut:
    """Teach the county vocabulary a spelling: new tags `alias` are stored as `skill`."""
    async with runtime.db.transaction() as session:
        return await vocabulary.put_alias(session, principal, body)


@router.get("/skills/aliases", response_model=list[vocabulary.AliasOut], tags=["skills"])
async def list_skill_aliases(
    principal: CurrentPrincipal,
    runtime: AppRuntime,
    county_area: Annotated[str, Query(pattern=r"^\d{6}0{6}$")],
) -> list[vocabulary.AliasOut]:
    """A county's own skill aliases (on top of the built-in vocabulary)."""
    async with runtime.db.read_only() as session:
        return await vocabulary.list_aliases(session, principal, county_area)


@router.get("/skills", response_model=list[vocabulary.SkillCount], tags=["skills"])
async def skills_in_use(
    principal: CurrentPrincipal, runtime: AppRuntime, org_unit: UnitParam
) -> list[vocabulary.SkillCount]:
    """Skills of a subtree's members with counts (for matching members to needs)."""
    async with runtime.db.read_only() as session:
        return await vocabulary.skills_in_use(session, principal, org_unit)


@router.post("/admin/reencrypt", response_model=registry.ReencryptOut, tags=["operations"])
async def reencrypt(
    principal: PlatformAdmin, runtime: AppRuntime, deps: AppDeps
) -> registry.ReencryptOut:
    """After a key rotation: re-seal personal data made with older keys (platform_admin)."""
    total = 0
    while True:
        async with runtime.db.transaction() as session:
            changed = await registry.reencrypt_members(session, deps.cipher)
        total += changed
        if changed == 0:
            return registry.ReencryptOut(reencrypted=total, active_key_id=deps.cipher.active_key_id)
