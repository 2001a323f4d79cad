"""What citizens do without a token: track a request, rate its result."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from grassroots.kit.auth import OptionalPrincipal
from grassroots.kit.guards import MemberOrForwardingIfSigned, viewers_may_call
from grassroots.kit.problems import Invalid, NotFound
from grassroots.kit.proxies import client_address
from grassroots.requests.domain.tracking import normalise_tracking_code
from grassroots.requests.domain.wording import STATUS_TEXT, step_text
from grassroots.requests.entrypoints.http.deps import Ctx, lookup_limiter
from grassroots.requests.entrypoints.http.schemas import FeedbackIn, TrackOut, TrackStep
from grassroots.requests.service import handling, merging
from grassroots.requests.service.context import RequestsContext

router = APIRouter(prefix="/v1")


# Public: proved by the tracking code and phone; the portal's viewer token only names the client.
@router.post(
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


@router.get("/track/{tracking_code}", response_model=TrackOut, tags=["citizens"])
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
