"""Identity, role and scope before the body: a route's token checks run before it is read.

FastAPI reads and parses a body before it solves a route's dependencies, so a caller without
a token learnt the schema from a 422, and a viewer too. The guard holds the body back: when a
route first asks for it, the route's dependencies that look at the bearer token (the token
itself, a declared role, a scope check on a path parameter) are solved from the headers and
the path alone, and only a caller they let through gets a byte of the body. A viewer, who
only reads, is refused every write unless the route says `viewers_may_call`. A new route gets
all this without a line of its own, and token decoding stays wherever `auth` keeps it.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AsyncExitStack
from typing import Annotated, Any

from fastapi import Depends, FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.dependencies.utils import solve_dependencies
from fastapi.routing import APIRoute
from fastapi.security.base import SecurityBase
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from grassroots.kit.auth import ROLE_RANK, CurrentPrincipal, OptionalPrincipal, Principal
from grassroots.kit.problems import Forbidden, ProblemError, problem_response
from grassroots.kit.proxies import acts_for_citizens

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def viewers_may_call() -> None:
    """Marks a write route a viewer may call (their own inbox, say): add as a dependency."""


def requires(role: str) -> Callable[..., Any]:
    """A dependency giving the principal, 403 unless its role ranks at least `role`."""
    if role not in ROLE_RANK:
        raise ValueError(f"unknown role {role}")

    async def principal_with_role(principal: CurrentPrincipal) -> Principal:
        principal.require_role(role)
        return principal

    principal_with_role.__name__ = f"requires_{role}"
    return principal_with_role


def requires_if_signed(role: str) -> Callable[..., Any]:
    """A dependency for routes open without a token: None without one, else the principal,
    403 unless its role ranks at least `role`."""
    if role not in ROLE_RANK:
        raise ValueError(f"unknown role {role}")

    async def optional_principal_with_role(principal: OptionalPrincipal) -> Principal | None:
        if principal is not None:
            principal.require_role(role)
        return principal

    optional_principal_with_role.__name__ = f"requires_{role}_if_signed"
    return optional_principal_with_role


def requires_if_signed_unless_forwarding(role: str) -> Callable[..., Any]:
    """Like `requires_if_signed`, but a client of GR_FORWARDING_CLIENTS (the portal acting
    for citizens) passes whatever its role: the route then treats the call as a citizen's."""
    if role not in ROLE_RANK:
        raise ValueError(f"unknown role {role}")

    async def optional_principal_or_forwarding(
        request: Request, principal: OptionalPrincipal
    ) -> Principal | None:
        if principal is not None and not acts_for_citizens(request, principal):
            principal.require_role(role)
        return principal

    optional_principal_or_forwarding.__name__ = f"requires_{role}_or_forwarding_if_signed"
    return optional_principal_or_forwarding


# A route's lowest role, declared where the guard solves it (before the body is read), so a
# caller below it gets 403 and never a 422 that shows the schema.
MemberOrAbove = Annotated[Principal, Depends(requires("member"))]
Cadre = Annotated[Principal, Depends(requires("cadre"))]
OrgAdmin = Annotated[Principal, Depends(requires("org_admin"))]
PlatformAdmin = Annotated[Principal, Depends(requires("platform_admin"))]
CadreIfSigned = Annotated[Principal | None, Depends(requires_if_signed("cadre"))]
# Public intake and rating: anonymous, a cadre (or a member), or the portal for a citizen.
CadreOrForwardingIfSigned = Annotated[
    Principal | None, Depends(requires_if_signed_unless_forwarding("cadre"))
]
MemberOrForwardingIfSigned = Annotated[
    Principal | None, Depends(requires_if_signed_unless_forwarding("member"))
]


def _uses_token(dependant: Dependant) -> bool:
    if isinstance(dependant.call, SecurityBase):
        return True
    return any(_uses_token(sub) for sub in dependant.dependencies)


def _marks(dependant: Dependant, marker: Callable[[], None]) -> bool:
    if dependant.call is marker:
        return True
    return any(_marks(sub, marker) for sub in dependant.dependencies)


def _checks_of(route: APIRoute) -> Dependant:
    checks = getattr(route, "grassroots_checks", None)
    if checks is None:
        checks = Dependant(
            dependencies=[sub for sub in route.dependant.dependencies if _uses_token(sub)],
            path=route.path_format,
        )
        viewer_write = bool((route.methods or set()) & WRITE_METHODS) and not _marks(
            route.dependant, viewers_may_call
        )
        route.grassroots_checks = checks  # type: ignore[attr-defined]
        route.grassroots_viewer_write = viewer_write  # type: ignore[attr-defined]
    return checks


class GuardRefused(HTTPException):
    """A token check refused the caller while the body was asked for (FastAPI passes HTTP
    errors raised there through; any other error would become a 400)."""

    def __init__(self, problem: ProblemError) -> None:
        super().__init__(problem.status, problem.detail, headers=problem.headers)
        self.problem = problem


async def _check(scope: Scope) -> None:
    route = scope.get("route")
    if not isinstance(route, APIRoute):
        return
    checks = _checks_of(route)
    if not checks.dependencies:
        return
    request = Request(scope)  # no receive: the body stays unread
    try:
        solved = await solve_dependencies(
            request=request,
            dependant=checks,
            dependency_overrides_provider=scope.get("app"),
            async_exit_stack=AsyncExitStack(),
            embed_body_fields=False,
        )
        # Path or header errors are the route's to report (422) once it runs.
        if route.grassroots_viewer_write and not solved.errors:  # type: ignore[attr-defined]
            principal = next(
                (v for v in solved.dependency_cache.values() if isinstance(v, Principal)), None
            )
            if principal is not None and principal.role == "viewer":
                raise Forbidden("a viewer's token may only read")
    except ProblemError as exc:
        raise GuardRefused(exc) from exc


class GuardMiddleware:
    """Run a route's token checks when it first asks for the body, before any byte of it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        checked = False

        async def checking_receive() -> Message:
            nonlocal checked
            if not checked:
                checked = True
                await _check(scope)
            return await receive()

        await self.app(scope, checking_receive, send)


def install_guard(app: FastAPI) -> None:
    """Guard every route of `app`, and answer a refusal as the problem it is."""

    async def on_refused(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, GuardRefused)
        problem = exc.problem
        return problem_response(
            problem.status,
            problem.detail,
            title=problem.title,
            type_=problem.type,
            errors=problem.errors,
            headers=problem.headers,
            instance=request.url.path,
        )

    app.add_exception_handler(GuardRefused, on_refused)
    app.add_middleware(GuardMiddleware)
