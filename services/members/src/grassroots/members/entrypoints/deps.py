"""FastAPI dependencies of the members routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from grassroots.kit.app import Runtime
from grassroots.members.service.shared import Deps


async def runtime_of(request: Request) -> Runtime:
    """The service's runtime."""
    runtime: Runtime = request.app.state.runtime
    return runtime


async def deps_of(request: Request) -> Deps:
    """What the use cases need (outbox, cipher, deployment scope)."""
    deps: Deps = request.app.state.deps
    return deps


AppRuntime = Annotated[Runtime, Depends(runtime_of)]
AppDeps = Annotated[Deps, Depends(deps_of)]
