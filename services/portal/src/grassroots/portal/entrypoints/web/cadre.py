"""Grassroots work: a proxy agent takes a need for a villager, visits (三访) are logged,
a cadre broadcasts to their subtree, reads the month's visits against the quota, decides
transfer letters and sees the floating members. Every call carries the user's own token.
"""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from grassroots.portal.adapters.platform import ServiceProblem
from grassroots.portal.entrypoints.web import parts
from grassroots.portal.entrypoints.web.deps import Deps, WebDeps
from grassroots.portal.entrypoints.web.forms import Refused, attached_photo, attempt, read_photo
from grassroots.portal.entrypoints.web.rendering import render
from grassroots.portal.entrypoints.web.security import User, check_form
from grassroots.portal.entrypoints.web.wording import CHANNEL, STATUS
from grassroots.portal.service.websessions import SignedIn

router = APIRouter(include_in_schema=False)

INTAKE_CHANNELS = {"proxy_point": "代办点", "visit": "走访"}
DONE = {
    "visit": "走访已记录。",
    "broadcast": "通知已发出，正在送达每位党员。",
    "accept": "已接收这份组织关系介绍信，党员已转入本单位。",
    "reject": "已退回这份组织关系介绍信。",
}


@router.get("/cadre", response_class=HTMLResponse)
async def hub(request: Request, user: User, deps: Deps) -> Response:
    """The grassroots worker's start page: what they can do here."""
    parts.need_role(user, "cadre")
    unit = await parts.home_unit(deps, user)
    return render(
        request,
        "cadre/hub.html",
        unit=unit,
        decides_transfers=parts.at_least(user, "org_admin"),
    )


# --- taking a need for a villager -----------------------------------------------------------


async def _intake_form(
    request: Request,
    user: SignedIn,
    deps: WebDeps,
    *,
    values: dict[str, Any],
    error: str | None = None,
    bad: list[str] | None = None,
    status_code: int = 200,
) -> Response:
    county = parts.county_of_user(deps, user)
    return render(
        request,
        "cadre/intake.html",
        status_code=status_code,
        places=await parts.places_of(deps, user),
        items=await deps.directory.catalogue(county) if county else [],
        channels=INTAKE_CHANNELS,
        values=values,
        error=error,
        bad=bad or [],
        submission_id=values.get("submission_id") or secrets.token_urlsafe(16),
    )


@router.get("/cadre/intake", response_class=HTMLResponse)
async def intake_page(request: Request, user: User, deps: Deps) -> Response:
    """代办: the form a proxy agent fills in at the counter or on a visit."""
    parts.need_role(user, "cadre")
    asked = request.query_params
    values = {
        "channel": asked.get("channel") if asked.get("channel") in INTAKE_CHANNELS else "",
        "area_code": asked.get("area_code", ""),
        "service_code": asked.get("service_code", ""),
    }
    values["channel"] = values["channel"] or "proxy_point"
    return await _intake_form(request, user, deps, values=values)


@router.post("/cadre/intake", response_class=HTMLResponse)
async def intake(request: Request, user: User, deps: Deps) -> Response:
    """Take the need in through the requests service with the agent's own token."""
    form = await request.form(max_files=1, max_fields=20, max_part_size=deps.max_photo_bytes)
    check_form(request, form, user)
    parts.need_role(user, "cadre")
    names = (
        "channel",
        "area_code",
        "service_code",
        "description",
        "citizen_name",
        "citizen_phone",
        "address",
        "appointment",
        "submission_id",
    )
    values: dict[str, Any] = {name: parts.text(form, name) for name in names}
    values["anonymous"] = parts.checked(form, "anonymous")
    values["door_to_door"] = parts.checked(form, "door_to_door")
    try:
        return await _take(request, user, deps, form, values)
    except Refused as refused:
        return await _intake_form(request, user, deps, values=values, **refused.form())


async def _take(
    request: Request, user: SignedIn, deps: WebDeps, form: Any, values: dict[str, Any]
) -> Response:
    bad = [n for n in ("area_code", "service_code", "description") if not values[n]]
    if values["channel"] not in INTAKE_CHANNELS:
        bad.append("channel")
    if not values["anonymous"]:
        bad += [n for n in ("citizen_name", "citizen_phone") if not values[n]]
    photo = await read_photo(form, deps.max_photo_bytes, bad)
    if bad:
        raise Refused.missing(bad)
    body: dict[str, Any] = {
        "service_code": values["service_code"],
        "area_code": values["area_code"],
        "description": values["description"],
        "channel": values["channel"],
        "anonymous": values["anonymous"],
    }
    if values["door_to_door"]:
        body["door_to_door"] = True
    if not values["anonymous"]:
        body["citizen"] = {"name": values["citizen_name"], "phone": values["citizen_phone"]}
    if values["address"]:
        body["address"] = values["address"]
    if values["appointment"]:
        body["appointment"] = {"start": parts.local_instant(values["appointment"])}
    key = values["submission_id"]
    created = await attempt(
        deps.platform.call(
            "requests",
            "POST",
            "/v1/requests",
            token=user.access_token,
            json=body,
            headers={"Idempotency-Key": key} if key else None,
        )
    )
    attached = photo is None or await attached_photo(
        deps, f"/v1/requests/{created['id']}/attachments", photo, token=user.access_token
    )
    county = created["area_code"][:6] + "000000"
    return render(
        request,
        "cadre/taken.html",
        status_code=201,
        created=created,
        channel_text=CHANNEL.get(created["channel"], created["channel"]),
        status_text=STATUS.get(created["status"], created["status"]),
        service_name=await deps.directory.service_name(county, created["service_code"]),
        place=await deps.directory.area_name(created["area_code"]),
        photo_failed=not attached,
    )


# --- visits (三访) ---------------------------------------------------------------------------


async def _visitors(deps: WebDeps, user: SignedIn) -> list[dict[str, Any]]:
    """Members of the user's unit subtree who visit households (those with duties)."""
    unit = await parts.home_unit(deps, user)
    params: dict[str, Any] = {"limit": 500}
    if unit is not None:
        params["org_unit"] = unit.id
    try:
        page = await deps.platform.call(
            "members", "GET", "/v1/members", token=user.access_token, params=params
        )
    except ServiceProblem:
        return []
    units = await deps.directory.units()
    visitors = []
    for member in page["items"]:
        if member.get("duties") or member["id"] == user.member_id:
            home = units.get(member["org_unit_id"])
            visitors.append(
                {"id": member["id"], "name": member["name"], "place": home.place if home else ""}
            )
    return visitors


async def _visit_form(
    request: Request,
    user: SignedIn,
    deps: WebDeps,
    *,
    values: dict[str, Any],
    error: str | None = None,
    bad: list[str] | None = None,
    status_code: int = 200,
    created: dict[str, Any] | None = None,
) -> Response:
    county = parts.county_of_user(deps, user)
    return render(
        request,
        "cadre/visit.html",
        status_code=status_code,
        visitors=await _visitors(deps, user),
        places=[p for p in await parts.places_of(deps, user) if p.tier == "village"],
        items=await deps.directory.catalogue(county) if county else [],
        kinds=parts.VISIT_KIND,
        values=values,
        error=error,
        bad=bad or [],
        created=created,
    )


@router.get("/cadre/visits", response_class=HTMLResponse)
async def visit_page(request: Request, user: User, deps: Deps) -> Response:
    """三访: log a household visit; a problem found becomes a request (channel visit)."""
    parts.need_role(user, "cadre")
    values = {
        "visitor_member_id": user.member_id or "",
        "kind": "home",
        "visited_on": parts.today(),
    }
    return await _visit_form(request, user, deps, values=values)


@router.post("/cadre/visits", response_class=HTMLResponse)
async def log_visit(request: Request, user: User, deps: Deps) -> Response:
    """Log the visit through the requests service; show what it turned into."""
    form = await request.form(max_fields=30)
    check_form(request, form, user)
    parts.need_role(user, "cadre")
    names = (
        "visitor_member_id",
        "kind",
        "household",
        "area_code",
        "notes",
        "visited_on",
        "service_code",
        "description",
        "citizen_name",
        "citizen_phone",
    )
    values: dict[str, Any] = {n: parts.text(form, n) for n in names}
    values["found_problem"] = parts.checked(form, "found_problem")
    bad = [n for n in ("visitor_member_id", "household", "area_code") if not values[n]]
    if values["kind"] not in parts.VISIT_KIND:
        bad.append("kind")
    if values["found_problem"]:
        bad += [n for n in ("service_code", "description") if not values[n]]
    if bad:
        return await _visit_form(request, user, deps, values=values, **Refused.missing(bad).form())
    body: dict[str, Any] = {
        "visitor_member_id": values["visitor_member_id"],
        "kind": values["kind"],
        "household": values["household"],
        "area_code": values["area_code"],
        "notes": values["notes"] or None,
    }
    if values["visited_on"]:
        body["visited_at"] = parts.local_instant(values["visited_on"])
    if values["found_problem"]:
        problem: dict[str, Any] = {
            "service_code": values["service_code"],
            "description": values["description"],
        }
        if values["citizen_name"] and values["citizen_phone"]:
            problem["citizen"] = {"name": values["citizen_name"], "phone": values["citizen_phone"]}
        else:
            problem["anonymous"] = True
        body["problems"] = [problem]
    try:
        visit = await deps.platform.call(
            "requests", "POST", "/v1/visits", token=user.access_token, json=body
        )
    except ServiceProblem as problem_:
        return await _visit_form(request, user, deps, values=values, **Refused.of(problem_).form())
    made = []
    for request_id in visit["problem_request_ids"]:
        try:
            made.append(
                await deps.platform.call(
                    "requests", "GET", f"/v1/requests/{request_id}", token=user.access_token
                )
            )
        except ServiceProblem:
            made.append({"id": request_id, "tracking_code": ""})
    fresh = {"visitor_member_id": values["visitor_member_id"], "kind": values["kind"]}
    fresh["visited_on"] = parts.today()
    return await _visit_form(
        request,
        user,
        deps,
        values=fresh,
        status_code=201,
        created={"visit": visit, "requests": made, "kind": parts.VISIT_KIND[visit["kind"]]},
    )


@router.get("/cadre/visits/summary", response_class=HTMLResponse)
async def visit_summary(
    request: Request, user: User, deps: Deps, month: str = "", org_unit: str = ""
) -> Response:
    """The month's visits per visitor against the quota, and what the visits found."""
    parts.need_role(user, "cadre")
    units = [
        u for u in await parts.units_of(deps, user) if u.tier in ("county", "township", "village")
    ]
    home = await parts.home_unit(deps, user)
    chosen = (
        next((u for u in units if u.id == org_unit), None) or home or (units[0] if units else None)
    )
    month = month.strip() or parts.this_month()
    summary: dict[str, Any] | None = None
    error = None
    status_code = 200
    if chosen is not None:
        try:
            summary = await deps.platform.call(
                "requests",
                "GET",
                "/v1/visits/summary",
                token=user.access_token,
                params={"org_unit": chosen.id, "month": month},
            )
        except ServiceProblem as problem:
            error, status_code = parts.sentence(problem), parts.status_of(problem)
    rows: list[dict[str, Any]] = []
    if summary:
        names = await parts.member_names(
            deps, user.access_token, [c["visitor_member_id"] for c in summary["cadres"]]
        )
        for entry in summary["cadres"]:
            rows.append(
                {
                    **entry,
                    "name": names.get(entry["visitor_member_id"]) or "（未能读取姓名）",
                    "kinds": "、".join(
                        f"{parts.VISIT_KIND.get(k, k)}{n}" for k, n in entry["by_kind"].items()
                    ),
                }
            )
    return render(
        request,
        "cadre/summary.html",
        status_code=status_code,
        units=units,
        chosen=chosen,
        month=month,
        month_text=f"{month[:4]}年{int(month[5:])}月"
        if len(month) == 7 and month[5:].isdigit()
        else month,
        summary=summary,
        rows=rows,
        error=error,
    )


# --- broadcasts ------------------------------------------------------------------------------


async def _broadcasts_page(
    request: Request,
    user: SignedIn,
    deps: WebDeps,
    *,
    values: dict[str, Any],
    error: str | None = None,
    bad: list[str] | None = None,
    status_code: int = 200,
) -> Response:
    units = await parts.units_of(deps, user)
    listed: list[dict[str, Any]] = []
    try:
        page = await deps.platform.call(
            "notifications", "GET", "/v1/broadcasts", token=user.access_token, params={"limit": 20}
        )
        listed = page["items"]
    except ServiceProblem as problem:
        error = error or parts.sentence(problem)
    by_id = await deps.directory.units()
    shown = []
    for item in listed:
        unit = by_id.get(item["org_unit_id"])
        shown.append(
            {
                **item,
                "place": unit.place if unit else "",
                "status_text": parts.BROADCAST_STATUS.get(item["status"], item["status"]),
                "delivered": sum(
                    n for s, n in item["by_status"].items() if s in ("sent", "delivered")
                ),
            }
        )
    return render(
        request,
        "cadre/broadcasts.html",
        status_code=status_code,
        units=units,
        broadcasts=shown,
        values=values,
        error=error,
        bad=bad or [],
        notice=DONE.get(request.query_params.get("done", "")),
    )


@router.get("/cadre/broadcasts", response_class=HTMLResponse)
async def broadcasts_page(request: Request, user: User, deps: Deps) -> Response:
    """Send a notice to every member of a unit's subtree; see how far earlier ones got."""
    parts.need_role(user, "cadre")
    home = await parts.home_unit(deps, user)
    return await _broadcasts_page(
        request, user, deps, values={"org_unit_id": home.id if home else ""}
    )


@router.post("/cadre/broadcasts", response_class=HTMLResponse)
async def broadcast(request: Request, user: User, deps: Deps) -> Response:
    """The broadcast goes to the notifications service with the cadre's own token."""
    form = await request.form(max_fields=10)
    check_form(request, form, user)
    parts.need_role(user, "cadre")
    values: dict[str, Any] = {
        "org_unit_id": parts.text(form, "org_unit_id", 64),
        "title": parts.text(form, "title", 200),
        "body": parts.text(form, "body", 4000),
        "sms": parts.checked(form, "sms"),
    }
    bad = [n for n in ("org_unit_id", "title", "body") if not values[n]]
    if bad:
        return await _broadcasts_page(
            request, user, deps, values=values, **Refused.missing(bad).form()
        )
    try:
        await deps.platform.call(
            "notifications",
            "POST",
            "/v1/broadcasts",
            token=user.access_token,
            json={
                "org_unit_id": values["org_unit_id"],
                "title": values["title"],
                "body": values["body"],
                "channels": ["inbox", "sms"] if values["sms"] else ["inbox"],
            },
        )
    except ServiceProblem as problem:
        return await _broadcasts_page(
            request, user, deps, values=values, **Refused.of(problem).form()
        )
    return RedirectResponse("/cadre/broadcasts?done=broadcast", status_code=303)


# --- transfer letters ------------------------------------------------------------------------

TRANSFER_ERRORS = {
    403: "只有接收方的县委组织部可以接收或退回这份介绍信。",
    409: "这份介绍信已经处理过或已过期，不能再接收或退回。",
    404: "没有找到这份介绍信。",
}


@router.get("/cadre/transfers", response_class=HTMLResponse)
async def transfers_page(
    request: Request, user: User, deps: Deps, direction: str = "incoming", problem: int = 0
) -> Response:
    """Transfer letters reaching or leaving the subtree; the receiving side accepts or rejects."""
    parts.need_role(user, "cadre")
    if direction not in ("incoming", "outgoing"):
        direction = "incoming"
    page = await deps.platform.call(
        "members",
        "GET",
        "/v1/transfers",
        token=user.access_token,
        params={"direction": direction, "limit": 100},
    )
    units = await deps.directory.units()
    names = await parts.member_names(
        deps, user.access_token, [t["member_id"] for t in page["items"]]
    )
    letters = []
    for letter in reversed(page["items"]):
        sender, receiver = (
            units.get(letter["from_org_unit_id"]),
            units.get(letter["to_org_unit_id"]),
        )
        letters.append(
            {
                **letter,
                "name": names.get(letter["member_id"]) or "（本辖区以外的党员）",
                "from_place": sender.place if sender else "外单位",
                "to_place": receiver.place if receiver else "外单位",
                "status_text": parts.TRANSFER_STATUS.get(letter["status"], letter["status"]),
            }
        )
    return render(
        request,
        "cadre/transfers.html",
        direction=direction,
        letters=letters,
        decides=parts.at_least(user, "org_admin") and direction == "incoming",
        notice=DONE.get(request.query_params.get("done", "")),
        error=TRANSFER_ERRORS.get(problem, "这份介绍信暂时无法处理，请稍后再试。")
        if problem
        else None,
    )


@router.post("/cadre/transfers/{transfer_id}", response_class=HTMLResponse)
async def decide_transfer(request: Request, user: User, deps: Deps, transfer_id: str) -> Response:
    """Accept or reject an incoming letter (the receiving organisation department)."""
    form = await request.form(max_fields=5)
    check_form(request, form, user)
    parts.need_role(user, "cadre")
    action = parts.text(form, "action", 16)
    if action not in ("accept", "reject"):
        return RedirectResponse("/cadre/transfers", status_code=303)
    note = parts.text(form, "note", 500)
    try:
        await deps.platform.call(
            "members",
            "POST",
            f"/v1/transfers/{transfer_id}/{action}",
            token=user.access_token,
            json={"note": note or None},
        )
    except ServiceProblem as problem:
        return RedirectResponse(f"/cadre/transfers?problem={problem.status}", status_code=303)
    return RedirectResponse(f"/cadre/transfers?done={action}", status_code=303)


# --- floating members ------------------------------------------------------------------------


@router.get("/cadre/floating", response_class=HTMLResponse)
async def floating_page(request: Request, user: User, deps: Deps, cursor: str = "") -> Response:
    """Members of the subtree working or living elsewhere: where to, since when, in contact."""
    parts.need_role(user, "cadre")
    page = await deps.platform.call(
        "members",
        "GET",
        "/v1/members/floating",
        token=user.access_token,
        params={"limit": 100, "cursor": cursor or None},
    )
    units = await deps.directory.units()
    rows = []
    for item in page["items"]:
        home = units.get(item["org_unit_id"])
        rows.append(
            {
                **item,
                "place": home.place if home else "",
                "destination": await parts.area_label(deps, item.get("destination_area")),
            }
        )
    return render(request, "cadre/floating.html", rows=rows, next_cursor=page.get("next_cursor"))
