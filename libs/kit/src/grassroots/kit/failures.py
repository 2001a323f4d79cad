"""The last answer of every route: 503 while a dependency is down, else 500, as problems."""

from __future__ import annotations

import asyncio
import logging
import uuid

import nats.errors
from sqlalchemy import exc as sa_exc
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from grassroots.kit import context
from grassroots.kit.problems import PROBLEM_JSON, TYPE_BASE, problem_response

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5

# Errors that say a dependency is out of reach rather than that the code is wrong.
_NATS_OUTAGES = (
    nats.errors.NoServersError,
    nats.errors.ConnectionClosedError,
    nats.errors.TimeoutError,
    nats.errors.NoRespondersError,
    nats.errors.StaleConnectionError,
    nats.errors.OutboundBufferLimitError,
)


# SQLSTATEs a server sends when it will not serve now: connection exceptions (class 08),
# shutting down or starting up (57P01-57P03), and no connection slot left (53300). They come
# at connect or pool checkout, where SQLAlchemy wraps them in a plain DBAPIError whose
# connection was never valid (so not "invalidated"), while the server stops or starts.
_DATABASE_NOT_SERVING = ("08", "57P01", "57P02", "57P03", "53300")


def _sqlstate(exc: BaseException) -> str:
    code = getattr(exc, "sqlstate", None) or getattr(exc, "pgcode", None)
    return code if isinstance(code, str) else ""


def dependency_down(exc: BaseException) -> str | None:
    """'database' or 'nats' when `exc` (or its cause) means that dependency is unreachable."""
    seen = 0
    current: BaseException | None = exc
    while current is not None and seen < 8:
        if isinstance(current, sa_exc.TimeoutError):  # the pool found no free connection
            return "database"
        if isinstance(current, sa_exc.DBAPIError) and (
            current.connection_invalidated or isinstance(current, sa_exc.InterfaceError)
        ):
            return "database"
        if isinstance(current, sa_exc.OperationalError):
            return "database"
        if _sqlstate(current).startswith(_DATABASE_NOT_SERVING):
            return "database"
        if isinstance(current, _NATS_OUTAGES):
            return "nats"
        if isinstance(current, (ConnectionError, asyncio.TimeoutError)) and not isinstance(
            current, nats.errors.Error
        ):
            return "database"
        current = current.__cause__ or current.__context__
        seen += 1
    return None


class FailureMiddleware:
    """Turn any exception a route lets escape into a problem the client can act on.

    A dependency out of reach answers 503 with Retry-After (the pool replaces its dead
    connections by itself, so a retry succeeds once the database is back); anything else
    is a 500 carrying the correlation id that the log line of the traceback carries too.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            if started:
                raise
            correlation = context.correlation_id.get() or str(uuid.uuid4())
            down = dependency_down(exc)
            if down is not None:
                log.warning(
                    "%s unreachable during %s %s: %s",
                    down,
                    scope.get("method"),
                    scope.get("path"),
                    exc.__class__.__name__,
                )
                response = problem_response(
                    503,
                    f"the {down} is unreachable; try again shortly",
                    type_=TYPE_BASE + "unavailable",
                    headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
                    instance=scope.get("path"),
                )
            else:
                log.exception(
                    "unexpected error during %s %s", scope.get("method"), scope.get("path")
                )
                response = JSONResponse(
                    {
                        "type": TYPE_BASE + "internal",
                        "title": "Internal Server Error",
                        "status": 500,
                        "detail": f"an unexpected error occurred; quote {correlation}",
                        "instance": scope.get("path"),
                        "correlation_id": correlation,
                    },
                    status_code=500,
                    media_type=PROBLEM_JSON,
                )
            await response(scope, receive, send)
