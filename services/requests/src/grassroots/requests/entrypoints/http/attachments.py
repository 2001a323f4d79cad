"""HTTP routes of attachments: staff in scope; citizens by tracking code and phone."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from starlette.datastructures import UploadFile

from grassroots.kit.guards import MemberOrAbove
from grassroots.kit.paging import Page
from grassroots.kit.problems import Invalid, NotFound, ProblemError
from grassroots.kit.proxies import client_address
from grassroots.requests.domain.tracking import normalise_tracking_code
from grassroots.requests.entrypoints.http.deps import Ctx, lookup_limiter
from grassroots.requests.entrypoints.http.schemas import AttachmentOut
from grassroots.requests.service import attachments
from grassroots.requests.service.attachments import StoredFile
from grassroots.requests.service.context import RequestsContext

router = APIRouter(prefix="/v1", tags=["attachments"])

_MULTIPART: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {"type": "string", "format": "binary"},
                        "phone_last4": {"type": "string", "pattern": "^[0-9]{4}$"},
                    },
                }
            }
        },
    }
}
_FILE_ANSWER: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {
            "image/jpeg": {},
            "image/png": {},
            "application/pdf": {},
        },
        "description": "The cleaned file (or its JPEG thumbnail).",
    }
}
PhoneLast4 = Annotated[str | None, Query(pattern=r"^[0-9]{4}$")]


async def read_upload(request: Request, ctx: RequestsContext) -> tuple[bytes, Any]:
    """The multipart field `file` (at most the configured size) and the whole form."""
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise Invalid("file", "send the file as the multipart/form-data field `file`")
    form = await request.form(max_files=1, max_fields=10)
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise Invalid("file", "a file is required")
    limit = ctx.settings.requests_attachment_max_bytes
    data = await upload.read(limit + 1)
    await upload.close()
    if len(data) > limit:
        raise ProblemError(413, f"file: larger than {limit} bytes", title="Content Too Large")
    if not data:
        raise Invalid("file", "the file is empty")
    return data, form


def attachment_out(record: dict[str, Any]) -> AttachmentOut:
    """An attachment row as answered."""
    return AttachmentOut(
        id=record["id"],
        content_type=record["content_type"],
        size=record["size"],
        width=record["width"],
        height=record["height"],
        uploaded_by=record["uploaded_by"],
        created_at=record["created_at"],
        thumbnail=record["thumbnail_key"] is not None,
    )


def file_response(stored: StoredFile) -> Response:
    """Serve stored bytes as what they are, never sniffed into something else."""
    return Response(
        stored.data,
        media_type=stored.content_type,
        headers={
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, max-age=300",
            "Content-Disposition": "inline",
        },
    )


@router.post(
    "/requests/{request_id}/attachments",
    status_code=201,
    response_model=AttachmentOut,
    openapi_extra=_MULTIPART,
)
async def upload_attachment(
    ctx: Ctx, principal: MemberOrAbove, request_id: str, request: Request
) -> AttachmentOut:
    """A handler attaches evidence (before/after photos, documents) to a request in scope."""
    row = await attachments.staff_request(ctx, principal, request_id)
    data, _form = await read_upload(request, ctx)
    record = await attachments.attach_file(ctx, row, data, uploaded_by="staff", actor=principal.sub)
    return attachment_out(record)


@router.get("/requests/{request_id}/attachments", response_model=Page[AttachmentOut])
async def list_attachments(
    ctx: Ctx, principal: MemberOrAbove, request_id: str
) -> Page[AttachmentOut]:
    """The request's attachments, oldest first."""
    row = await attachments.staff_request(ctx, principal, request_id)
    items = [attachment_out(r) for r in await attachments.list_attachments(ctx, row)]
    return Page(items=items, next_cursor=None)


@router.get("/requests/{request_id}/attachments/{attachment_id}", responses=_FILE_ANSWER)
async def read_attachment(
    ctx: Ctx,
    principal: MemberOrAbove,
    request_id: str,
    attachment_id: str,
    thumbnail: bool = False,
) -> Response:
    """One attachment's file (images re-encoded without EXIF), or its thumbnail."""
    row = await attachments.staff_request(ctx, principal, request_id)
    return file_response(
        await attachments.read_attachment(ctx, row, attachment_id, thumbnail=thumbnail)
    )


def _code(tracking_code: str) -> str:
    code = normalise_tracking_code(tracking_code)
    if code is None:
        raise NotFound("no request with this tracking code")
    return code


@router.post(
    "/track/{tracking_code}/attachments",
    status_code=201,
    response_model=AttachmentOut,
    tags=["citizens"],
    openapi_extra=_MULTIPART,
)
async def citizen_upload(ctx: Ctx, tracking_code: str, request: Request) -> AttachmentOut:
    """The citizen adds a photo to their own request (tracking code and phone's last 4 digits)."""
    await lookup_limiter(request).check(client_address(request))
    code = _code(tracking_code)
    data, form = await read_upload(request, ctx)
    last4 = form.get("phone_last4")
    row = await attachments.citizen_request(ctx, code, last4 if isinstance(last4, str) else None)
    record = await attachments.attach_file(ctx, row, data, uploaded_by="citizen", actor="citizen")
    return attachment_out(record)


@router.get(
    "/track/{tracking_code}/attachments",
    response_model=Page[AttachmentOut],
    tags=["citizens"],
)
async def citizen_list(
    ctx: Ctx, tracking_code: str, request: Request, phone_last4: PhoneLast4 = None
) -> Page[AttachmentOut]:
    """The citizen's own request's attachments."""
    await lookup_limiter(request).check(client_address(request))
    row = await attachments.citizen_request(ctx, _code(tracking_code), phone_last4)
    items = [attachment_out(r) for r in await attachments.list_attachments(ctx, row)]
    return Page(items=items, next_cursor=None)


@router.get(
    "/track/{tracking_code}/attachments/{attachment_id}",
    responses=_FILE_ANSWER,
    tags=["citizens"],
)
async def citizen_read(
    ctx: Ctx,
    tracking_code: str,
    attachment_id: str,
    request: Request,
    phone_last4: PhoneLast4 = None,
    thumbnail: bool = False,
) -> Response:
    """One attachment of the citizen's own request."""
    await lookup_limiter(request).check(client_address(request))
    row = await attachments.citizen_request(ctx, _code(tracking_code), phone_last4)
    return file_response(
        await attachments.read_attachment(ctx, row, attachment_id, thumbnail=thumbnail)
    )
