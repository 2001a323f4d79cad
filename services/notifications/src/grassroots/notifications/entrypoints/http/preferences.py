"""Routes of a recipient's preferences: opted-out channels and locale."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from grassroots.notifications.entrypoints.http.deps import (
    AppDeps,
    CurrentPrincipal,
    ReadSession,
    Session,
)
from grassroots.notifications.entrypoints.http.schemas import PreferencesOut
from grassroots.notifications.service import recipients
from grassroots.notifications.service.commands import PreferencesIn

router = APIRouter(prefix="/v1", tags=["preferences"])


async def recipient_in_scope(
    principal: CurrentPrincipal, recipient: str, session: ReadSession
) -> str:
    """The path's recipient, when the caller may see them: themselves, or staff of their area.

    A dependency, so the check runs before the body is read.
    """
    return await recipients.place_recipient(session, principal, recipient)


Recipient = Annotated[str, Depends(recipient_in_scope)]


@router.get("/preferences/{recipient}", response_model=PreferencesOut)
async def get_preferences(recipient: Recipient, session: ReadSession) -> PreferencesOut:
    """A recipient's preferences (a member their own; staff of the recipient's area)."""
    return PreferencesOut(**await recipients.show_preferences(session, recipient))


@router.put("/preferences/{recipient}", response_model=PreferencesOut)
async def put_preferences(
    recipient: Recipient, body: PreferencesIn, session: Session, deps: AppDeps
) -> PreferencesOut:
    """Replace a recipient's preferences (a member their own; staff of the recipient's area)."""
    return PreferencesOut(**await recipients.replace_preferences(session, deps, recipient, body))
