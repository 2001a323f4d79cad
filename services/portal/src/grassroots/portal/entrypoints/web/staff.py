"""The staff workbench: sign-in, the unit's queue, a request with the actions it allows."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from grassroots.kit.clock import utcnow, zone
from grassroots.portal.adapters.platform import ServiceDown, ServiceProblem
from grassroots.portal.domain.errors import LockedOut, NotSignedIn, PortalError
from grassroots.portal.entrypoints.web.deps import Deps, WebDeps
from grassroots.portal.entrypoints.web.rendering import render
from grassroots.portal.entrypoints.web.security import (
    SESSION_COOKIE,
    MaybeUser,
    User,
    check_form,
    client_addr,
    safe_next,
    same_site,
    sessions,
)
from grassroots.portal.entrypoints.web.wording import (
    ACTION,
    CHANNEL,
    RATING,
    RETURN_REASON,
    STATUS,
    problem_sentence,
)
from grassroots.portal.service.websessions import SignedIn

router = APIRouter(include_in_schema=False)

OPEN = ["submitted", "accepted", "assigned", "in_progress", "reopened", "dispatched", "returned"]
# The queue's tabs: what each asks the requests service for.
TABS: dict[str, tuple[str, dict[str, Any]]] = {
    "todo": ("待办", {"status": [*OPEN, "escalated", "waiting"]}),
    "new": ("新件", {"status": ["submitted", "dispatched", "reopened"]}),
    "mine": ("我的", {}),
    "due_soon": ("即将到期", {}),
    "overdue": ("已超期", {"overdue": "true"}),
    "escalated": ("上报到本级", {"escalated": "true", "status": OPEN}),
    "explained": ("已说明待办", {"status": ["explained"]}),
    "done": ("已办结", {"status": ["resolved", "closed"]}),
}
# Actions the request page offers as forms (feedback and merge are not staff buttons here).
STAFF_ACTIONS = [a for a in ACTION if a != "feedback"]


@router.get("/login", response_class=HTMLResponse)
async def login_page(request: Request, user: MaybeUser, next: str = "") -> Response:
    """The sign-in form (username and password)."""
    if user is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return render(request, "login.html", next=safe_next(next), values={})


@router.post("/login", response_class=HTMLResponse)
async def login(request: Request, deps: Deps) -> Response:
    """Check the password (lock-out as for the API), open a session, go on to the queue."""
    same_site(request)
    form = await request.form(max_fields=10)
    username = str(form.get("username") or "").strip()[:64]
    password = str(form.get("password") or "")[:1024]
    totp = str(form.get("totp_code") or "").strip()[:10] or None
    target = safe_next(str(form.get("next") or ""))
    if not username or not password:
        return render(
            request,
            "login.html",
            status_code=422,
            next=target,
            values={"username": username},
            error="请输入用户名和密码。",
        )
    try:
        user = await sessions(request).open(username, password, totp, client_addr(request))
    except LockedOut as locked:
        minutes = max(1, round(locked.retry_after / 60))
        return render(
            request,
            "login.html",
            status_code=423,
            next=target,
            values={"username": username},
            error=f"登录失败次数过多，账号已暂时锁定，请约 {minutes} 分钟后再试，或请管理员解锁。",
        )
    except NotSignedIn as refused:
        needs_code = "totp_code" in str(refused.detail)
        return render(
            request,
            "login.html",
            status_code=401,
            next=target,
            values={"username": username},
            needs_code=needs_code,
            error="请输入动态口令。" if needs_code else "用户名或密码错误。",
        )
    except PortalError as refused:
        return render(
            request,
            "login.html",
            status_code=refused.status,
            next=target,
            values={"username": username},
            error="暂时无法登录，请稍后再试。",
        )
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        user.session_id,
        httponly=True,
        samesite="lax",
        secure=deps.cookie_secure,
        path="/",
    )
    return response


@router.post("/logout")
async def logout(request: Request, user: MaybeUser) -> Response:
    """Sign out: the session ends here and in the portal's store."""
    if user is not None:
        check_form(request, await request.form(max_fields=5), user)
        await sessions(request).close(request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def _tab_params(tab: str, user: SignedIn) -> dict[str, Any]:
    params = dict(TABS[tab][1])
    if tab == "mine":
        if user.member_id:
            params["handler_member_id"] = user.member_id
        else:
            params["accepted_by"] = user.account_id
    if tab == "due_soon":
        params["due_before"] = (utcnow() + timedelta(hours=24)).isoformat()
        params["overdue"] = "false"
    return params


async def _decorate(deps: WebDeps, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Names for the codes of each request: place, unit, service."""
    units = await deps.directory.units()
    shown = []
    for row in rows:
        unit = units.get(row["org_unit_id"])
        county = row["area_code"][:6] + "000000"
        shown.append(
            {
                **row,
                "status_text": STATUS.get(row["status"], row["status"]),
                "unit_name": unit.place if unit else "",
                "place": await deps.directory.area_name(row["area_code"]),
                "service_name": await deps.directory.service_name(county, row["service_code"]),
                "channel_text": CHANNEL.get(row["channel"], row["channel"]),
            }
        )
    return shown


@router.get("/work", response_class=HTMLResponse)
async def work(
    request: Request, user: User, deps: Deps, tab: str = "todo", cursor: str = ""
) -> Response:
    """The unit's queue: new, mine, due soon, overdue, escalated to us, explained, done."""
    if tab not in TABS:
        tab = "todo"
    params = {**_tab_params(tab, user), "limit": 50, "cursor": cursor or None}
    try:
        page = await deps.platform.call(
            "requests", "GET", "/v1/requests", token=user.access_token, params=params
        )
    except ServiceProblem as problem:
        return render(
            request,
            "work.html",
            status_code=problem.status,
            tab=tab,
            tabs=TABS,
            items=[],
            next_cursor=None,
            error=problem_sentence(problem),
        )
    items = await _decorate(deps, page["items"])
    return render(
        request,
        "work.html",
        tab=tab,
        tabs=TABS,
        items=items,
        next_cursor=page.get("next_cursor"),
        now=utcnow(),
    )


async def _request_page(
    request: Request,
    user: SignedIn,
    deps: WebDeps,
    request_id: str,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    token = user.access_token
    found = await deps.platform.call("requests", "GET", f"/v1/requests/{request_id}", token=token)
    row = (await _decorate(deps, [found]))[0]
    actions = [a for a in found["allowed_actions"] if a in ACTION]
    candidates: list[dict[str, Any]] = []
    if "assign" in actions:
        candidates = await _candidates(deps, token, request_id)
    attachments: list[dict[str, Any]] = []
    try:
        listed = await deps.platform.call(
            "requests", "GET", f"/v1/requests/{request_id}/attachments", token=token
        )
        attachments = listed["items"]
    except ServiceProblem:
        attachments = []
    units = await deps.directory.units()
    history = []
    for step in found.get("history") or []:
        unit = units.get(step.get("org_unit_id") or "")
        history.append(
            {
                **step,
                "status_text": STATUS.get(step["to_status"], step["to_status"]),
                "action_text": ACTION.get(
                    step["action"], _ACTION_EXTRA.get(step["action"], step["action"])
                ),
                "unit_name": unit.place if unit else "",
            }
        )
    dispatch_targets = []
    if "dispatch" in actions:
        holder = units.get(found["org_unit_id"])
        dispatch_targets = [u for u in units.values() if holder and u.parent_id == holder.id]
    handler_name = ""
    if found.get("handler_member_id"):
        handler_name = await _member_name(deps, token, found["handler_member_id"])
    return render(
        request,
        "request.html",
        status_code=status_code,
        item=row,
        actions=actions,
        action_names=ACTION,
        candidates=candidates,
        attachments=attachments,
        history=history,
        dispatch_targets=dispatch_targets,
        return_reasons=RETURN_REASON,
        ratings=RATING,
        handler_name=handler_name,
        error=error,
        notice=request.query_params.get("done"),
        tomorrow=(datetime.now(zone()) + timedelta(days=7)).date().isoformat(),
    )


_ACTION_EXTRA = {"submit": "提交", "feedback": "群众评价", "merge": "合并", "sla_breach": "超期"}


async def _member_name(deps: WebDeps, token: str, member_id: str) -> str:
    try:
        member = await deps.platform.call("members", "GET", f"/v1/members/{member_id}", token=token)
    except (ServiceProblem, ServiceDown):
        return ""
    return str(member.get("name") or "")


async def _candidates(deps: WebDeps, token: str, request_id: str) -> list[dict[str, Any]]:
    """Members suggested by skill, load and closeness, with their names."""
    try:
        page = await deps.platform.call(
            "requests",
            "GET",
            f"/v1/requests/{request_id}/candidates",
            token=token,
            params={"limit": 10},
        )
    except ServiceProblem:
        return []
    units = await deps.directory.units()
    names = await asyncio.gather(
        *(_member_name(deps, token, c["member_id"]) for c in page["items"])
    )
    shown = []
    for candidate, name in zip(page["items"], names, strict=True):
        unit = units.get(candidate["org_unit_id"])
        shown.append(
            {
                **candidate,
                "name": name or candidate["member_id"][:8],
                "unit_name": unit.place if unit else "",
            }
        )
    return shown


@router.get("/work/requests/{request_id}", response_class=HTMLResponse)
async def request_page(request: Request, user: User, deps: Deps, request_id: str) -> Response:
    """One request: its facts, its history, and a form for each action its status allows."""
    return await _request_page(request, user, deps, request_id)


def _field(form: Any, name: str, limit: int = 4000) -> str:
    value = form.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


def _end_of_day(value: str) -> str:
    """A date field (YYYY-MM-DD, local) as the end of that day, an aware instant."""
    try:
        day = datetime.fromisoformat(value)
    except ValueError:
        return value
    if len(value) == 10:
        day = day.replace(hour=23, minute=59, second=59)
    return day.replace(tzinfo=day.tzinfo or zone()).isoformat()


def _action_call(action: str, form: Any) -> tuple[str, dict[str, Any] | None]:
    """The requests service's path tail and body for a form's action."""
    reason = _field(form, "reason", 2000)
    bodies: dict[str, tuple[str, dict[str, Any] | None]] = {
        "accept": ("accept", None),
        "start": ("start", None),
        "resume": ("resume", None),
        "assign": ("assign", {"handler_member_id": _field(form, "handler_member_id", 64)}),
        "escalate": ("escalate", {"reason": reason}),
        "explain": (
            "explain",
            {
                "explanation": _field(form, "explanation"),
                "expected_by": _end_of_day(_field(form, "expected_by", 40)),
            },
        ),
        "resolve": ("resolve", {"resolution": _field(form, "resolution")}),
        "close": ("close", {"reason": reason or None}),
        "reopen": ("reopen", {"reason": reason or None}),
        "wait": ("wait", {"reason": reason}),
        "dispatch": (
            "dispatch",
            {"org_unit_id": _field(form, "org_unit_id", 64), "reason": reason},
        ),
        "return": ("return", {"reason": _field(form, "return_reason", 32), "note": reason or None}),
        "uphold_return": ("return-decision", {"decision": "upheld", "note": reason or None}),
        "reject_return": ("return-decision", {"decision": "rejected", "note": reason or None}),
        "unmerge": ("unmerge", None),
    }
    return bodies[action]


@router.post("/work/requests/{request_id}", response_class=HTMLResponse)
async def act(request: Request, user: User, deps: Deps, request_id: str) -> Response:
    """Do one action on the request through the requests service, then show it again."""
    form = await request.form(max_fields=20)
    check_form(request, form, user)
    action = _field(form, "action", 32)
    if action not in STAFF_ACTIONS:
        return await _request_page(
            request, user, deps, request_id, error="未知的操作。", status_code=422
        )
    tail, body = _action_call(action, form)
    try:
        await deps.platform.call(
            "requests",
            "POST",
            f"/v1/requests/{request_id}/{tail}",
            token=user.access_token,
            json=body,
        )
    except ServiceProblem as problem:
        return await _request_page(
            request,
            user,
            deps,
            request_id,
            error=problem_sentence(problem),
            status_code=problem.status if problem.status < 500 else 502,
        )
    return RedirectResponse(f"/work/requests/{request_id}?done={action}", status_code=303)


@router.get("/work/requests/{request_id}/attachments/{attachment_id}")
async def attachment(
    request: Request,
    user: User,
    deps: Deps,
    request_id: str,
    attachment_id: str,
    thumbnail: bool = False,
) -> Response:
    """A photo of the request, read with the user's own token."""
    binary = await deps.platform.fetch(
        "requests",
        f"/v1/requests/{request_id}/attachments/{attachment_id}",
        token=user.access_token,
        params={"thumbnail": "true" if thumbnail else None},
    )
    return Response(
        binary.content,
        media_type=binary.content_type,
        headers={"Cache-Control": "private, max-age=300"},
    )
