"""Import jobs: a large file imported in the background, its progress readable while it runs."""

from __future__ import annotations

import logging
import os
from datetime import datetime
from typing import Any

from pydantic import BaseModel, field_validator
from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from uuid6 import uuid7

from grassroots.kit.auth import Principal
from grassroots.kit.clock import as_utc, utcnow
from grassroots.kit.db import Database
from grassroots.kit.problems import NotFound, ProblemError
from grassroots.members.adapters.orm import import_jobs
from grassroots.members.service.imports import ImportResult, import_members
from grassroots.members.service.shared import Deps

log = logging.getLogger(__name__)


class ImportJobOut(BaseModel):
    """An import job: counts so far, and the whole report once it is done."""

    id: str
    status: str
    dry_run: bool
    filename: str
    rows_read: int
    accepted: int
    rejected: int
    result: ImportResult | None = None
    error: str | None = None
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None = None

    @field_validator("created_at", "updated_at", "finished_at")
    @classmethod
    def _aware(cls, moment: datetime | None) -> datetime | None:
        # SQLite hands timestamps back without their offset.
        return as_utc(moment) if moment is not None else None


async def start_import_job(
    db: Database, principal: Principal, filename: str, *, dry_run: bool
) -> ImportJobOut:
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
        await session.execute(insert(import_jobs).values(**values))
    return ImportJobOut.model_validate(values)


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
        await session.execute(
            update(import_jobs)
            .where(import_jobs.c.id == job_id)
            .values(
                rows_read=result.rows_read,
                accepted=result.created + result.updated,
                rejected=len(result.rejected),
                updated_at=utcnow(),
            )
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
        await session.execute(
            update(import_jobs)
            .where(import_jobs.c.id == job_id)
            .values(**values, updated_at=utcnow())
        )


async def get_import_job(db: Database, principal: Principal, job_id: str) -> ImportJobOut:
    """A job of the caller's scope."""
    principal.require_role("org_admin")
    async with db.read_only() as session:
        row = (await session.execute(select(import_jobs).where(import_jobs.c.id == job_id))).first()
    if row is None or not principal.covers(row.org):
        raise NotFound(f"no import job {job_id}")
    return ImportJobOut.model_validate(dict(row._mapping))
