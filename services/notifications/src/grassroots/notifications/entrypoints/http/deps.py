"""What a route is given: a session committed at the edge, the service's `Deps`, the caller."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any

from fastapi import Depends, Request

from grassroots.kit.auth import CurrentPrincipal
from grassroots.kit.db import AsyncSession, ReadSession, Session, database_of
from grassroots.notifications.service.deps import Deps

__all__ = [
    "AppDeps",
    "BroadcastSession",
    "CurrentPrincipal",
    "ReadSession",
    "Session",
    "WebhookSession",
]


def deps_of(request: Request) -> Deps:
    """The `Deps` the composition root built for this app."""
    deps: Deps = request.app.state.deps
    return deps


AppDeps = Annotated[Deps, Depends(deps_of)]


def _session_then(after_commit: Callable[[Request], None]) -> Any:
    """A route's session, like the kit's `Session`, that runs `after_commit` once it committed."""

    async def session(request: Request) -> AsyncIterator[AsyncSession]:
        async with database_of(request).transaction() as opened:
            yield opened
        after_commit(request)

    return session


def _forget_subscriptions(request: Request) -> None:
    deps_of(request).subscriptions.forget()


def _wake_broadcaster(request: Request) -> None:
    request.app.state.loops.broadcaster.wake()


# A subscription changed: once committed, the next event reads the subscriptions afresh (read
# before the commit, the old list could be cached again and a new subscription miss events).
WebhookSession = Annotated[
    AsyncSession, Depends(_session_then(_forget_subscriptions), scope="function")
]
# A broadcast was recorded: once committed, the broadcaster starts on it.
BroadcastSession = Annotated[
    AsyncSession, Depends(_session_then(_wake_broadcaster), scope="function")
]
