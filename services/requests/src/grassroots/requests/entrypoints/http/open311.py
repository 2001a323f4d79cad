"""Open311 GeoReport v2 under `/open311/v2/`: the same catalogue, intake and state machine.

`jurisdiction_id` is the county's 12-digit area code. JSON and XML, chosen by the path's
extension; errors are the specification's array of `{code, description}`.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from starlette.datastructures import UploadFile

from grassroots.contracts.area import check_area_code, is_within
from grassroots.kit.clock import as_utc, utcnow
from grassroots.kit.idempotency import REPLAYED_HEADER, AlreadyAnswered, KeyReused, StoredAnswer
from grassroots.kit.openapi import binary
from grassroots.kit.problems import ProblemError
from grassroots.kit.proxies import client_address
from grassroots.requests.domain.attachments import Prepared
from grassroots.requests.domain.machine import Status
from grassroots.requests.entrypoints.http.deps import idempotent_call
from grassroots.requests.entrypoints.http.open311_schemas import (
    NEW_REQUEST_FORM,
    Open311Created,
    Open311Service,
    Open311ServiceDefinition,
    Open311ServiceRequest,
    answers,
)
from grassroots.requests.service import attachments, catalog, handling, open311
from grassroots.requests.service.context import RequestsContext

router = APIRouter(prefix="/open311/v2", tags=["Open311 GeoReport v2"])

CLOSED = {Status.RESOLVED.value, Status.CLOSED.value}
MAX_RESULTS = 1000
DEFAULT_WINDOW = timedelta(days=90)
# Which element wraps each item of a list answer in XML.
XML_ITEM = {"services": "service", "service_requests": "request", "errors": "error"}


class Open311Error(Exception):
    """An error answered in the specification's format."""

    def __init__(self, code: int, description: str) -> None:
        super().__init__(description)
        self.code = code
        self.description = description


def _to_xml(root: str, value: Any) -> bytes:
    element = ET.Element(root)
    _fill(element, value, XML_ITEM.get(root, "item"))
    body: bytes = ET.tostring(element, encoding="unicode").encode()
    return b'<?xml version="1.0" encoding="utf-8"?>' + body


def _fill(element: ET.Element, value: Any, item_tag: str) -> None:
    if isinstance(value, dict):
        for key, sub in value.items():
            child = ET.SubElement(element, key)
            _fill(child, sub, {"attributes": "attribute", "values": "value"}.get(key, "item"))
    elif isinstance(value, list):
        for sub in value:
            _fill(ET.SubElement(element, item_tag), sub, "item")
    elif value is None:
        return
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    else:
        element.text = str(value)


def _answer(fmt: str, root: str, body: Any, status: int = 200) -> Response:
    if fmt == "xml":
        return Response(
            _to_xml(root, body), status_code=status, media_type="text/xml; charset=utf-8"
        )
    return JSONResponse(body, status_code=status)


def _error(
    fmt: str, code: int, description: str, headers: dict[str, str] | None = None
) -> Response:
    answer = _answer(fmt, "errors", [{"code": code, "description": description}], status=code)
    answer.headers.update(headers or {})
    return answer


async def _guarded(fmt: str, work: Callable[[], Awaitable[Response]]) -> Response:
    """Run a handler; turn every refusal into the specification's error array."""
    if fmt not in ("json", "xml"):
        return _error("json", 404, f"format {fmt} is not supported; use json or xml")
    try:
        return await work()
    except Open311Error as exc:
        return _error(fmt, exc.code, exc.description)
    except ProblemError as exc:
        detail = exc.detail
        if exc.errors:
            detail = "; ".join(f"{e['field']}: {e['message']}" for e in exc.errors)
        status = 400 if exc.status == 422 else exc.status
        return _error(fmt, status, detail, exc.headers)


def _ctx(request: Request) -> RequestsContext:
    ctx: RequestsContext = request.app.state.requests
    return ctx


def _jurisdiction(value: str | None) -> str:
    if not value:
        raise Open311Error(400, "jurisdiction_id is required (the county's 12-digit area code)")
    try:
        check_area_code(value)
    except ValueError as exc:
        raise Open311Error(404, f"unknown jurisdiction_id {value}") from exc
    if value != catalog.county_of(value):
        raise Open311Error(404, f"jurisdiction_id {value} is not a county")
    return value


def _service(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "service_code": item["code"],
        "service_name": item["name"],
        "description": item["description"],
        "metadata": bool(item["attributes"]),
        "type": "realtime",
        "keywords": ", ".join(item["skills"]),
        "group": item["category"],
    }


@router.get("/services.{fmt}", responses=answers(200, list[Open311Service]))
async def services(request: Request, fmt: str, jurisdiction_id: str | None = None) -> Response:
    """GET Service List."""

    async def work() -> Response:
        county = _jurisdiction(jurisdiction_id)
        rows = await open311.active_services(_ctx(request), county)
        return _answer(fmt, "services", [_service(row) for row in rows])

    return await _guarded(fmt, work)


@router.get("/services/{service_code}.{fmt}", responses=answers(200, Open311ServiceDefinition))
async def service_definition(
    request: Request, service_code: str, fmt: str, jurisdiction_id: str | None = None
) -> Response:
    """GET Service Definition: the item's attributes (extra typed questions)."""

    async def work() -> Response:
        county = _jurisdiction(jurisdiction_id)
        async with _ctx(request).db.read_only() as session:
            item = await catalog.find_item(session, county, service_code)
        if item is None or not item["active"]:
            raise Open311Error(404, f"service_code {service_code} not found")
        attributes = [
            {
                "variable": a.get("variable", True),
                "code": a["code"],
                "datatype": a["datatype"],
                "required": a.get("required", False),
                "datatype_description": a.get("datatype_description"),
                "order": a.get("order", i + 1),
                "description": a["description"],
                "values": a.get("values") or [],
            }
            for i, a in enumerate(item["attributes"])
        ]
        body = {"service_code": item["code"], "attributes": attributes}
        return _answer(fmt, "service_definition", body)

    return await _guarded(fmt, work)


def _attributes(form: Any, item: dict[str, Any]) -> dict[str, Any]:
    """`attribute[CODE]` fields checked against the item's definition."""
    given: dict[str, Any] = {}
    for key in list(form):
        if key.startswith("attribute[") and key.endswith("]"):
            values = form.getlist(key)
            given[key[len("attribute[") : -1]] = values if len(values) > 1 else values[0]
    for attribute in item["attributes"]:
        code = attribute["code"]
        if attribute.get("required") and code not in given:
            raise Open311Error(400, f"attribute[{code}] is required: {attribute['description']}")
        allowed = {str(v["key"]) for v in attribute.get("values") or []}
        if code in given and allowed:
            chosen = given[code] if isinstance(given[code], list) else [given[code]]
            if any(str(c) not in allowed for c in chosen):
                raise Open311Error(400, f"attribute[{code}] must be one of {sorted(allowed)}")
        if code in given and attribute["datatype"] == "number":
            try:
                float(given[code])
            except (TypeError, ValueError) as exc:
                raise Open311Error(400, f"attribute[{code}] must be a number") from exc
    return given


@router.post(
    "/requests.{fmt}",
    status_code=201,
    responses=answers(201, list[Open311Created]),
    openapi_extra=NEW_REQUEST_FORM,
)
async def create_request(request: Request, fmt: str) -> Response:
    """POST Service Request (form fields): the new id and a notice with the tracking code."""

    async def work() -> Response:
        ctx = _ctx(request)
        call = await idempotent_call(request, "open311")
        try:
            stored = await ctx.idempotency.find(call) if call is not None else None
        except KeyReused as exc:
            raise Open311Error(422, exc.detail) from exc
        if stored is not None:
            return _stored(fmt, stored)
        await request.app.state.public_limiter.check(client_address(request))
        form = await request.form(max_files=1)
        county = _jurisdiction(_text(form, "jurisdiction_id"))
        code = _text(form, "service_code")
        if not code:
            raise Open311Error(400, "service_code is required")
        lat, long_ = _text(form, "lat"), _text(form, "long")
        address, address_id = _text(form, "address_string"), _text(form, "address_id")
        if not ((lat and long_) or address or address_id):
            raise Open311Error(
                400, "a location is required: lat and long, address_string or address_id"
            )
        if (lat or long_) and not _valid_coordinates(lat, long_):
            raise Open311Error(400, "lat and long must be decimal degrees")
        area = county
        if address_id:
            # An address_id here is the 12-digit code of the village or township concerned.
            try:
                area = check_area_code(address_id)
            except ValueError as exc:
                raise Open311Error(400, "address_id must be a 12-digit area code") from exc
            if not is_within(area, county):
                raise Open311Error(400, f"address_id {area} lies outside jurisdiction {county}")
        async with ctx.db.read_only() as session:
            item = await catalog.find_item(session, county, code)
        if item is None or not item["active"]:
            raise Open311Error(404, f"service_code {code} not found")
        attributes = _attributes(form, item)
        name = " ".join(p for p in (_text(form, "last_name"), _text(form, "first_name")) if p)
        phone = _text(form, "phone")
        description = _text(form, "description") or ""
        if len(description) > 4000:
            raise Open311Error(400, "description is longer than 4000 characters")
        anonymous = not (name and phone)
        if anonymous and not item["allow_anonymous"]:
            raise Open311Error(400, "first_name, last_name and phone are required for this service")
        media_url = _text(form, "media_url")
        if media_url is not None and not _valid_media_url(media_url):
            raise Open311Error(400, "media_url must be an http or https URL")
        # A posted photo is checked and cleaned before anything is written.
        media = await _media(ctx, form.get("media"))
        if media is not None and media_url is not None:
            raise Open311Error(400, "send either media or media_url, not both")
        intake = handling.Intake(
            service_code=code,
            area_code=area,
            description=description or item["name"],
            channel="open311",
            anonymous=anonymous,
            citizen_name=None if anonymous else name,
            citizen_phone=None if anonymous else phone,
            address=address,
            lat=lat,
            long=long_,
            attributes=attributes,
            media_url=media_url,
        )

        def answer(row: dict[str, Any]) -> StoredAnswer:
            return StoredAnswer(201, json.dumps(_created(row), ensure_ascii=False))

        if call is None:
            row = await handling.submit_request(ctx, intake, actor="open311")
        else:
            try:
                row = await handling.submit_request(
                    ctx, intake, actor="open311", idempotent=(call, answer)
                )
            except AlreadyAnswered as first:
                return _stored(fmt, first.answer)
        if media is not None:
            attached = await attachments.store_file(
                ctx, row, media, uploaded_by="citizen", actor="open311"
            )
            url = f"{str(request.base_url).rstrip('/')}/open311/v2/media/{attached['id']}"
            await attachments.set_media_url(ctx, row["id"], url)
        return _answer(fmt, "service_requests", _created(row), status=201)

    return await _guarded(fmt, work)


def _created(row: dict[str, Any]) -> list[dict[str, Any]]:
    notice = (
        f"查询码 {row['tracking_code']}；办理时限至 "
        f"{as_utc(row['due_at']).isoformat(timespec='minutes')}"
    )
    return [{"service_request_id": row["id"], "service_notice": notice, "account_id": None}]


def _stored(fmt: str, answer: StoredAnswer) -> Response:
    """The first answer to a retried POST, in the format asked for."""
    replay = _answer(fmt, "service_requests", json.loads(answer.body), status=answer.status_code)
    replay.headers[REPLAYED_HEADER] = "true"
    return replay


async def _media(ctx: RequestsContext, value: Any) -> Prepared | None:
    if not isinstance(value, UploadFile):
        return None
    limit = ctx.settings.requests_attachment_max_bytes
    data = await value.read(limit + 1)
    await value.close()
    if len(data) > limit:
        raise Open311Error(413, f"media is larger than {limit} bytes")
    try:
        return await attachments.clean_file(data)
    except ProblemError as exc:
        raise Open311Error(400, f"media: {exc.detail}") from exc


def _valid_media_url(value: str) -> bool:
    parts = urlsplit(value)
    return len(value) <= 1000 and parts.scheme in ("http", "https") and bool(parts.netloc)


def _text(form: Any, key: str) -> str | None:
    value = form.get(key)
    return value.strip() if isinstance(value, str) and value.strip() else None


def _valid_coordinates(lat: str | None, long_: str | None) -> bool:
    try:
        return (
            lat is not None
            and long_ is not None
            and -90 <= float(lat) <= 90
            and -180 <= float(long_) <= 180
        )
    except ValueError:
        return False


def _request_body(row: dict[str, Any], service_name: str) -> dict[str, Any]:
    # Only what came in through Open311 itself is republished; other channels stay private.
    own = row["channel"] == "open311"
    notes = row["resolution"] if row["status"] in CLOSED else row["explanation"]
    return {
        "service_request_id": row["id"],
        "status": "closed" if row["status"] in CLOSED else "open",
        "status_notes": notes,
        "service_name": service_name,
        "service_code": row["service_code"],
        "description": row["description"] if own else None,
        "agency_responsible": row["org_unit_id"],
        "service_notice": None,
        "requested_datetime": _iso(row["received_at"]),
        "updated_datetime": _iso(row["updated_at"]),
        "expected_datetime": _iso(row["expected_by"] or row["due_at"]),
        "address": row["address"] if own else None,
        "address_id": row["area_code"],
        "zipcode": None,
        "lat": float(row["lat"]) if own and row["lat"] else None,
        "long": float(row["long"]) if own and row["long"] else None,
        "media_url": row["media_url"] if own else None,
    }


def _iso(moment: datetime | None) -> str | None:
    return as_utc(moment).isoformat() if moment else None


def _parse_date(value: str | None, name: str) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise Open311Error(400, f"{name} must be an ISO 8601 date-time with a time zone") from exc
    if moment.tzinfo is None:
        raise Open311Error(400, f"{name} must carry a time zone")
    return moment


async def _query_requests(
    ctx: RequestsContext, county: str, ids: list[str] | None, params: dict[str, str | None]
) -> list[dict[str, Any]]:
    if ids is not None:
        window = open311.RequestWindow(ids=ids)
    else:
        end = _parse_date(params.get("end_date"), "end_date") or utcnow()
        start = _parse_date(params.get("start_date"), "start_date") or end - DEFAULT_WINDOW
        if start > end:
            raise Open311Error(400, "start_date must not be after end_date")
        codes = None
        if params.get("service_code"):
            codes = [c.strip() for c in str(params["service_code"]).split(",") if c.strip()]
        statuses_in = statuses_not_in = None
        status = params.get("status")
        if status:
            wanted = {s.strip() for s in status.split(",")}
            if not wanted <= {"open", "closed"}:
                raise Open311Error(400, "status must be open or closed")
            if wanted == {"open"}:
                statuses_not_in = sorted(CLOSED)
            elif wanted == {"closed"}:
                statuses_in = sorted(CLOSED)
        window = open311.RequestWindow(
            start=start,
            end=end,
            service_codes=codes,
            statuses_in=statuses_in,
            statuses_not_in=statuses_not_in,
        )
    rows = await open311.search_requests(ctx, county, window, MAX_RESULTS)
    return [_request_body(row, service_name) for row, service_name in rows]


@router.get("/requests.{fmt}", responses=answers(200, list[Open311ServiceRequest]))
async def list_requests(
    request: Request,
    fmt: str,
    jurisdiction_id: str | None = None,
    service_request_id: str | None = None,
    service_code: str | None = None,
    start_date: str | None = None,
    end_date: str | None = None,
    status: str | None = None,
) -> Response:
    """GET Service Requests with the specification's filters (newest first, at most 1000)."""

    async def work() -> Response:
        county = _jurisdiction(jurisdiction_id)
        ids = [i.strip() for i in service_request_id.split(",")] if service_request_id else None
        params = {
            "service_code": service_code,
            "start_date": start_date,
            "end_date": end_date,
            "status": status,
        }
        body = await _query_requests(_ctx(request), county, ids, params)
        return _answer(fmt, "service_requests", body)

    return await _guarded(fmt, work)


@router.get(
    "/requests/{service_request_id}.{fmt}",
    responses=answers(200, list[Open311ServiceRequest]),
)
async def get_request(
    request: Request, service_request_id: str, fmt: str, jurisdiction_id: str | None = None
) -> Response:
    """GET Service Request: an array holding the one request."""

    async def work() -> Response:
        county = _jurisdiction(jurisdiction_id)
        body = await _query_requests(_ctx(request), county, [service_request_id], {})
        if not body:
            raise Open311Error(404, f"service_request_id {service_request_id} not found")
        return _answer(fmt, "service_requests", body)

    return await _guarded(fmt, work)


@router.get("/media/{attachment_id}", responses=binary("image/jpeg", "image/png", "image/webp"))
async def media(request: Request, attachment_id: str) -> Response:
    """The photo an Open311 client posted (re-encoded, without EXIF): the request's media_url."""
    stored = await attachments.open311_media(_ctx(request), attachment_id)
    return Response(
        stored.data,
        media_type=stored.content_type,
        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "public, max-age=3600"},
    )
