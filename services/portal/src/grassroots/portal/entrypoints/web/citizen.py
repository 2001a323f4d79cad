"""The citizen site: home, service guide, raising a need (民情传递), tracking, rating."""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from grassroots.portal.adapters.platform import ServiceDown, ServiceProblem
from grassroots.portal.entrypoints.web.deps import Deps, WebDeps
from grassroots.portal.entrypoints.web.forms import Refused, attached_photo, attempt, read_photo
from grassroots.portal.entrypoints.web.rendering import render
from grassroots.portal.entrypoints.web.security import client_addr, same_site
from grassroots.portal.entrypoints.web.wording import (
    RATING,
    problem_sentence,
    time_limit_text,
)

router = APIRouter(include_in_schema=False)


async def _county(deps: WebDeps, asked: str | None) -> tuple[Any, list[Any]]:
    counties = await deps.directory.counties()
    chosen = next((c for c in counties if c.area_code == asked), None)
    if chosen is None and deps.default_county:
        chosen = next((c for c in counties if c.area_code == deps.default_county), None)
    if chosen is None and counties:
        chosen = counties[0]
    return chosen, counties


@router.get("/", response_class=HTMLResponse)
async def home(request: Request, deps: Deps) -> Response:
    """The front page: the four sections of seed 003 and tracking by code."""
    county, counties = await _county(deps, request.query_params.get("county"))
    return render(request, "home.html", county=county, counties=counties)


@router.get("/guide", response_class=HTMLResponse)
async def guide(request: Request, deps: Deps, county: str | None = None) -> Response:
    """The county's service guide: items, materials, time limits, where to go."""
    chosen, counties = await _county(deps, county)
    items: list[dict[str, Any]] = []
    stations: list[dict[str, Any]] = []
    if chosen is not None:
        items = await deps.directory.catalogue(chosen.area_code)
        stations = await _stations(deps, chosen.id)
    by_category: dict[str, list[dict[str, Any]]] = {}
    for item in items:
        shown = {**item, "limit_text": time_limit_text(item["time_limit"], item["calendar"])}
        by_category.setdefault(item["category"], []).append(shown)
    units = await deps.directory.units()
    for station in stations:
        unit = units.get(station["org_unit_id"])
        station["place"] = unit.place if unit else ""
    return render(
        request,
        "guide.html",
        county=chosen,
        counties=counties,
        categories=by_category,
        stations=stations,
    )


async def _stations(deps: WebDeps, county_unit_id: str) -> list[dict[str, Any]]:
    """Service centres, stations and proxy points of a county (first 200)."""
    stations: list[dict[str, Any]] = []
    page = await deps.platform.call(
        "members", "GET", "/v1/stations", token=deps.service_token(), params={"limit": 200}
    )
    units = await deps.directory.units()
    county = units.get(county_unit_id)
    for station in page["items"]:
        if county and station["area_code"][:6] == county.area_code[:6]:
            stations.append(station)
    return stations


async def _submit_form(
    request: Request,
    deps: Deps,
    *,
    values: dict[str, Any] | None = None,
    error: str | None = None,
    bad: list[str] | None = None,
    status_code: int = 200,
) -> Response:
    values = values or {}
    chosen, counties = await _county(
        deps, values.get("county") or request.query_params.get("county")
    )
    places = await deps.directory.places(chosen.area_code) if chosen else []
    items = await deps.directory.catalogue(chosen.area_code) if chosen else []
    return render(
        request,
        "submit.html",
        status_code=status_code,
        county=chosen,
        counties=counties,
        places=places,
        items=items,
        values=values,
        error=error,
        bad=bad or [],
        submission_id=values.get("submission_id") or secrets.token_urlsafe(16),
    )


@router.get("/submit", response_class=HTMLResponse)
async def submit_page(request: Request, deps: Deps) -> Response:
    """The form to raise a need (民情传递)."""
    values = {
        "area_code": request.query_params.get("area_code", ""),
        "service_code": request.query_params.get("service_code", ""),
    }
    return await _submit_form(request, deps, values=values)


def _text(form: Any, name: str, limit: int = 4000) -> str:
    value = form.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


@router.post("/submit", response_class=HTMLResponse)
async def submit(request: Request, deps: Deps) -> Response:
    """Take the need in through the requests service; show the tracking code."""
    same_site(request)
    form = await request.form(max_files=1, max_fields=20, max_part_size=deps.max_photo_bytes)
    values: dict[str, Any] = {
        name: _text(form, name)
        for name in (
            "area_code",
            "service_code",
            "description",
            "citizen_name",
            "citizen_phone",
            "appointment",
            "address",
            "submission_id",
            "county",
        )
    }
    values["anonymous"] = form.get("anonymous") in ("on", "true", "1", "yes")
    try:
        return await _take(request, deps, form, values)
    except Refused as refused:
        return await _submit_form(request, deps, values=values, **refused.form())


async def _take(request: Request, deps: WebDeps, form: Any, values: dict[str, Any]) -> Response:
    county_area = values["area_code"][:6] + "000000" if len(values["area_code"]) == 12 else ""
    item = await _item(deps, county_area, values["service_code"])
    values["attributes"], missing = _attributes(form, item)
    bad = [name for name in ("area_code", "service_code", "description") if not values[name]]
    if not values["anonymous"]:
        bad += [name for name in ("citizen_name", "citizen_phone") if not values[name]]
    photo = await read_photo(form, deps.max_photo_bytes, bad)
    bad += missing
    if bad:
        labels = {a["code"]: a["description"] for a in (item or {}).get("attributes", [])}
        raise Refused.missing(bad, labels)
    body: dict[str, Any] = {
        "service_code": values["service_code"],
        "area_code": values["area_code"],
        "description": values["description"],
        "channel": "online",
        "anonymous": values["anonymous"],
    }
    if not values["anonymous"]:
        body["citizen"] = {"name": values["citizen_name"], "phone": values["citizen_phone"]}
    if values["appointment"]:
        body["appointment"] = {"start": _local_instant(values["appointment"])}
    if values["address"]:
        body["address"] = values["address"]
    if values["attributes"]:
        body["attributes"] = values["attributes"]
    headers = {"Idempotency-Key": values["submission_id"]} if values["submission_id"] else None
    created = await attempt(
        deps.platform.call(
            "requests",
            "POST",
            "/v1/requests",
            token=deps.service_token(),
            json=body,
            forwarded_for=client_addr(request),
            headers=headers,
        )
    )
    last4 = values["citizen_phone"][-4:] if not values["anonymous"] else None
    attached = photo is None or await attached_photo(
        deps,
        f"/v1/track/{created['tracking_code']}/attachments",
        photo,
        data={"phone_last4": last4} if last4 else {},
        forwarded_for=client_addr(request),
    )
    return render(
        request,
        "submitted.html",
        status_code=201,
        created=created,
        service_name=await deps.directory.service_name(
            created["area_code"][:6] + "000000", created["service_code"]
        ),
        place=await deps.directory.area_name(created["area_code"]),
        photo_failed=not attached,
        last4=last4 or "",
    )


async def _item(deps: WebDeps, county_area: str, code: str) -> dict[str, Any] | None:
    if not county_area or not code:
        return None
    for item in await deps.directory.catalogue(county_area):
        if item["code"] == code:
            return item
    return None


def _attributes(form: Any, item: dict[str, Any] | None) -> tuple[dict[str, Any], list[str]]:
    """The chosen item's extra questions from the form (`attr.<code>`), typed; missing ones."""
    answers: dict[str, Any] = {}
    missing: list[str] = []
    for attribute in (item or {}).get("attributes", []):
        code = attribute["code"]
        name = f"attr.{code}"
        if attribute["datatype"] == "multivaluelist":
            chosen = [v for v in form.getlist(name) if isinstance(v, str) and v]
            value: Any = chosen or None
        else:
            text = _text(form, name, 2000)
            value = text or None
            if value is not None and attribute["datatype"] == "number":
                try:
                    value = float(text) if "." in text else int(text)
                except ValueError:
                    missing.append(code)
                    continue
            if value is not None and attribute["datatype"] == "datetime":
                value = _local_instant(text)
        if value is None:
            if attribute.get("required"):
                missing.append(code)
            continue
        answers[code] = value
    return answers, missing


def _local_instant(value: str) -> str:
    """A datetime-local field (the platform's time zone) as an aware ISO instant."""
    from datetime import datetime

    from grassroots.kit.clock import zone

    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value  # the service names the field
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone())
    return moment.isoformat()


@router.get("/track", response_class=HTMLResponse)
async def track(request: Request, deps: Deps, code: str = "", phone_last4: str = "") -> Response:
    """Where a request stands: timeline, due date, the explanation when it is explained."""
    if not code.strip():
        return render(request, "track.html", found=None, code="", phone_last4=phone_last4)
    try:
        found = await deps.platform.call(
            "requests",
            "GET",
            f"/v1/track/{code.strip()[:32]}",
            forwarded_for=client_addr(request),
        )
    except ServiceProblem as problem:
        message = (
            "没有找到这个查询码，请核对后再试。"
            if problem.status in (404, 422)
            else problem_sentence(problem)
        )
        return render(
            request,
            "track.html",
            status_code=problem.status if problem.status < 500 else 502,
            found=None,
            code=code,
            phone_last4=phone_last4,
            error=message,
        )
    area = found.get("area_code")
    return render(
        request,
        "track.html",
        found=found,
        code=found["tracking_code"],
        phone_last4=phone_last4,
        status_text=found["status_text"],
        ratings=RATING,
        notice=request.query_params.get("done"),
        place=await deps.directory.area_name(area) if area else "",
    )


@router.post("/track/feedback", response_class=HTMLResponse)
async def feedback(request: Request, deps: Deps) -> Response:
    """The citizen rates the result; unsatisfied reopens it."""
    same_site(request)
    form = await request.form(max_fields=10)
    code = _text(form, "code", 32)
    phone_last4 = _text(form, "phone_last4", 4)
    rating = _text(form, "rating", 32)
    comment = _text(form, "comment", 2000)
    request_id = _text(form, "request_id", 64)
    if rating not in RATING:
        return await _track_error(request, deps, code, phone_last4, "请选择一个评价。", 422)
    try:
        await deps.platform.call(
            "requests",
            "POST",
            f"/v1/requests/{request_id}/feedback",
            token=deps.service_token(),
            json={
                "tracking_code": code,
                "phone_last4": phone_last4 or None,
                "rating": rating,
                "comment": comment or None,
            },
            forwarded_for=client_addr(request),
        )
    except ServiceProblem as problem:
        message = {
            404: "查询码与手机号后四位不符，请核对后再试。",
            409: "这件事现在还不能评价：办结之后才能评价。",
            422: "手机号后四位应为四位数字。",
        }.get(problem.status, problem_sentence(problem))
        return await _track_error(request, deps, code, phone_last4, message, problem.status)
    except ServiceDown:
        return await _track_error(
            request, deps, code, phone_last4, "系统暂时无法保存评价，请稍后再试。", 503
        )
    return RedirectResponse(f"/track?code={code}&done={rating}", status_code=303)


async def _track_error(
    request: Request, deps: Deps, code: str, last4: str, message: str, status: int
) -> Response:
    found = None
    try:
        found = await deps.platform.call("requests", "GET", f"/v1/track/{code}")
    except (ServiceProblem, ServiceDown):
        found = None
    return render(
        request,
        "track.html",
        status_code=status if status < 500 else 502,
        found=found,
        code=code,
        phone_last4=last4,
        error=message,
        status_text=found["status_text"] if found else "",
        ratings=RATING,
    )
