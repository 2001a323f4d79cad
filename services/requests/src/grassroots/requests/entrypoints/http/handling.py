"""The handling actions on a request (`/v1/requests/{id}/<action>`), one use case each."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from grassroots.kit.auth import CurrentPrincipal, Principal
from grassroots.kit.guards import Cadre
from grassroots.requests.domain.machine import Action
from grassroots.requests.entrypoints.http.deps import Ctx
from grassroots.requests.entrypoints.http.schemas import (
    AssignIn,
    DispatchIn,
    ExplainIn,
    OptionalReasonIn,
    ReasonIn,
    RequestOut,
    ResolveIn,
    ReturnDecisionIn,
    ReturnIn,
    WaitIn,
    request_out,
)
from grassroots.requests.service import dispatching, handling
from grassroots.requests.service.context import RequestsContext

router = APIRouter(prefix="/v1")


async def _act(
    ctx: RequestsContext,
    request_id: str,
    action: Action,
    principal: Principal,
    params: dict[str, Any],
) -> RequestOut:
    row = await handling.perform(ctx, request_id, action, principal, params)
    return request_out(row, cipher=ctx.cipher)


@router.post("/requests/{request_id}/accept", response_model=RequestOut, tags=["handling"])
async def accept_request(ctx: Ctx, principal: CurrentPrincipal, request_id: str) -> RequestOut:
    """The holding unit accepts the request."""
    return await _act(ctx, request_id, Action.ACCEPT, principal, {})


@router.post("/requests/{request_id}/assign", response_model=RequestOut, tags=["handling"])
async def assign_request(
    ctx: Ctx, principal: CurrentPrincipal, request_id: str, body: AssignIn
) -> RequestOut:
    """Name the handler (落实专人办理)."""
    return await _act(ctx, request_id, Action.ASSIGN, principal, body.model_dump())


@router.post("/requests/{request_id}/start", response_model=RequestOut, tags=["handling"])
async def start_request(ctx: Ctx, principal: CurrentPrincipal, request_id: str) -> RequestOut:
    """The handler (or the accepting cadre, who then becomes the handler) starts work."""
    return await _act(ctx, request_id, Action.START, principal, {})


@router.post("/requests/{request_id}/escalate", response_model=RequestOut, tags=["handling"])
async def escalate_request(
    ctx: Ctx, principal: CurrentPrincipal, request_id: str, body: ReasonIn
) -> RequestOut:
    """This level cannot solve it: move it to the unit above (报上级协调)."""
    return await _act(ctx, request_id, Action.ESCALATE, principal, body.model_dump())


@router.post("/requests/{request_id}/explain", response_model=RequestOut, tags=["handling"])
async def explain_request(
    ctx: Ctx, principal: CurrentPrincipal, request_id: str, body: ExplainIn
) -> RequestOut:
    """It cannot be solved yet: tell the citizen why and by when (说明情况)."""
    return await _act(ctx, request_id, Action.EXPLAIN, principal, body.model_dump())


@router.post("/requests/{request_id}/resolve", response_model=RequestOut, tags=["handling"])
async def resolve_request(
    ctx: Ctx, principal: CurrentPrincipal, request_id: str, body: ResolveIn
) -> RequestOut:
    """Record the resolution."""
    return await _act(ctx, request_id, Action.RESOLVE, principal, body.model_dump())


@router.post("/requests/{request_id}/reopen", response_model=RequestOut, tags=["handling"])
async def reopen_request(
    ctx: Ctx, principal: CurrentPrincipal, request_id: str, body: OptionalReasonIn | None = None
) -> RequestOut:
    """A supervisor reopens a resolved or closed request."""
    params = body.model_dump() if body else {"reason": None}
    return await _act(ctx, request_id, Action.REOPEN, principal, params)


@router.post("/requests/{request_id}/close", response_model=RequestOut, tags=["handling"])
async def close_request(
    ctx: Ctx, principal: CurrentPrincipal, request_id: str, body: OptionalReasonIn | None = None
) -> RequestOut:
    """Close a resolved request (after feedback, or when the citizen gives none)."""
    params = body.model_dump() if body else {"reason": None}
    return await _act(ctx, request_id, Action.CLOSE, principal, params)


@router.post("/requests/{request_id}/dispatch", response_model=RequestOut, tags=["handling"])
async def dispatch_request(
    ctx: Ctx, principal: Cadre, request_id: str, body: DispatchIn
) -> RequestOut:
    """Hand the request to a unit below or to a department's unit (派单); it signs or returns."""
    row = await dispatching.dispatch_request(
        ctx, request_id, principal, body.org_unit_id, body.reason
    )
    return request_out(row, cipher=ctx.cipher)


@router.post("/requests/{request_id}/return", response_model=RequestOut, tags=["handling"])
async def return_request(ctx: Ctx, principal: Cadre, request_id: str, body: ReturnIn) -> RequestOut:
    """The receiving unit sends it back to the dispatcher before signing for it (退单)."""
    row = await dispatching.return_request(ctx, request_id, principal, body.reason, body.note)
    return request_out(row, cipher=ctx.cipher)


@router.post("/requests/{request_id}/return-decision", response_model=RequestOut, tags=["handling"])
async def decide_return(
    ctx: Ctx, principal: Cadre, request_id: str, body: ReturnDecisionIn
) -> RequestOut:
    """The dispatcher upholds the return (keeps it) or rejects it (back to the returning unit)."""
    row = await dispatching.decide_return(ctx, request_id, principal, body.decision, body.note)
    return request_out(row, cipher=ctx.cipher)


@router.post("/requests/{request_id}/wait", response_model=RequestOut, tags=["handling"])
async def wait_for_citizen(
    ctx: Ctx, principal: CurrentPrincipal, request_id: str, body: WaitIn
) -> RequestOut:
    """Wait for the citizen: the time limit's clock stops until a reply, a resume or the maximum."""
    row = await dispatching.wait_for_citizen(ctx, request_id, principal, body.reason)
    return request_out(row, cipher=ctx.cipher)


@router.post("/requests/{request_id}/resume", response_model=RequestOut, tags=["handling"])
async def resume_request(ctx: Ctx, principal: CurrentPrincipal, request_id: str) -> RequestOut:
    """Run the clock again with the time that was left."""
    row = await dispatching.resume_request(ctx, request_id, principal)
    return request_out(row, cipher=ctx.cipher)
