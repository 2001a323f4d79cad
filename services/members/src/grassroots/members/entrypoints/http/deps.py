"""What a route is given: a session committed at the edge, the service's `Deps`, the caller."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Query, Request
from pydantic import BaseModel

from grassroots.kit.app import Runtime
from grassroots.kit.auth import CurrentPrincipal
from grassroots.kit.db import Database, ReadSession, Session, database_of
from grassroots.kit.paging import Page, decode_cursor, encode_cursor
from grassroots.kit.problems import Invalid
from grassroots.members.service.deps import Deps

__all__ = [
    "AppDatabase",
    "AppDeps",
    "AppRuntime",
    "CurrentPrincipal",
    "ReadSession",
    "Session",
    "UnitParam",
    "after_of",
    "page_of",
]

Model = TypeVar("Model", bound=BaseModel)


def deps_of(request: Request) -> Deps:
    """The `Deps` the composition root built for this app."""
    deps: Deps = request.app.state.deps
    return deps


def runtime_of(request: Request) -> Runtime:
    """The service's runtime (for work that outlives the request)."""
    runtime: Runtime = request.app.state.runtime
    return runtime


AppDeps = Annotated[Deps, Depends(deps_of)]
AppRuntime = Annotated[Runtime, Depends(runtime_of)]
# For the use cases that run several transactions of their own (exports, imports, re-sealing).
AppDatabase = Annotated[Database, Depends(database_of)]

UnitParam = Annotated[str, Query(min_length=1, max_length=36, description="organisation unit id")]


def after_of(cursor: str | None, kind: type = str) -> Any:
    """The key a cursor of this service carries; 422 for any other cursor."""
    after = decode_cursor(cursor)
    if after is not None and not isinstance(after, kind):
        raise Invalid("cursor", "not a cursor this service issued")
    return after


def page_of(model: type[Model], items: Sequence[Any], next_key: object) -> Page[Model]:
    """A page of answers from the use case's items and the key after the last one."""
    return Page(
        items=[model.model_validate(item) for item in items],
        next_cursor=encode_cursor(next_key) if next_key else None,
    )
