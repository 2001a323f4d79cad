"""What cadres read about requests: a page of their subtree's requests, a citizen's contact."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from grassroots.kit.auth import Principal
from grassroots.kit.clock import as_utc, utcnow
from grassroots.kit.db import AsyncSession
from grassroots.kit.problems import Invalid, NotFound
from grassroots.requests.adapters import repository
from grassroots.requests.adapters.repository import RequestFilter
from grassroots.requests.domain.machine import Status
from grassroots.requests.service.context import RequestsContext
from grassroots.requests.service.handling import require_holder_scope

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RequestQuery:
    """The filters of a cadre's list of requests, as the caller gave them."""

    statuses: list[Status] | None = None
    org_unit_id: str | None = None
    handler_member_id: str | None = None
    accepted_by: str | None = None
    service_code: str | None = None
    overdue: bool | None = None
    due_before: datetime | None = None
    escalated: bool | None = None


async def list_requests(
    session: AsyncSession,
    principal: Principal,
    query: RequestQuery,
    *,
    after: str | None,
    limit: int,
) -> list[dict[str, Any]]:
    """Up to `limit` requests held inside the caller's subtree, newest first."""
    if query.due_before is not None and query.due_before.tzinfo is None:
        raise Invalid("due_before", "needs a time zone offset")
    wanted = RequestFilter(
        area_prefix=principal.area_prefix,
        statuses=sorted({s.value for s in query.statuses}) if query.statuses else None,
        org_unit_id=query.org_unit_id,
        handler_member_id=query.handler_member_id,
        accepted_by=query.accepted_by,
        service_code=query.service_code,
        overdue=query.overdue,
        due_before=as_utc(query.due_before) if query.due_before is not None else None,
        escalated=query.escalated,
    )
    return await repository.requests_page(
        session, wanted, before_id=after, limit=limit, now=utcnow()
    )


async def read_contact(
    session: AsyncSession,
    ctx: RequestsContext,
    principal: Principal,
    request_id: str,
    purpose: str,
) -> dict[str, str | None]:
    """The citizen's unmasked name and phone for a cadre of the holding unit; the read is logged."""
    row = await repository.find_request(session, request_id)
    if row is None:
        raise NotFound(f"no request {request_id}")
    require_holder_scope(principal, row)
    await repository.record_personal_data_read(
        session,
        request_id,
        reader=principal.sub,
        role=principal.role,
        purpose=purpose,
        at=utcnow(),
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
