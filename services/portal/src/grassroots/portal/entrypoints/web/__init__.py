"""The website of seed 003: a citizen site and a staff workbench, served by the portal."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from grassroots.portal.adapters.platform import ServiceDown, ServiceProblem
from grassroots.portal.entrypoints.web import cadre, citizen, member, orgdept, public, staff
from grassroots.portal.entrypoints.web.rendering import HERE, render
from grassroots.portal.entrypoints.web.security import CrossSite, SignInNeeded
from grassroots.portal.entrypoints.web.wording import down_sentence, problem_sentence

log = logging.getLogger(__name__)

ROUTERS = [
    citizen.router,
    staff.router,
    cadre.router,
    member.router,
    public.router,
    orgdept.router,
]


def install_website(app: FastAPI) -> None:
    """The pages, their static assets (served here: no CDN), and pages for failures."""
    for router in ROUTERS:
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    @app.exception_handler(SignInNeeded)
    async def to_login(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, SignInNeeded)
        return RedirectResponse(f"/login?next={exc.next_path}", status_code=303)

    @app.exception_handler(CrossSite)
    async def cross_site(request: Request, exc: Exception) -> Response:
        return render(
            request,
            "error.html",
            status_code=403,
            message="这个表单已经失效或不是从本站提交的。请返回上一页，刷新后重新提交。",
        )

    @app.exception_handler(ServiceDown)
    async def service_down(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ServiceDown)
        log.warning("a page could not be made: %s", exc)
        return render(
            request,
            "error.html",
            status_code=503,
            headers={"Retry-After": "30"},
            message=down_sentence(exc),
        )

    @app.exception_handler(ServiceProblem)
    async def service_problem(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ServiceProblem)
        if exc.status == 401:
            return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
        status = exc.status if exc.status < 500 else 502
        return render(request, "error.html", status_code=status, message=problem_sentence(exc))
