"""What a route is given: a session committed at the edge, the service's `Deps`, the caller."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from grassroots.evaluation.service.deps import Deps
from grassroots.kit.auth import CurrentPrincipal
from grassroots.kit.db import ReadSession, Session

__all__ = ["AppDeps", "CurrentPrincipal", "ReadSession", "Session"]


def deps_of(request: Request) -> Deps:
    """The `Deps` the composition root built for this app."""
    deps: Deps = request.app.state.deps
    return deps


AppDeps = Annotated[Deps, Depends(deps_of)]
