"""SQL of import jobs, and the spool file an upload is copied to for a job."""

from __future__ import annotations

import shutil
import tempfile
from typing import IO, Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from grassroots.kit.clock import utcnow
from grassroots.members.adapters.orm import import_jobs


async def add_job(session: AsyncSession, values: dict[str, Any]) -> None:
    """Record a job."""
    await session.execute(insert(import_jobs).values(**values))


async def set_job(session: AsyncSession, job_id: str, values: dict[str, Any]) -> None:
    """Change a job's columns (its `updated_at` moves with them)."""
    await session.execute(
        update(import_jobs)
        .where(import_jobs.c.id == job_id)
        .values(**{"updated_at": utcnow(), **values})
    )


async def job(session: AsyncSession, job_id: str) -> dict[str, Any] | None:
    """The job row, or None."""
    row = (await session.execute(select(import_jobs).where(import_jobs.c.id == job_id))).first()
    return None if row is None else dict(row._mapping)


def spool(source: IO[bytes]) -> str:
    """Copy an upload to a file of its own: the job outlives the request's temporary file."""
    with tempfile.NamedTemporaryFile(prefix="gr-import-", delete=False) as target:
        shutil.copyfileobj(source, target, 1024 * 1024)
        return target.name
