"""HTTP routes for helper units (协办), extensions (延期), callbacks (回访), repeated breaches."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import AwareDatetime, BaseModel, Field

from grassroots.contracts.area import AreaCode
from grassroots.contracts.events.requests import Rating
from grassroots.kit.auth import CurrentPrincipal
from grassroots.kit.guards import Cadre, MemberOrAbove
from grassroots.requests.entrypoints.http.deps import Ctx
from grassroots.requests.service import chasing, cohandling

router = APIRouter(prefix="/v1")


class CoHandlerIn(BaseModel):
    """A helper unit called in with a task and its own due time."""

    org_unit_id: str = Field(min_length=1, max_length=64)
    task: str = Field(min_length=1, max_length=2000)
    due_at: AwareDatetime


class CoTaskOut(BaseModel):
    """A helper unit's task."""

    id: str
    request_id: str
    org_unit_id: str
    task: str
    due_at: datetime
    status: Literal["open", "done", "closed"]
    note: str | None
    score: int | None
    created_at: datetime
    done_at: datetime | None


class CoTaskList(BaseModel):
    """The helper tasks of a request."""

    items: list[CoTaskOut]
    next_cursor: str | None = None


class NoteIn(BaseModel):
    """What was done (a helper's report) or why a task is closed (the lead)."""

    note: str = Field(min_length=1, max_length=2000)


class ReasonIn(BaseModel):
    """Why the lead closes a helper's task."""

    # Two models share this name, so OpenAPI names each after its module: the published
    # component name is the one of the module it was first written in.
    __module__ = "grassroots.requests.entrypoints.cohandling"

    reason: str = Field(min_length=1, max_length=2000)


class ScoreIn(BaseModel):
    """The lead's score of a helper's response."""

    score: int = Field(ge=1, le=5)


class ExtensionIn(BaseModel):
    """A later due time and why."""

    due_at: AwareDatetime
    reason: str = Field(min_length=1, max_length=2000)


class DecisionNoteIn(BaseModel):
    """The parent unit's note on an extension."""

    note: str | None = Field(default=None, max_length=2000)


class ExtensionOut(BaseModel):
    """An extension and where it stands."""

    id: str
    request_id: str
    status: Literal["pending", "approved", "rejected"]
    due_at: datetime
    previous_due_at: datetime
    reason: str
    requested_at: datetime
    decided_at: datetime | None = None


class CallbackIn(BaseModel):
    """A callback to the citizen: reached or not, the rating in their words, a comment."""

    reached: bool
    rating: Rating | None = None
    comment: str | None = Field(default=None, max_length=2000)


class CallbackOut(BaseModel):
    """A recorded callback; `unreachable` after the third attempt without reaching anyone."""

    id: str
    request_id: str
    reached: bool
    attempt: int
    outcome: Literal["reached", "not_reached", "unreachable"]
    rating: Rating | None
    status: str


class BreachCount(BaseModel):
    """A unit and how many time limits it breached in the month."""

    org_unit_id: str
    breaches: int


class BreachList(BaseModel):
    """Units of a county with repeated breaches in a month (most first)."""

    items: list[BreachCount]
    next_cursor: str | None = None


def _task(row: dict[str, Any]) -> CoTaskOut:
    return CoTaskOut.model_validate(row)


@router.post(
    "/requests/{request_id}/co-handlers",
    status_code=201,
    response_model=CoTaskOut,
    tags=["handling"],
)
async def add_co_handler(
    ctx: Ctx, principal: CurrentPrincipal, request_id: str, body: CoHandlerIn
) -> CoTaskOut:
    """The lead unit calls in a helper unit (吹哨报到) with a task and its own due time."""
    row = await cohandling.add_co_handler(
        ctx, request_id, principal, body.org_unit_id, body.task, body.due_at
    )
    return _task(row)


@router.get("/requests/{request_id}/co-handlers", response_model=CoTaskList, tags=["handling"])
async def list_co_handlers(ctx: Ctx, principal: MemberOrAbove, request_id: str) -> CoTaskList:
    """The helper tasks of a request (a helper unit sees its own)."""
    rows = await cohandling.list_co_tasks(ctx, request_id, principal)
    return CoTaskList(items=[_task(r) for r in rows])


@router.post(
    "/requests/{request_id}/co-handlers/{task_id}/done", response_model=CoTaskOut, tags=["handling"]
)
async def co_task_done(
    ctx: Ctx, principal: CurrentPrincipal, request_id: str, task_id: str, body: NoteIn
) -> CoTaskOut:
    """The helper unit reports its task done."""
    row = await cohandling.end_co_task(
        ctx, request_id, task_id, principal, body.note, by_lead=False
    )
    return _task(row)


@router.post(
    "/requests/{request_id}/co-handlers/{task_id}/close",
    response_model=CoTaskOut,
    tags=["handling"],
)
async def close_co_task(
    ctx: Ctx, principal: CurrentPrincipal, request_id: str, task_id: str, body: ReasonIn
) -> CoTaskOut:
    """The lead closes a helper's open task with a reason (so it can resolve)."""
    row = await cohandling.end_co_task(
        ctx, request_id, task_id, principal, body.reason, by_lead=True
    )
    return _task(row)


@router.post(
    "/requests/{request_id}/co-handlers/{task_id}/score",
    response_model=CoTaskOut,
    tags=["handling"],
)
async def score_co_task(
    ctx: Ctx, principal: CurrentPrincipal, request_id: str, task_id: str, body: ScoreIn
) -> CoTaskOut:
    """The lead scores the helper's response, 1 to 5."""
    row = await cohandling.score_co_task(ctx, request_id, task_id, principal, body.score)
    return _task(row)


@router.post(
    "/requests/{request_id}/extension",
    status_code=201,
    response_model=ExtensionOut,
    tags=["handling"],
)
async def request_extension(
    ctx: Ctx, principal: CurrentPrincipal, request_id: str, body: ExtensionIn
) -> ExtensionOut:
    """The holder asks, before the due time, for a later one (延期); the unit above decides."""
    row = await cohandling.request_extension(ctx, request_id, principal, body.due_at, body.reason)
    return ExtensionOut.model_validate(row)


@router.post(
    "/requests/{request_id}/extension/{extension_id}/{decision}",
    response_model=ExtensionOut,
    tags=["handling"],
)
async def decide_extension(
    ctx: Ctx,
    principal: Cadre,
    request_id: str,
    extension_id: str,
    decision: Literal["approve", "reject"],
    body: DecisionNoteIn | None = None,
) -> ExtensionOut:
    """The unit above approves (the due time moves, the citizen is told) or rejects."""
    row = await cohandling.decide_extension(
        ctx,
        request_id,
        extension_id,
        principal,
        decision == "approve",
        body.note if body else None,
    )
    return ExtensionOut.model_validate(row)


@router.post(
    "/requests/{request_id}/callback",
    status_code=201,
    response_model=CallbackOut,
    tags=["handling"],
)
async def record_callback(
    ctx: Ctx, principal: Cadre, request_id: str, body: CallbackIn
) -> CallbackOut:
    """The county centre records a callback (回访); a rating counts as the citizen's feedback."""
    row = await cohandling.record_callback(
        ctx, request_id, principal, body.reached, body.rating, body.comment
    )
    return CallbackOut.model_validate(row)


@router.get("/breaches/repeated", response_model=BreachList, tags=["handling"])
async def repeated_breaches(
    ctx: Ctx,
    principal: Cadre,
    county: AreaCode,
    month: Annotated[str, Query(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$")],
    minimum: Annotated[int, Query(ge=1, le=1000)] = 2,
) -> BreachList:
    """Units of a county that breached time limits repeatedly in a month (for the county)."""
    rows = await chasing.repeated_breaches(ctx, principal, county, month, minimum)
    return BreachList(items=[BreachCount.model_validate(r) for r in rows])
