"""Routes of message templates: current versions with a sample rendering, new versions."""

from __future__ import annotations

from fastapi import APIRouter

from grassroots.kit.guards import PlatformAdmin
from grassroots.notifications.domain.templates import DEFAULT_LOCALE
from grassroots.notifications.entrypoints.http.deps import (
    AppDeps,
    CurrentPrincipal,
    ReadSession,
    Session,
)
from grassroots.notifications.entrypoints.http.schemas import TemplateOut
from grassroots.notifications.service import templates
from grassroots.notifications.service.commands import TemplateIn

router = APIRouter(prefix="/v1", tags=["templates"])


@router.get("/templates", response_model=list[TemplateOut])
async def list_templates(principal: CurrentPrincipal, session: ReadSession) -> list[TemplateOut]:
    """The current version of every template in every locale (version 0 = built-in)."""
    return [TemplateOut(**t) for t in await templates.list_templates(session)]


@router.get("/templates/{key}", response_model=TemplateOut)
async def get_template(
    principal: CurrentPrincipal, key: str, session: ReadSession, locale: str = DEFAULT_LOCALE
) -> TemplateOut:
    """The current version of one template."""
    return TemplateOut(**await templates.show_template(session, key, locale))


@router.put("/templates/{key}", response_model=TemplateOut)
async def put_template(
    principal: PlatformAdmin, key: str, body: TemplateIn, session: Session, deps: AppDeps
) -> TemplateOut:
    """Save a new version (platform admins: templates are platform-wide, with no county's own
    copy); a template that does not render with the key's variables is refused."""
    return TemplateOut(**await templates.save_template(session, deps, principal, key, body))
