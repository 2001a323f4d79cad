"""SQL of attachments: their rows beside the request."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from grassroots.requests.adapters.orm import attachments, requests


async def add_attachment(session: AsyncSession, row: dict[str, Any]) -> None:
    """Record a stored attachment."""
    await session.execute(insert(attachments).values(**row))


async def count_attachments(session: AsyncSession, request_id: str) -> int:
    """How many attachments the request has."""
    query = select(func.count()).where(attachments.c.request_id == request_id)
    return int(await session.scalar(query) or 0)


async def attachments_of(session: AsyncSession, request_id: str) -> list[dict[str, Any]]:
    """The request's attachments, oldest first."""
    rows = (
        await session.execute(
            select(attachments)
            .where(attachments.c.request_id == request_id)
            .order_by(attachments.c.created_at, attachments.c.id)
        )
    ).all()
    return [dict(r._mapping) for r in rows]


async def get_attachment(
    session: AsyncSession, request_id: str, attachment_id: str
) -> dict[str, Any] | None:
    """One attachment of the request, or None."""
    row = (
        await session.execute(
            select(attachments).where(
                attachments.c.id == attachment_id, attachments.c.request_id == request_id
            )
        )
    ).first()
    return None if row is None else dict(row._mapping)


async def find_attachment(session: AsyncSession, attachment_id: str) -> dict[str, Any] | None:
    """An attachment by its id alone, or None."""
    row = (
        await session.execute(select(attachments).where(attachments.c.id == attachment_id))
    ).first()
    return None if row is None else dict(row._mapping)


async def set_media_url(session: AsyncSession, request_id: str, media_url: str) -> None:
    """Set a request's Open311 `media_url`."""
    await session.execute(
        update(requests).where(requests.c.id == request_id).values(media_url=media_url)
    )
