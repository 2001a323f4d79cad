"""Import jobs: a large file imported in the background, its progress readable while it runs."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable
from typing import IO, Any

from uuid6 import uuid7

from grassroots.kit.auth import Principal
from grassroots.kit.clock import utcnow
from grassroots.kit.db import AsyncSession, Database
from grassroots.kit.problems import NotFound, ProblemError
from grassroots.members.adapters import import_jobs as repo
from grassroots.members.domain.import_report import ImportResult
from grassroots.members.service.deps import Deps
from grassroots.members.service.imports import import_members

log = logging.getLogger(__name__)


async def start_import_job(
    db: Database,
    deps: Deps,
    principal: Principal,
    filename: str,
    upload: IO[bytes],
    *,
    dry_run: bool,
    sheet: str | None,
    run_in_background: Callable[[asyncio.Task[Any]], None],
) -> dict[str, Any]:
    """Spool the upload, record the job, and start importing it in the background."""
    path = await asyncio.to_thread(repo.spool, upload)
    job = await _record_job(db, principal, filename, dry_run=dry_run)
    work = run_import_job(
        db, deps, principal, job["id"], path, filename, dry_run=dry_run, sheet=sheet
    )
    run_in_background(asyncio.create_task(work, name=f"import-{job['id']}"))
    return job


async def _record_job(
    db: Database, principal: Principal, filename: str, *, dry_run: bool
) -> dict[str, Any]:
    """Record a job about to run (the caller starts `run_import_job`)."""
    principal.require_role("org_admin")
    now = utcnow()
    values = {
        "id": str(uuid7()),
        "kind": "members",
        "status": "running",
        "dry_run": dry_run,
        "filename": filename[:255],
        "created_by": principal.sub,
        "org": principal.org,
        "rows_read": 0,
        "accepted": 0,
        "rejected": 0,
        "result": None,
        "error": None,
        "created_at": now,
        "updated_at": now,
        "finished_at": None,
    }
    async with db.transaction() as session:
        await repo.add_job(session, values)
    return values


async def run_import_job(
    db: Database,
    deps: Deps,
    principal: Principal,
    job_id: str,
    path: str,
    filename: str,
    *,
    dry_run: bool,
    sheet: str | None,
) -> None:
    """Import the saved upload a slice per transaction, the job's counts moving with each."""

    async def progress(session: AsyncSession, result: ImportResult) -> None:
        # In the slice's own transaction: the counts move exactly when its rows commit.
        await repo.set_job(
            session,
            job_id,
            {
                "rows_read": result.rows_read,
                "accepted": result.created + result.updated,
                "rejected": len(result.rejected),
            },
        )

    try:
        # A local spool file: opening it does not wait on anything worth a thread.
        with open(path, "rb") as stream:  # noqa: ASYNC230
            result = await import_members(
                db.transaction,
                deps,
                principal,
                filename,
                stream,
                dry_run=dry_run,
                sheet=sheet,
                progress=progress,
            )
        await _set(
            db,
            job_id,
            status="done",
            rows_read=result.rows_read,
            accepted=result.accepted,
            rejected=len(result.rejected),
            result=result.model_dump(mode="json"),
            finished_at=utcnow(),
        )
    except ProblemError as exc:
        await _set(db, job_id, status="failed", error=exc.detail, finished_at=utcnow())
    except Exception as exc:
        log.exception("import job %s failed", job_id)
        await _set(db, job_id, status="failed", error=type(exc).__name__, finished_at=utcnow())
        raise
    finally:
        os.unlink(path)


async def _set(db: Database, job_id: str, **values: Any) -> None:
    async with db.transaction() as session:
        await repo.set_job(session, job_id, values)


async def get_import_job(
    session: AsyncSession, deps: Deps, principal: Principal, job_id: str
) -> dict[str, Any]:
    """A job of the caller's scope."""
    principal.require_role("org_admin")
    row = await repo.job(session, job_id)
    if row is None or not principal.covers(row["org"]):
        raise NotFound(f"no import job {job_id}")
    return row
