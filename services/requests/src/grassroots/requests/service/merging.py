"""Duplicates: listing similar open requests, merging a repeat report into another, undoing it."""

from __future__ import annotations

from typing import Any

from grassroots.kit.auth import Principal
from grassroots.kit.clock import as_utc, utcnow
from grassroots.kit.problems import Conflict, Forbidden, Invalid, NotFound
from grassroots.requests.adapters.duplicate_index import (
    followers_of,
    open_neighbours,
    request_by_id,
)
from grassroots.requests.domain.duplicates import (
    DUPLICATE_WINDOW,
    Candidate,
    rank_candidates,
)
from grassroots.requests.domain.machine import Action, Status
from grassroots.requests.service.context import RequestsContext
from grassroots.requests.service.handling import (
    apply_transition,
    get_request,
    history_of,
    load_for_update,
)


async def list_duplicates(
    ctx: RequestsContext, request_id: str, principal: Principal
) -> list[Candidate]:
    """Open requests that may be the same matter as this one, whether earlier or later."""
    principal.require_role("member")
    row = await get_request(ctx, request_id, principal)
    received = as_utc(row["received_at"])
    neighbours = await open_neighbours(
        ctx.db,
        row["area_code"],
        row["service_code"],
        received - DUPLICATE_WINDOW,
        until=received + DUPLICATE_WINDOW,
        exclude=row["id"],
    )
    return rank_candidates(
        row["description_terms"] or [],
        neighbours,
        threshold=ctx.settings.requests_duplicate_threshold,
    )


def _require_scope(principal: Principal, row: dict[str, Any]) -> None:
    if not principal.covers(row["org_area_code"]):
        raise Forbidden(
            f"request {row['id']} is held by a unit outside this token's scope ({principal.org})"
        )


async def merge_request(
    ctx: RequestsContext, request_id: str, into: str, principal: Principal
) -> dict[str, Any]:
    """Merge a repeat report (the follower) into the main request; its citizen follows that one."""
    principal.require_role("cadre")
    if into == request_id:
        raise Invalid("into", "a request cannot be merged into itself")
    async with ctx.db.transaction() as session:
        # Both rows locked in id order, so two cadres merging crosswise cannot deadlock.
        locked = {}
        for rid in sorted((request_id, into)):
            try:
                locked[rid] = await load_for_update(session, rid)
            except NotFound:
                if rid == into:
                    raise Invalid("into", f"no request {into}") from None
                raise
        follower, main = locked[request_id], locked[into]
        _require_scope(principal, follower)
        _require_scope(principal, main)
        if main["county_area"] != follower["county_area"]:
            raise Invalid("into", "only requests of one county can be merged")
        if main["status"] == Status.MERGED.value:
            raise Conflict(f"request {into} is itself merged into {main['merged_into']}")
        if await followers_of(session, request_id):
            raise Conflict(f"requests are merged into {request_id}; unmerge them first")
        now = utcnow()
        return await apply_transition(
            ctx,
            session,
            follower,
            Action.MERGE,
            actor=principal.sub,
            note=f"merged into {into}",
            changes={"merged_into": into, "merged_from_status": follower["status"]},
            event_extra={"into_request_id": into, "previous_status": follower["status"]},
            now=now,
        )


async def unmerge_request(
    ctx: RequestsContext, request_id: str, principal: Principal
) -> dict[str, Any]:
    """Undo a merge: the request is handled on its own again, in the status it had."""
    principal.require_role("cadre")
    async with ctx.db.transaction() as session:
        row = await load_for_update(session, request_id)
        _require_scope(principal, row)
        if row["status"] != Status.MERGED.value:
            raise Conflict(
                f"request {request_id} is {row['status']}, not merged",
                type_="https://grassroots.example.org/problems/illegal-transition",
            )
        main_id = row["merged_into"]
        return await apply_transition(
            ctx,
            session,
            row,
            Action.UNMERGE,
            actor=principal.sub,
            note=f"unmerged from {main_id}",
            changes={"merged_into": None, "merged_from_status": None},
            restore=Status(row["merged_from_status"]),
            event_extra={"from_request_id": main_id},
        )


async def followed_request(
    ctx: RequestsContext, row: dict[str, Any]
) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
    """For a merged request, the main request it follows and that one's history."""
    if not row.get("merged_into"):
        return None
    async with ctx.db.read_only() as session:
        main = await request_by_id(session, row["merged_into"])
        if main is None:
            return None
        return main, await history_of(session, main["id"])
