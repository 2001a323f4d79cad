"""Requests themselves (`/v1/requests`): intake, the list of a subtree, one request, its contact."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request, Response

from grassroots.kit.db import ReadSession, Session
from grassroots.kit.guards import Cadre, CadreOrForwardingIfSigned, MemberOrAbove, viewers_may_call
from grassroots.kit.idempotency import HEADER as IDEMPOTENCY_HEADER
from grassroots.kit.idempotency import AlreadyAnswered, StoredAnswer
from grassroots.kit.paging import Cursor, Limit, Page, decode_cursor, encode_cursor
from grassroots.kit.problems import Invalid, ProblemError
from grassroots.kit.proxies import acts_for_citizens, client_address
from grassroots.requests.domain.machine import Status
from grassroots.requests.entrypoints.http.deps import (
    Ctx,
    idempotent_call,
    public_limiter,
    replay_answer,
)
from grassroots.requests.entrypoints.http.schemas import (
    RequestIn,
    RequestOut,
    intake_from,
    request_out,
)
from grassroots.requests.service import handling, queries

router = APIRouter(prefix="/v1")


# A viewer's token passes only as the portal acting for a citizen (the guard checks it).
@router.post(
    "/requests",
    status_code=201,
    response_model=RequestOut,
    tags=["requests"],
    dependencies=[Depends(viewers_may_call)],
)
async def submit_request(
    ctx: Ctx,
    principal: CadreOrForwardingIfSigned,
    body: RequestIn,
    request: Request,
    response: Response,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias=IDEMPOTENCY_HEADER,
            description="retry with the same key and body to get the first answer again (24 h)",
        ),
    ] = None,
) -> Any:
    """Take in a request: public online intake without a token (or through the portal, which
    acts for the citizen and names their address), other channels by cadres."""
    forwarded = principal is not None and acts_for_citizens(request, principal)
    if principal is None or forwarded:
        if body.channel != "online":
            raise ProblemError(
                401,
                f"channel {body.channel} needs a cadre's bearer token",
                headers={"WWW-Authenticate": "Bearer"},
            )
        actor = "citizen"
    else:
        principal.require_area(body.area_code)
        if body.channel == "open311":
            raise Invalid("channel", "open311 requests come in through /open311/v2/")
        actor = principal.sub
    if principal is None or forwarded:
        await public_limiter(request).check(client_address(request, principal))
    intake = intake_from(body, body.channel)
    contact = (intake.citizen_name, intake.citizen_phone)
    call = await idempotent_call(request, f"requests:{actor}")
    if call is None:
        row = await handling.submit_request(ctx, intake, actor=actor)
        response.headers["Location"] = f"/v1/requests/{row['id']}"
        return request_out(row, cipher=ctx.cipher, contact=contact)
    stored = await ctx.idempotency.find(call)
    if stored is None:

        def answer(row: dict[str, Any]) -> StoredAnswer:
            out = request_out(row, cipher=ctx.cipher, contact=contact)
            return StoredAnswer(201, out.model_dump_json())

        try:
            row = await handling.submit_request(ctx, intake, actor=actor, idempotent=(call, answer))
        except AlreadyAnswered as first:
            return replay_answer(first.answer, replayed=True)
        return replay_answer(answer(row), replayed=False)
    return replay_answer(stored, replayed=True)


@router.get("/requests", response_model=Page[RequestOut], tags=["requests"])
async def list_requests(
    session: ReadSession,
    ctx: Ctx,
    principal: MemberOrAbove,
    status: Annotated[
        list[Status] | None, Query(description="one or more statuses (repeat the parameter)")
    ] = None,
    org_unit_id: str | None = None,
    handler_member_id: str | None = None,
    accepted_by: Annotated[str | None, Query(max_length=64)] = None,
    service_code: str | None = None,
    overdue: bool | None = None,
    due_before: Annotated[
        datetime | None, Query(description="open requests due before this instant")
    ] = None,
    escalated: Annotated[bool | None, Query(description="escalated at least once")] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[RequestOut]:
    """Requests held by units inside the token's subtree, newest first."""
    query = queries.RequestQuery(
        statuses=status,
        org_unit_id=org_unit_id,
        handler_member_id=handler_member_id,
        accepted_by=accepted_by,
        service_code=service_code,
        overdue=overdue,
        due_before=due_before,
        escalated=escalated,
    )
    after = decode_cursor(cursor)
    rows = await queries.list_requests(
        session, principal, query, after=None if after is None else str(after), limit=limit + 1
    )
    items = [request_out(row, cipher=ctx.cipher) for row in rows[:limit]]
    next_cursor = encode_cursor(items[-1].id) if len(rows) > limit else None
    return Page(items=items, next_cursor=next_cursor)


@router.get("/requests/{request_id}", response_model=RequestOut, tags=["requests"])
async def get_request(ctx: Ctx, principal: MemberOrAbove, request_id: str) -> RequestOut:
    """One request with its history (the audit trail)."""
    row = await handling.get_request(ctx, request_id, principal)
    async with ctx.db.read_only() as session:
        history = await handling.history_of(session, request_id)
    return request_out(row, history, cipher=ctx.cipher)


@router.get("/requests/{request_id}/contact", tags=["requests"])
async def read_contact(
    session: Session,
    ctx: Ctx,
    principal: Cadre,
    request_id: str,
    purpose: Annotated[str, Query(min_length=2, max_length=200)],
) -> dict[str, str | None]:
    """The citizen's unmasked contact for the handling cadre; every read is logged."""
    return await queries.read_contact(session, ctx, principal, request_id, purpose)
