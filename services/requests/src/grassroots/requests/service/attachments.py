"""Attachments: the citizen's photos, the handler's evidence; stored clean, served in scope."""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass
from typing import Any

from uuid6 import uuid7

from grassroots.kit.auth import Principal
from grassroots.kit.clock import utcnow
from grassroots.kit.problems import Conflict, Invalid, NotFound
from grassroots.requests import metrics
from grassroots.requests.adapters import attachment_store
from grassroots.requests.adapters.duplicate_index import request_by_id
from grassroots.requests.domain.attachments import Prepared, Refused, prepare
from grassroots.requests.service.context import RequestsContext
from grassroots.requests.service.events import emit
from grassroots.requests.service.handling import find_by_tracking_code, get_request


@dataclass(frozen=True)
class StoredFile:
    """An attachment's bytes as served."""

    content_type: str
    data: bytes


async def staff_request(
    ctx: RequestsContext, principal: Principal, request_id: str
) -> dict[str, Any]:
    """The request, when the caller's token covers the unit holding it (403 otherwise)."""
    principal.require_role("member")
    return await get_request(ctx, request_id, principal)


async def citizen_request(
    ctx: RequestsContext, tracking_code: str, phone_last4: str | None
) -> dict[str, Any]:
    """The citizen's own request, proved by tracking code and the phone's last four digits."""
    row, _history, _item = await find_by_tracking_code(ctx, tracking_code)
    if not row["anonymous"]:
        phone = (
            ctx.cipher.decrypt(row["citizen_phone_enc"], record_id=row["id"], field="citizen_phone")
            or ""
        )
        if not phone_last4 or phone[-4:] != phone_last4:
            # Same answer as an unknown code: the pair proves it is the citizen.
            raise NotFound("no request with this tracking code and phone")
    return row


async def clean_file(data: bytes) -> Prepared:
    """The file checked by its content and cleaned (422 naming `file` when refused)."""
    try:
        return await asyncio.to_thread(prepare, data)
    except Refused as exc:
        raise Invalid("file", str(exc)) from exc


async def attach_file(
    ctx: RequestsContext, row: dict[str, Any], data: bytes, *, uploaded_by: str, actor: str
) -> dict[str, Any]:
    """Check, clean and store a file for the request; record it and raise attachment_added."""
    prepared = await clean_file(data)
    return await store_file(ctx, row, prepared, uploaded_by=uploaded_by, actor=actor)


async def store_file(
    ctx: RequestsContext,
    row: dict[str, Any],
    prepared: Prepared,
    *,
    uploaded_by: str,
    actor: str,
) -> dict[str, Any]:
    """Store a cleaned file for the request; record it and raise attachment_added."""
    async with ctx.db.read_only() as session:
        if await attachment_store.count_attachments(session, row["id"]) >= (
            ctx.settings.requests_attachments_per_request
        ):
            raise Conflict(
                f"request {row['id']} has {ctx.settings.requests_attachments_per_request} "
                "attachments already"
            )
    attachment_id = str(uuid7())
    key = f"requests/{row['id']}/{attachment_id}"
    # Objects first, row second: a crash between leaves an unlisted object, never a row
    # pointing at nothing.
    await ctx.storage.put(key, prepared.data)
    thumbnail_key = None
    if prepared.thumbnail is not None:
        thumbnail_key = f"{key}.thumbnail.jpg"
        await ctx.storage.put(thumbnail_key, prepared.thumbnail)
    now = utcnow()
    record = {
        "id": attachment_id,
        "request_id": row["id"],
        "content_type": prepared.content_type,
        "size": len(prepared.data),
        "sha256": hashlib.sha256(prepared.data).hexdigest(),
        "object_key": key,
        "thumbnail_key": thumbnail_key,
        "width": prepared.width,
        "height": prepared.height,
        "uploaded_by": uploaded_by,
        "actor": actor,
        "created_at": now,
    }
    async with ctx.db.transaction() as session:
        current = await request_by_id(session, row["id"])
        if current is None:
            raise NotFound(f"no request {row['id']}")
        await attachment_store.add_attachment(session, record)
        await emit(
            ctx.runtime.outbox,
            session,
            "attachment_added",
            current,
            occurred_at=now,
            actor=actor,
            attachment_id=attachment_id,
            content_type=prepared.content_type,
            size=record["size"],
            uploaded_by=uploaded_by,
        )
    metrics.ATTACHMENTS.labels(prepared.content_type, uploaded_by).inc()
    return record


async def list_attachments(ctx: RequestsContext, row: dict[str, Any]) -> list[dict[str, Any]]:
    """The request's attachments, oldest first."""
    async with ctx.db.read_only() as session:
        return await attachment_store.attachments_of(session, row["id"])


async def read_attachment(
    ctx: RequestsContext, row: dict[str, Any], attachment_id: str, *, thumbnail: bool = False
) -> StoredFile:
    """An attachment's cleaned bytes (or its thumbnail)."""
    async with ctx.db.read_only() as session:
        found = await attachment_store.get_attachment(session, row["id"], attachment_id)
    if found is None:
        raise NotFound(f"no attachment {attachment_id} on request {row['id']}")
    if thumbnail:
        if found["thumbnail_key"] is None:
            raise NotFound(f"attachment {attachment_id} has no thumbnail")
        return StoredFile("image/jpeg", await ctx.storage.get(found["thumbnail_key"]))
    return StoredFile(found["content_type"], await ctx.storage.get(found["object_key"]))


async def open311_media(ctx: RequestsContext, attachment_id: str) -> StoredFile:
    """The photo an Open311 client posted with its request: public, as Open311 republishes it."""
    async with ctx.db.read_only() as session:
        found = await attachment_store.find_attachment(session, attachment_id)
        row = None if found is None else await request_by_id(session, found["request_id"])
    if (
        found is None
        or row is None
        or row["channel"] != "open311"
        or not (row["media_url"] or "").endswith(f"/media/{attachment_id}")
    ):
        raise NotFound(f"no media {attachment_id}")
    return StoredFile(found["content_type"], await ctx.storage.get(found["object_key"]))


async def set_media_url(ctx: RequestsContext, request_id: str, media_url: str) -> None:
    """Point an Open311 request's `media_url` at the photo posted with it."""
    async with ctx.db.transaction() as session:
        await attachment_store.set_media_url(session, request_id, media_url)
