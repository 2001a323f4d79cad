"""What a route is given: the service context, the public rate limiters, the idempotent call."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import Depends, Request, Response

from grassroots.kit.idempotency import HEADER as IDEMPOTENCY_HEADER
from grassroots.kit.idempotency import (
    REPLAYED_HEADER,
    IdempotentCall,
    StoredAnswer,
    check_key,
    fingerprint,
)
from grassroots.kit.limits import RateLimiter
from grassroots.requests.service.context import RequestsContext


async def get_ctx(request: Request) -> RequestsContext:
    """The service context the composition root put on the app."""
    ctx: RequestsContext = request.app.state.requests
    return ctx


Ctx = Annotated[RequestsContext, Depends(get_ctx)]


def public_limiter(request: Request) -> RateLimiter:
    """The process's limiter of public submissions."""
    limiter: RateLimiter = request.app.state.public_limiter
    return limiter


def lookup_limiter(request: Request) -> RateLimiter:
    """The process's limiter of public look-ups by tracking code (tracking and feedback)."""
    limiter: RateLimiter = request.app.state.lookup_limiter
    return limiter


async def idempotent_call(request: Request, scope: str) -> IdempotentCall | None:
    """The call's `Idempotency-Key` with what it said, or None when it sent none."""
    key = request.headers.get(IDEMPOTENCY_HEADER)
    if key is None:
        return None
    body = await request.body()
    return IdempotentCall(scope, check_key(key), fingerprint("POST", request.url.path, body))


def replay_answer(answer: StoredAnswer, *, replayed: bool) -> Response:
    """The stored answer of an intake, saying whether it is the first or a replay."""
    request_id = json.loads(answer.body)["id"]
    return Response(
        answer.body,
        status_code=answer.status_code,
        media_type="application/json",
        headers={
            "Location": f"/v1/requests/{request_id}",
            REPLAYED_HEADER: "true" if replayed else "false",
        },
    )
