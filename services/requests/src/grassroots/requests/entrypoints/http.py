"""HTTP routes of the requests service: catalogue, intake, handling, tracking, calendar."""

from __future__ import annotations

import json
import logging
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response
from sqlalchemy import delete, insert, select

from grassroots.contracts.area import TIER_DEPTH, Tier, area_depth, check_area_code
from grassroots.kit.auth import CurrentPrincipal, OptionalPrincipal, Principal
from grassroots.kit.clock import as_utc, utcnow
from grassroots.kit.guards import (
    Cadre,
    CadreOrForwardingIfSigned,
    MemberOrAbove,
    MemberOrForwardingIfSigned,
    OrgAdmin,
    PlatformAdmin,
    viewers_may_call,
)
from grassroots.kit.idempotency import HEADER as IDEMPOTENCY_HEADER
from grassroots.kit.idempotency import (
    REPLAYED_HEADER,
    AlreadyAnswered,
    IdempotentCall,
    StoredAnswer,
    check_key,
    fingerprint,
)
from grassroots.kit.limits import RateLimiter
from grassroots.kit.masking import mask_name, mask_phone
from grassroots.kit.orgtree import replica_router
from grassroots.kit.paging import Cursor, Limit, Page, decode_cursor, encode_cursor
from grassroots.kit.problems import Forbidden, Invalid, NotFound, ProblemError
from grassroots.kit.proxies import acts_for_citizens, client_address
from grassroots.requests.adapters.orm import calendar_days, personal_data_reads, requests
from grassroots.requests.domain.machine import CLOCK_RUNNING, Action, Status, allowed_actions
from grassroots.requests.domain.tracking import normalise_tracking_code
from grassroots.requests.domain.wording import STATUS_TEXT, step_text
from grassroots.requests.entrypoints.schemas import (
    Appointment,
    AssignIn,
    CalendarYearIn,
    CalendarYearOut,
    CatalogItemIn,
    CatalogItemOut,
    CitizenOut,
    DispatchIn,
    ExplainIn,
    FeedbackIn,
    HistoryEntry,
    OptionalReasonIn,
    ReasonIn,
    RequestIn,
    RequestOut,
    ResolveIn,
    ReturnDecisionIn,
    ReturnIn,
    TrackOut,
    TrackStep,
    WaitIn,
)
from grassroots.requests.service import catalog, dispatching, handling, merging
from grassroots.requests.service.clock import recompute_open_requests
from grassroots.requests.service.context import RequestsContext

log = logging.getLogger(__name__)

COUNTY_DEPTH = TIER_DEPTH[Tier.COUNTY]

api = APIRouter(prefix="/v1")


async def get_ctx(request: Request) -> RequestsContext:
    """The service context the composition root put on the app."""
    ctx: RequestsContext = request.app.state.requests
    return ctx


Ctx = Annotated[RequestsContext, Depends(get_ctx)]


def public_limiter(request: Request) -> RateLimiter:
    """The process's limiter of public submissions."""
    limiter: RateLimiter = request.app.state.public_limiter
    return limiter


def lookup_limiter(request: Request) -> RateLimiter:
    """The process's limiter of public look-ups by tracking code (tracking and feedback)."""
    limiter: RateLimiter = request.app.state.lookup_limiter
    return limiter


# ---------------------------------------------------------------- catalogue


def item_out(row: dict[str, Any]) -> CatalogItemOut:
    """A catalogue row as answered."""
    return CatalogItemOut.model_validate(row)


@api.get("/catalog", response_model=Page[CatalogItemOut], tags=["catalogue"])
async def list_catalog(
    ctx: Ctx,
    county: Annotated[str | None, Query(description="12-digit county area code")] = None,
    category: str | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[CatalogItemOut]:
    """The public service guide: active items of a county's catalogue."""
    if county is not None:
        _area(county, "county")
    rows = await catalog.list_items(
        ctx, county, after=decode_cursor(cursor), limit=limit + 1, category=category
    )
    items = [item_out(r) for r in rows[:limit]]
    return Page(items=items, next_cursor=encode_cursor(items[-1].id) if len(rows) > limit else None)


@api.get("/catalog/{county}/{code}", response_model=CatalogItemOut, tags=["catalogue"])
async def get_catalog_item(ctx: Ctx, county: str, code: str) -> CatalogItemOut:
    """One item of the service guide."""
    _area(county, "county")
    async with ctx.db.read_only() as session:
        row = await catalog.find_item(session, county, code)
    if row is None:
        raise NotFound(f"no catalogue item {code} in {county}")
    return item_out(row)


@api.post("/catalog", status_code=201, response_model=CatalogItemOut, tags=["catalogue"])
async def create_catalog_item(ctx: Ctx, principal: OrgAdmin, body: CatalogItemIn) -> CatalogItemOut:
    """Add an item to a county's catalogue (org_admin)."""
    county = _catalog_county(principal, body.county_area)
    return item_out(await catalog.create_item(ctx, county, _item_fields(body)))


def _catalog_county(principal: Principal, county_area: str | None) -> str:
    """The county a catalogue write is for: the caller's own (a token at county level or
    below), or the one named by a caller above county level, inside its scope."""
    if area_depth(principal.org) >= COUNTY_DEPTH:
        own = catalog.county_of(principal.org)
        if county_area is not None and catalog.county_of(county_area) != own:
            raise Forbidden(f"county {county_area} is not this token's county ({own})")
        return own
    if county_area is None:
        raise Invalid("county_area", "needed from a caller above county level")
    county = catalog.county_of(county_area)
    principal.require_area(county)
    return county


@api.put("/catalog/{county}/{code}", response_model=CatalogItemOut, tags=["catalogue"])
async def update_catalog_item(
    ctx: Ctx, principal: OrgAdmin, county: str, code: str, body: CatalogItemIn
) -> CatalogItemOut:
    """Replace an item's definition (org_admin)."""
    _area(county, "county")
    principal.require_area(county)
    if body.code != code:
        raise Invalid("code", "must match the item's path")
    if body.county_area is not None and catalog.county_of(body.county_area) != county:
        raise Invalid("county_area", "must match the item's path")
    return item_out(await catalog.update_item(ctx, county, code, _item_fields(body)))


def _item_fields(body: CatalogItemIn) -> dict[str, Any]:
    fields = body.model_dump(mode="json")
    fields.pop("county_area")
    return fields


def _area(value: str, field: str) -> str:
    try:
        return check_area_code(value)
    except ValueError as exc:
        raise Invalid(field, str(exc)) from exc


# ---------------------------------------------------------------- requests


def request_out(
    row: dict[str, Any],
    history: list[dict[str, Any]] | None = None,
    *,
    cipher: Any,
    contact: tuple[str | None, str | None] | None = None,
) -> RequestOut:
    """A request row as answered, the citizen's contact masked.

    `contact` is the (name, phone) the caller already holds in clear, sparing a decryption.
    """
    citizen = None
    if not row["anonymous"]:
        name, phone = contact or (
            cipher.decrypt(row["citizen_name_enc"], record_id=row["id"], field="citizen_name"),
            cipher.decrypt(row["citizen_phone_enc"], record_id=row["id"], field="citizen_phone"),
        )
        citizen = CitizenOut(name=mask_name(name), phone=mask_phone(phone))
    appointment = (
        Appointment(start=row["appointment_start"], end=row["appointment_end"])
        if row["appointment_start"]
        else None
    )
    status = Status(row["status"])
    due = as_utc(row["due_at"])
    return RequestOut(
        **{k: row[k] for k in _PLAIN_FIELDS},
        lat=_coordinate(row.get("lat")),
        long=_coordinate(row.get("long")),
        duplicates=row.get("duplicates") or [],
        citizen=citizen,
        appointment=appointment,
        overdue=status in CLOCK_RUNNING and due < utcnow(),
        allowed_actions=[a.value for a in allowed_actions(status)],
        history=[HistoryEntry.model_validate(h) for h in history] if history is not None else None,
    )


def _coordinate(value: str | None) -> float | None:
    return None if value is None else float(value)


_PLAIN_FIELDS = (
    "id",
    "tracking_code",
    "status",
    "due_at",
    "org_unit_id",
    "org_tier",
    "service_code",
    "area_code",
    "channel",
    "description",
    "anonymous",
    "handler_member_id",
    "accepted_by",
    "version",
    "received_at",
    "accepted_at",
    "resolved_at",
    "closed_at",
    "explanation",
    "expected_by",
    "resolution",
    "rating",
    "feedback_comment",
    "door_to_door",
    "escalations",
    "paused_until",
    "dispatcher_unit_id",
    "sign_by",
    "extensions",
    "open_co_tasks",
    "address",
    "merged_into",
)


def intake_from(body: RequestIn, channel: str) -> handling.Intake:
    """The service-level intake of an HTTP body."""
    return handling.Intake(
        service_code=body.service_code,
        area_code=body.area_code,
        description=body.description,
        channel=channel,
        anonymous=body.anonymous,
        citizen_name=body.citizen.name if body.citizen else None,
        citizen_phone=body.citizen.phone if body.citizen else None,
        public_name_consent=bool(body.citizen and body.citizen.public_name_consent),
        door_to_door=body.door_to_door,
        appointment_start=body.appointment.start if body.appointment else None,
        appointment_end=body.appointment.end if body.appointment else None,
        address=body.address,
        lat=None if body.lat is None else repr(body.lat),
        long=None if body.long is None else repr(body.long),
        attributes=body.attributes,
    )


# A viewer's token passes only as the portal acting for a citizen (the guard checks it).
@api.post(
    "/requests",
    status_code=201,
    response_model=RequestOut,
    tags=["requests"],
    dependencies=[Depends(viewers_may_call)],
)
async def submit_request(
    ctx: Ctx,
    principal: CadreOrForwardingIfSigned,
    body: RequestIn,
    request: Request,
    response: Response,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias=IDEMPOTENCY_HEADER,
            description="retry with the same key and body to get the first answer again (24 h)",
        ),
    ] = None,
) -> Any:
    """Take in a request: public online intake without a token (or through the portal, which
    acts for the citizen and names their address), other channels by cadres."""
    forwarded = principal is not None and acts_for_citizens(request, principal)
    if principal is None or forwarded:
        if body.channel != "online":
            raise ProblemError(
                401,
                f"channel {body.channel} needs a cadre's bearer token",
                headers={"WWW-Authenticate": "Bearer"},
            )
        actor = "citizen"
    else:
        principal.require_area(body.area_code)
        if body.channel == "open311":
            raise Invalid("channel", "open311 requests come in through /open311/v2/")
        actor = principal.sub
    if principal is None or forwarded:
        await public_limiter(request).check(client_address(request, principal))
    intake = intake_from(body, body.channel)
    contact = (intake.citizen_name, intake.citizen_phone)
    call = await idempotent_call(request, f"requests:{actor}")
    if call is None:
        row = await handling.submit_request(ctx, intake, actor=actor)
        response.headers["Location"] = f"/v1/requests/{row['id']}"
        return request_out(row, cipher=ctx.cipher, contact=contact)
    stored = await ctx.idempotency.find(call)
    if stored is None:

        def answer(row: dict[str, Any]) -> StoredAnswer:
            out = request_out(row, cipher=ctx.cipher, contact=contact)
            return StoredAnswer(201, out.model_dump_json())

        try:
            row = await handling.submit_request(ctx, intake, actor=actor, idempotent=(call, answer))
        except AlreadyAnswered as first:
            return _replay(first.answer, replayed=True)
        return _replay(answer(row), replayed=False)
    return _replay(stored, replayed=True)


async def idempotent_call(request: Request, scope: str) -> IdempotentCall | None:
    """The call's `Idempotency-Key` with what it said, or None when it sent none."""
    key = request.headers.get(IDEMPOTENCY_HEADER)
    if key is None:
        return None
    body = await request.body()
    return IdempotentCall(scope, check_key(key), fingerprint("POST", request.url.path, body))


def _replay(answer: StoredAnswer, *, replayed: bool) -> Response:
    request_id = json.loads(answer.body)["id"]
    return Response(
        answer.body,
        status_code=answer.status_code,
        media_type="application/json",
        headers={
            "Location": f"/v1/requests/{request_id}",
            REPLAYED_HEADER: "true" if replayed else "false",
        },
    )


@api.get("/requests", response_model=Page[RequestOut], tags=["requests"])
async def list_requests(
    ctx: Ctx,
    principal: MemberOrAbove,
    status: Annotated[
        list[Status] | None, Query(description="one or more statuses (repeat the parameter)")
    ] = None,
    org_unit_id: str | None = None,
    handler_member_id: str | None = None,
    accepted_by: Annotated[str | None, Query(max_length=64)] = None,
    service_code: str | None = None,
    overdue: bool | None = None,
    due_before: Annotated[
        datetime | None, Query(description="open requests due before this instant")
    ] = None,
    escalated: Annotated[bool | None, Query(description="escalated at least once")] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[RequestOut]:
    """Requests held by units inside the token's subtree, newest first."""
    query = select(requests).where(requests.c.org_area_code.startswith(principal.area_prefix))
    if status:
        query = query.where(requests.c.status.in_(sorted({s.value for s in status})))
    if accepted_by:
        query = query.where(requests.c.accepted_by == accepted_by)
    if due_before is not None:
        if due_before.tzinfo is None:
            raise Invalid("due_before", "needs a time zone offset")
        open_ = requests.c.status.in_([s.value for s in CLOCK_RUNNING])
        query = query.where(open_ & (requests.c.due_at < as_utc(due_before)))
    if escalated is not None:
        query = query.where(
            requests.c.escalations > 0 if escalated else requests.c.escalations == 0
        )
    if org_unit_id:
        query = query.where(requests.c.org_unit_id == org_unit_id)
    if handler_member_id:
        query = query.where(requests.c.handler_member_id == handler_member_id)
    if service_code:
        query = query.where(requests.c.service_code == service_code)
    if overdue is not None:
        open_ = requests.c.status.in_([s.value for s in CLOCK_RUNNING])
        late = requests.c.due_at < utcnow()
        query = query.where(open_ & late) if overdue else query.where(~(open_ & late))
    after = decode_cursor(cursor)
    if after is not None:
        query = query.where(requests.c.id < str(after))
    async with ctx.db.read_only() as session:
        rows = (await session.execute(query.order_by(requests.c.id.desc()).limit(limit + 1))).all()
    items = [request_out(dict(r._mapping), cipher=ctx.cipher) for r in rows[:limit]]
    next_cursor = encode_cursor(items[-1].id) if len(rows) > limit else None
    return Page(items=items, next_cursor=next_cursor)


@api.get("/requests/{request_id}", response_model=RequestOut, tags=["requests"])
async def get_request(ctx: Ctx, principal: MemberOrAbove, request_id: str) -> RequestOut:
    """One request with its history (the audit trail)."""
    row = await handling.get_request(ctx, request_id, principal)
    async with ctx.db.read_only() as session:
        history = await handling.history_of(session, request_id)
    return request_out(row, history, cipher=ctx.cipher)


@api.get("/requests/{request_id}/contact", tags=["requests"])
async def read_contact(
    ctx: Ctx,
    principal: Cadre,
    request_id: str,
    purpose: Annotated[str, Query(min_length=2, max_length=200)],
) -> dict[str, str | None]:
    """The citizen's unmasked contact for the handling cadre; every read is logged."""
    row = await handling.get_request(ctx, request_id, principal)
    async with ctx.db.transaction() as session:
        await session.execute(
            insert(personal_data_reads).values(
                request_id=request_id,
                reader=principal.sub,
                role=principal.role,
                purpose=purpose,
                at=utcnow(),
            )
        )
    log.info(
        "personal data read",
        extra={"request_id": request_id, "reader": principal.sub, "purpose": purpose},
    )
    return {
        "name": ctx.cipher.decrypt(
            row["citizen_name_enc"], record_id=row["id"], field="citizen_name"
        ),
        "phone": ctx.cipher.decrypt(
            row["citizen_phone_enc"], record_id=row["id"], field="citizen_phone"
        ),
    }


async def _act(
    ctx: RequestsContext,
    request_id: str,
    action: Action,
    principal: Principal,
    params: dict[str, Any],
) -> RequestOut:
    row = await handling.perform(ctx, request_id, action, principal, params)
    return request_out(row, cipher=ctx.cipher)


@api.post("/requests/{request_id}/accept", response_model=RequestOut, tags=["handling"])
async def accept_request(ctx: Ctx, principal: CurrentPrincipal, request_id: str) -> RequestOut:
    """The holding unit accepts the request."""
    return await _act(ctx, request_id, Action.ACCEPT, principal, {})


@api.post("/requests/{request_id}/assign", response_model=RequestOut, tags=["handling"])
async def assign_request(
    ctx: Ctx, principal: CurrentPrincipal, request_id: str, body: AssignIn
) -> RequestOut:
    """Name the handler (落实专人办理)."""
    return await _act(ctx, request_id, Action.ASSIGN, principal, body.model_dump())


@api.post("/requests/{request_id}/start", response_model=RequestOut, tags=["handling"])
async def start_request(ctx: Ctx, principal: CurrentPrincipal, request_id: str) -> RequestOut:
    """The handler (or the accepting cadre, who then becomes the handler) starts work."""
    return await _act(ctx, request_id, Action.START, principal, {})


@api.post("/requests/{request_id}/escalate", response_model=RequestOut, tags=["handling"])
async def escalate_request(
    ctx: Ctx, principal: CurrentPrincipal, request_id: str, body: ReasonIn
) -> RequestOut:
    """This level cannot solve it: move it to the unit above (报上级协调)."""
    return await _act(ctx, request_id, Action.ESCALATE, principal, body.model_dump())


@api.post("/requests/{request_id}/explain", response_model=RequestOut, tags=["handling"])
async def explain_request(
    ctx: Ctx, principal: CurrentPrincipal, request_id: str, body: ExplainIn
) -> RequestOut:
    """It cannot be solved yet: tell the citizen why and by when (说明情况)."""
    return await _act(ctx, request_id, Action.EXPLAIN, principal, body.model_dump())


@api.post("/requests/{request_id}/resolve", response_model=RequestOut, tags=["handling"])
async def resolve_request(
    ctx: Ctx, principal: CurrentPrincipal, request_id: str, body: ResolveIn
) -> RequestOut:
    """Record the resolution."""
    return await _act(ctx, request_id, Action.RESOLVE, principal, body.model_dump())


@api.post("/requests/{request_id}/reopen", response_model=RequestOut, tags=["handling"])
async def reopen_request(
    ctx: Ctx, principal: CurrentPrincipal, request_id: str, body: OptionalReasonIn | None = None
) -> RequestOut:
    """A supervisor reopens a resolved or closed request."""
    params = body.model_dump() if body else {"reason": None}
    return await _act(ctx, request_id, Action.REOPEN, principal, params)


@api.post("/requests/{request_id}/close", response_model=RequestOut, tags=["handling"])
async def close_request(
    ctx: Ctx, principal: CurrentPrincipal, request_id: str, body: OptionalReasonIn | None = None
) -> RequestOut:
    """Close a resolved request (after feedback, or when the citizen gives none)."""
    params = body.model_dump() if body else {"reason": None}
    return await _act(ctx, request_id, Action.CLOSE, principal, params)


@api.post("/requests/{request_id}/dispatch", response_model=RequestOut, tags=["handling"])
async def dispatch_request(
    ctx: Ctx, principal: Cadre, request_id: str, body: DispatchIn
) -> RequestOut:
    """Hand the request to a unit below or to a department's unit (派单); it signs or returns."""
    row = await dispatching.dispatch_request(
        ctx, request_id, principal, body.org_unit_id, body.reason
    )
    return request_out(row, cipher=ctx.cipher)


@api.post("/requests/{request_id}/return", response_model=RequestOut, tags=["handling"])
async def return_request(ctx: Ctx, principal: Cadre, request_id: str, body: ReturnIn) -> RequestOut:
    """The receiving unit sends it back to the dispatcher before signing for it (退单)."""
    row = await dispatching.return_request(ctx, request_id, principal, body.reason, body.note)
    return request_out(row, cipher=ctx.cipher)


@api.post("/requests/{request_id}/return-decision", response_model=RequestOut, tags=["handling"])
async def decide_return(
    ctx: Ctx, principal: Cadre, request_id: str, body: ReturnDecisionIn
) -> RequestOut:
    """The dispatcher upholds the return (keeps it) or rejects it (back to the returning unit)."""
    row = await dispatching.decide_return(ctx, request_id, principal, body.decision, body.note)
    return request_out(row, cipher=ctx.cipher)


@api.post("/requests/{request_id}/wait", response_model=RequestOut, tags=["handling"])
async def wait_for_citizen(
    ctx: Ctx, principal: CurrentPrincipal, request_id: str, body: WaitIn
) -> RequestOut:
    """Wait for the citizen: the time limit's clock stops until a reply, a resume or the maximum."""
    row = await dispatching.wait_for_citizen(ctx, request_id, principal, body.reason)
    return request_out(row, cipher=ctx.cipher)


@api.post("/requests/{request_id}/resume", response_model=RequestOut, tags=["handling"])
async def resume_request(ctx: Ctx, principal: CurrentPrincipal, request_id: str) -> RequestOut:
    """Run the clock again with the time that was left."""
    row = await dispatching.resume_request(ctx, request_id, principal)
    return request_out(row, cipher=ctx.cipher)


# Public: proved by the tracking code and phone; the portal's viewer token only names the client.
@api.post(
    "/requests/{request_id}/feedback",
    response_model=TrackOut,
    tags=["citizens"],
    dependencies=[Depends(viewers_may_call)],
)
async def give_feedback(
    ctx: Ctx,
    request_id: str,
    body: FeedbackIn,
    request: Request,
    principal: MemberOrForwardingIfSigned,
) -> TrackOut:
    """The citizen rates the result (public; tracking code and phone's last four digits).

    Rate-limited per client, so the four digits cannot be guessed by trying them all.
    """
    await lookup_limiter(request).check(client_address(request, principal))
    code = normalise_tracking_code(body.tracking_code)
    if code is None:
        raise Invalid("tracking_code", "not a tracking code")
    row = await handling.give_feedback(ctx, code, body.phone_last4, body.rating, body.comment)
    if row["id"] != request_id:
        raise NotFound("no request with this tracking code")
    return await _track(ctx, code)


@api.get("/track/{tracking_code}", response_model=TrackOut, tags=["citizens"])
async def track_request(
    ctx: Ctx, tracking_code: str, request: Request, principal: OptionalPrincipal
) -> TrackOut:
    """Where a request stands, in plain words: never the phone or the handler's identity."""
    await lookup_limiter(request).check(client_address(request, principal))
    code = normalise_tracking_code(tracking_code)
    if code is None:
        raise NotFound("no request with this tracking code")
    return await _track(ctx, code)


async def _track(ctx: RequestsContext, code: str) -> TrackOut:
    row, history, item = await handling.find_by_tracking_code(ctx, code)
    # A merged request's citizen follows the main request: its progress, after their own steps.
    followed = await merging.followed_request(ctx, row)
    shown = row
    if followed is not None:
        shown, main_history = followed
        merged_at = history[-1]["at"]
        history = [*history, *(h for h in main_history if h["at"] > merged_at)]
    steps = [
        TrackStep(at=h["at"], status=h["to_status"], text=step_text(h["action"])) for h in history
    ]
    return TrackOut(
        id=row["id"],
        tracking_code=row["tracking_code"],
        service_code=row["service_code"],
        service_name=item["name"],
        status=shown["status"],
        status_text=STATUS_TEXT[shown["status"]],
        received_at=row["received_at"],
        due_at=shown["due_at"],
        explanation=shown["explanation"],
        expected_by=shown["expected_by"],
        resolution=shown["resolution"],
        rating=row["rating"],
        merged=followed is not None,
        history=steps,
    )


# ---------------------------------------------------------------- calendar

# Holiday calendars exist for years people plan in; anything else is a client's mistake.
Year = Annotated[int, Path(ge=1900, le=2199, description="a calendar year, 1900-2199")]


@api.get("/calendar/{year}", response_model=CalendarYearOut, tags=["calendar"])
async def get_calendar_year(ctx: Ctx, principal: CurrentPrincipal, year: Year) -> CalendarYearOut:
    """The operator's overrides of a year and whether holiday data covers it."""
    rows = await _calendar_rows(ctx, year)
    return CalendarYearOut(
        year=year,
        covered=ctx.calendar.covers(year),
        holidays=[r.day for r in rows if not r.is_workday],
        workdays=[r.day for r in rows if r.is_workday],
    )


@api.put("/calendar/{year}", response_model=CalendarYearOut, tags=["calendar"])
async def put_calendar_year(
    ctx: Ctx, principal: PlatformAdmin, year: Year, body: CalendarYearIn
) -> CalendarYearOut:
    """Load a year's official holidays and make-up working days (replaces the year's overrides)."""
    for field, days in (("holidays", body.holidays), ("workdays", body.workdays)):
        if any(d.year != year for d in days):
            raise Invalid(field, f"every day must lie in {year}")
    if set(body.holidays) & set(body.workdays):
        raise Invalid("workdays", "a day cannot be both a holiday and a working day")
    now = utcnow()
    async with ctx.db.transaction() as session:
        await session.execute(
            delete(calendar_days).where(
                calendar_days.c.day >= date(year, 1, 1), calendar_days.c.day <= date(year, 12, 31)
            )
        )
        rows = [
            {
                "day": d,
                "is_workday": flag,
                "note": None,
                "loaded_by": principal.sub,
                "loaded_at": now,
            }
            for flag, days in ((False, body.holidays), (True, body.workdays))
            for d in days
        ]
        if rows:
            await session.execute(insert(calendar_days), rows)
        await ctx.reload_calendar(session)
        # Due times are replayed from each open request's history on the new calendar.
        await recompute_open_requests(ctx, session, now)
    return await get_calendar_year(ctx, principal, year)


async def _calendar_rows(ctx: RequestsContext, year: int) -> list[Any]:
    async with ctx.db.read_only() as session:
        return list(
            (
                await session.execute(
                    select(calendar_days)
                    .where(
                        calendar_days.c.day >= date(year, 1, 1),
                        calendar_days.c.day <= date(year, 12, 31),
                    )
                    .order_by(calendar_days.c.day)
                )
            ).all()
        )


# The app includes these side by side: FastAPI matches a path once per level of nesting.
routers = [api, replica_router()]
