"""A party member's own pages: the inbox, the community check-in (报到), claimed service posts
(认领岗位) and public commitments (公开承诺). Every call carries the member's own token.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from grassroots.portal.adapters.platform import ServiceProblem
from grassroots.portal.entrypoints.web import parts
from grassroots.portal.entrypoints.web.deps import Deps, WebDeps
from grassroots.portal.entrypoints.web.rendering import render
from grassroots.portal.entrypoints.web.security import User, check_form
from grassroots.portal.service.websessions import SignedIn

router = APIRouter(include_in_schema=False)

DONE = {
    "read": "已标为已读。",
    "checkin": "报到成功，社区公示栏会显示您的报到。",
    "post": "已认领服务岗位。",
    "commitment": "承诺已公开。",
}
# What a refusal of the members service means on these forms.
REFUSED = {
    409: "这项操作现在不能进行：您可能已经在这个社区报到过，或您的党员记录不是正常状态。",
    403: "只能为自己的党员记录办理。",
}
NOT_LINKED = "您的账号还没有关联党员记录，请联系组织部门。"


def _member_id(user: SignedIn) -> str:
    parts.need_role(user, "member")
    if not user.member_id:
        raise ServiceProblem("portal", 404, "Not Found", NOT_LINKED)
    return user.member_id


@router.get("/me", response_class=HTMLResponse)
async def inbox(
    request: Request, user: User, deps: Deps, unread: bool = False, cursor: str = ""
) -> Response:
    """The member's messages, newest first, each with a form to mark it read."""
    parts.need_role(user, "member")
    page = await deps.platform.call(
        "notifications",
        "GET",
        "/v1/inbox",
        token=user.access_token,
        params={"unread": "true" if unread else None, "limit": 30, "cursor": cursor or None},
    )
    return render(
        request,
        "member/inbox.html",
        messages=page["items"],
        next_cursor=page.get("next_cursor"),
        unread=unread,
        notice=DONE.get(request.query_params.get("done", "")),
    )


@router.post("/me/inbox/{notification_id}/read")
async def mark_read(request: Request, user: User, deps: Deps, notification_id: str) -> Response:
    """Mark one message read (the notifications service checks it is the member's own)."""
    form = await request.form(max_fields=5)
    check_form(request, form, user)
    await deps.platform.call(
        "notifications", "POST", f"/v1/inbox/{notification_id}/read", token=user.access_token
    )
    back = "/me?unread=true&done=read" if parts.text(form, "unread") else "/me?done=read"
    return RedirectResponse(back, status_code=303)


async def _service_page(
    request: Request,
    user: SignedIn,
    deps: WebDeps,
    *,
    values: dict[str, Any] | None = None,
    error: str | None = None,
    bad: list[str] | None = None,
    status_code: int = 200,
) -> Response:
    member_id = _member_id(user)
    token = user.access_token
    record = await deps.platform.call("members", "GET", f"/v1/members/{member_id}", token=token)
    posts = await deps.platform.call(
        "members", "GET", f"/v1/members/{member_id}/posts", token=token, params={"limit": 100}
    )
    commitments = await deps.platform.call(
        "members",
        "GET",
        f"/v1/members/{member_id}/commitments",
        token=token,
        params={"limit": 100},
    )
    units = await deps.directory.units()
    home = units.get(record["org_unit_id"])
    community = units.get(record.get("community_org_unit_id") or "")
    county = home.area_code[:6] if home else user.org[:6]
    communities = sorted(
        (u for u in units.values() if u.domain == "community" and u.area_code[:6] == county),
        key=lambda u: u.area_code,
    )
    return render(
        request,
        "member/service.html",
        status_code=status_code,
        record=record,
        home=home,
        community=community,
        communities=communities,
        posts=[{**p, "place": _place(units, p["org_unit_id"])} for p in posts["items"]],
        commitments=commitments["items"],
        values=values or {},
        error=error,
        bad=bad or [],
        notice=DONE.get(request.query_params.get("done", "")),
        today=parts.today(),
    )


def _place(units: dict[str, Any], unit_id: str) -> str:
    unit = units.get(unit_id)
    return str(unit.place) if unit else ""


@router.get("/me/service", response_class=HTMLResponse)
async def service_page(request: Request, user: User, deps: Deps) -> Response:
    """报到、认领岗位、公开承诺: what the member does in the community and promises."""
    return await _service_page(request, user, deps)


async def _member_post(
    request: Request,
    user: SignedIn,
    deps: WebDeps,
    tail: str,
    body: dict[str, Any],
    done: str,
    values: dict[str, Any],
) -> Response:
    member_id = _member_id(user)
    try:
        await deps.platform.call(
            "members",
            "POST",
            f"/v1/members/{member_id}/{tail}",
            token=user.access_token,
            json=body,
        )
    except ServiceProblem as problem:
        message = REFUSED.get(problem.status) or parts.sentence(problem)
        return await _service_page(
            request,
            user,
            deps,
            values=values,
            error=message,
            bad=problem.fields,
            status_code=parts.status_of(problem),
        )
    return RedirectResponse(f"/me/service?done={done}", status_code=303)


@router.post("/me/checkin", response_class=HTMLResponse)
async def check_in(request: Request, user: User, deps: Deps) -> Response:
    """报到: an in-service member checks in at the community where they live."""
    form = await request.form(max_fields=5)
    check_form(request, form, user)
    community = parts.text(form, "community_org_unit_id", 64)
    if not community:
        return await _service_page(
            request,
            user,
            deps,
            error="请选择居住地社区。",
            bad=["community_org_unit_id"],
            status_code=422,
        )
    return await _member_post(
        request,
        user,
        deps,
        "community-checkin",
        {"community_org_unit_id": community},
        "checkin",
        {"community_org_unit_id": community},
    )


@router.post("/me/posts", response_class=HTMLResponse)
async def claim_post(request: Request, user: User, deps: Deps) -> Response:
    """认领岗位: claim a service post in the community (or the member's own unit)."""
    form = await request.form(max_fields=5)
    check_form(request, form, user)
    values = {
        "title": parts.text(form, "title", 200),
        "description": parts.text(form, "description", 2000),
    }
    if not values["title"]:
        return await _service_page(
            request,
            user,
            deps,
            values=values,
            error="请填写岗位名称。",
            bad=["title"],
            status_code=422,
        )
    body = {"title": values["title"], "description": values["description"] or None}
    return await _member_post(request, user, deps, "posts", body, "post", values)


@router.post("/me/commitments", response_class=HTMLResponse)
async def publish_commitment(request: Request, user: User, deps: Deps) -> Response:
    """公开承诺: a promise the member makes in public, with an optional deadline."""
    form = await request.form(max_fields=5)
    check_form(request, form, user)
    values = {"text": parts.text(form, "text", 2000), "due": parts.text(form, "due", 10)}
    if not values["text"]:
        return await _service_page(
            request,
            user,
            deps,
            values=values,
            error="请填写承诺内容。",
            bad=["text"],
            status_code=422,
        )
    body = {"text": values["text"], "due": values["due"] or None}
    return await _member_post(request, user, deps, "commitments", body, "commitment", values)
