"""HTTP routes: notifications, inbox, preferences, templates, broadcasts, board, webhooks."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, Field, field_validator
from sqlalchemy import select, update

from grassroots.contracts.area import AreaCode, Tier, area_tier, parent_area_codes
from grassroots.contracts.events.base import REGISTRY
from grassroots.kit.auth import CurrentPrincipal, Principal
from grassroots.kit.guards import Cadre, OrgAdmin, PlatformAdmin
from grassroots.kit.masking import mask_phone
from grassroots.kit.orgtree import get_unit
from grassroots.kit.paging import Cursor, Limit, Page, decode_cursor, encode_cursor
from grassroots.kit.problems import Conflict, Invalid, NotFound
from grassroots.kit.tables import org_units
from grassroots.notifications.adapters.orm import (
    board_items,
    broadcasts,
    contacts,
    members,
    notifications,
    preferences,
    rule_overrides,
    sms_sink,
    templates,
    webhooks,
)
from grassroots.notifications.domain.policy import (
    DEFAULT_RULES,
    PERSON_CHANNELS,
    RULES_BY_NAME,
    Status,
    sms_segments,
)
from grassroots.notifications.domain.templates import (
    DEFAULT_LOCALE,
    LOCALES,
    SAMPLE_CONTEXT,
    TemplateInvalid,
    TemplateText,
    validate_template,
)
from grassroots.notifications.service.broadcasts import broadcast_progress, create_broadcast
from grassroots.notifications.service.store import (
    current_templates,
    load_contacts,
    new_id,
)

log = logging.getLogger(__name__)
router = APIRouter(prefix="/v1")
dev_router = APIRouter(prefix="/dev", tags=["development"])


def _state(request: Request) -> Any:
    return request.app.state


def _now(request: Request) -> datetime:
    now: datetime = request.app.state.clock()
    return now


# --- staff view of notifications -------------------------------------------------------------


class NotificationOut(BaseModel):
    """A notification as staff see it: no addresses, only ids, rule, channel and status."""

    id: str
    cause_id: str
    recipient_id: str
    recipient_kind: str
    channel: str
    rule: str
    status: str
    attempts: int
    area_code: str
    request_id: str | None
    broadcast_id: str | None
    subject: str | None
    body: str | None
    last_error: str | None
    created_at: datetime
    next_attempt_at: datetime
    sent_at: datetime | None
    read_at: datetime | None


def _notification_out(row: Any) -> NotificationOut:
    return NotificationOut(**{k: getattr(row, k) for k in NotificationOut.model_fields})


@router.get("/notifications", tags=["notifications"], response_model=Page[NotificationOut])
async def list_notifications(
    request: Request,
    principal: Cadre,
    request_id: str | None = None,
    recipient: str | None = None,
    status: Status | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[NotificationOut]:
    """Notifications inside the token's subtree, filtered (staff only)."""
    query = select(notifications).where(notifications.c.area_code.startswith(principal.area_prefix))
    if request_id:
        query = query.where(notifications.c.request_id == request_id)
    if recipient:
        query = query.where(notifications.c.recipient_id == recipient)
    if status:
        query = query.where(notifications.c.status == status)
    after = decode_cursor(cursor)
    if after is not None:
        query = query.where(notifications.c.id > str(after))
    async with _state(request).runtime.db.read_only() as session:
        rows = (await session.execute(query.order_by(notifications.c.id).limit(limit + 1))).all()
    items = [_notification_out(r) for r in rows[:limit]]
    return Page(items=items, next_cursor=encode_cursor(items[-1].id) if len(rows) > limit else None)


# --- inbox -----------------------------------------------------------------------------------


class InboxItem(BaseModel):
    """One message in a member's in-app inbox."""

    id: str
    rule: str
    subject: str | None
    body: str | None
    created_at: datetime
    read_at: datetime | None


@router.get("/inbox", tags=["inbox"], response_model=Page[InboxItem])
async def list_inbox(
    request: Request,
    principal: CurrentPrincipal,
    unread: bool = False,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[InboxItem]:
    """The token's member's inbox, newest first."""
    query = select(notifications).where(
        notifications.c.recipient_id == f"member:{principal.sub}",
        notifications.c.channel == "inbox",
        notifications.c.status.in_(("sent", "delivered")),
    )
    if unread:
        query = query.where(notifications.c.read_at.is_(None))
    after = decode_cursor(cursor)
    if after is not None:
        query = query.where(notifications.c.id < str(after))
    async with _state(request).runtime.db.read_only() as session:
        rows = (
            await session.execute(query.order_by(notifications.c.id.desc()).limit(limit + 1))
        ).all()
    items = [InboxItem(**{k: getattr(r, k) for k in InboxItem.model_fields}) for r in rows[:limit]]
    return Page(items=items, next_cursor=encode_cursor(items[-1].id) if len(rows) > limit else None)


@router.post("/inbox/{notification_id}/read", tags=["inbox"], response_model=InboxItem)
async def mark_read(
    request: Request, principal: CurrentPrincipal, notification_id: str
) -> InboxItem:
    """Mark one of the token's own inbox messages read (idempotent)."""
    mine = (
        (notifications.c.id == notification_id)
        & (notifications.c.recipient_id == f"member:{principal.sub}")
        & (notifications.c.channel == "inbox")
        & notifications.c.status.in_(("sent", "delivered"))
    )
    async with _state(request).runtime.db.transaction() as session:
        row = (await session.execute(select(notifications).where(mine))).first()
        if row is None:
            raise NotFound(f"no inbox message {notification_id}")
        read_at = row.read_at or _now(request)
        if row.read_at is None:
            await session.execute(update(notifications).where(mine).values(read_at=read_at))
    values = {k: getattr(row, k) for k in InboxItem.model_fields}
    values["read_at"] = read_at
    return InboxItem(**values)


# --- preferences -----------------------------------------------------------------------------


class PreferencesIn(BaseModel):
    """Channels the recipient does not want (critical rules still use them) and a locale."""

    opted_out: list[str] = Field(default_factory=list)
    locale: str = DEFAULT_LOCALE

    @field_validator("opted_out")
    @classmethod
    def _known_channels(cls, value: list[str]) -> list[str]:
        unknown = [c for c in value if c not in PERSON_CHANNELS]
        if unknown:
            raise ValueError(f"unknown channels {unknown}; use {list(PERSON_CHANNELS)}")
        return sorted(set(value))

    @field_validator("locale")
    @classmethod
    def _known_locale(cls, value: str) -> str:
        if value not in LOCALES:
            raise ValueError(f"must be one of {list(LOCALES)}")
        return value


class PreferencesOut(PreferencesIn):
    """A recipient's preferences."""

    recipient: str


async def _recipient_area(session: Any, recipient: str) -> str | None:
    """Where a recipient belongs: a member's unit, a citizen's request's unit."""
    kind, _, ident = recipient.partition(":")
    if kind == "member":
        query = select(org_units.c.area_code).join(members, members.c.org_unit_id == org_units.c.id)
        found = await session.scalar(query.where(members.c.member_id == ident))
    else:
        query = select(org_units.c.area_code).join(
            contacts, contacts.c.org_unit_id == org_units.c.id
        )
        found = await session.scalar(query.where(contacts.c.recipient_id == recipient))
    return str(found) if found is not None else None


async def recipient_in_scope(request: Request, principal: CurrentPrincipal, recipient: str) -> str:
    """The path's recipient, when the caller may see them: themselves, or staff of their area.

    A dependency, so the check runs before the body is read; a recipient this service cannot
    place in an area is seen only by a token of the whole country.
    """
    kind, _, ident = recipient.partition(":")
    if kind not in ("citizen", "member") or not ident:
        raise Invalid("recipient", "must be citizen:<request_id> or member:<member_id>")
    if recipient == f"member:{principal.sub}":
        return recipient
    principal.require_role("cadre")
    async with _state(request).runtime.db.read_only() as session:
        area = await _recipient_area(session, recipient)
    if area is None:
        if principal.area_prefix:
            raise NotFound(f"no recipient {recipient} in this token's scope")
        return recipient
    principal.require_area(area)
    return recipient


Recipient = Annotated[str, Depends(recipient_in_scope)]


@router.get("/preferences/{recipient}", tags=["preferences"], response_model=PreferencesOut)
async def get_preferences(request: Request, recipient: Recipient) -> PreferencesOut:
    """A recipient's preferences (a member their own; staff of the recipient's area)."""
    async with _state(request).runtime.db.read_only() as session:
        row = (
            await session.execute(
                select(preferences).where(preferences.c.recipient_id == recipient)
            )
        ).first()
    if row is None:
        return PreferencesOut(recipient=recipient)
    return PreferencesOut(recipient=recipient, opted_out=row.opted_out, locale=row.locale)


@router.put("/preferences/{recipient}", tags=["preferences"], response_model=PreferencesOut)
async def put_preferences(
    request: Request, recipient: Recipient, body: PreferencesIn
) -> PreferencesOut:
    """Replace a recipient's preferences (a member their own; staff of the recipient's area)."""
    values = {"opted_out": body.opted_out, "locale": body.locale, "updated_at": _now(request)}
    async with _state(request).runtime.db.transaction() as session:
        changed = await session.execute(
            update(preferences).where(preferences.c.recipient_id == recipient).values(**values)
        )
        if not changed.rowcount:  # type: ignore[attr-defined]
            await session.execute(preferences.insert().values(recipient_id=recipient, **values))
    return PreferencesOut(recipient=recipient, **body.model_dump())


# --- templates -------------------------------------------------------------------------------


class TemplateIn(BaseModel):
    """A new version of a template in one locale."""

    locale: str = DEFAULT_LOCALE
    subject: str = Field(min_length=1, max_length=500)
    body: str = Field(min_length=1, max_length=4000)


class TemplateOut(BaseModel):
    """A template version with its sample rendering and SMS length."""

    key: str
    locale: str
    version: int
    subject: str
    body: str
    variables: list[str]
    sample_subject: str
    sample_body: str
    sms_segments: int


def _template_out(key: str, locale: str, version: int, text: TemplateText) -> TemplateOut:
    sample = validate_template(key, locale, text)
    return TemplateOut(
        key=key,
        locale=locale,
        version=version,
        subject=text.subject,
        body=text.body,
        variables=sorted(SAMPLE_CONTEXT[key]),
        sample_subject=sample.subject,
        sample_body=sample.body,
        sms_segments=sms_segments(sample.body),
    )


async def _newest_version(session: Any, key: str, locale: str) -> int:
    from sqlalchemy import func

    found = await session.scalar(
        select(func.max(templates.c.version)).where(
            templates.c.key == key, templates.c.locale == locale
        )
    )
    return int(found or 0)


@router.get("/templates", tags=["templates"], response_model=list[TemplateOut])
async def list_templates(request: Request, principal: CurrentPrincipal) -> list[TemplateOut]:
    """The current version of every template in every locale (version 0 = built-in)."""
    async with _state(request).runtime.db.read_only() as session:
        current = await current_templates(session)
        out = []
        for (key, locale), text in sorted(current.items()):
            out.append(
                _template_out(key, locale, await _newest_version(session, key, locale), text)
            )
    return out


@router.get("/templates/{key}", tags=["templates"], response_model=TemplateOut)
async def get_template(
    request: Request, principal: CurrentPrincipal, key: str, locale: str = DEFAULT_LOCALE
) -> TemplateOut:
    """The current version of one template."""
    async with _state(request).runtime.db.read_only() as session:
        current = await current_templates(session)
        if (key, locale) not in current:
            raise NotFound(f"no template {key} in {locale}")
        version = await _newest_version(session, key, locale)
    return _template_out(key, locale, version, current[(key, locale)])


@router.put("/templates/{key}", tags=["templates"], response_model=TemplateOut)
async def put_template(
    request: Request, principal: PlatformAdmin, key: str, body: TemplateIn
) -> TemplateOut:
    """Save a new version (platform admins: templates are platform-wide, with no county's own
    copy); a template that does not render with the key's variables is refused."""
    text = TemplateText(body.subject, body.body)
    try:
        validate_template(key, body.locale, text)
    except TemplateInvalid as exc:
        raise Invalid(exc.field, exc.message) from exc
    async with _state(request).runtime.db.transaction() as session:
        version = await _newest_version(session, key, body.locale) + 1
        await session.execute(
            templates.insert().values(
                key=key,
                locale=body.locale,
                version=version,
                subject=body.subject,
                body=body.body,
                created_by=principal.sub,
                created_at=_now(request),
            )
        )
    return _template_out(key, body.locale, version, text)


# --- rules -----------------------------------------------------------------------------------


class RuleOut(BaseModel):
    """A notification rule as a county has it (the defaults unless the county changed them)."""

    name: str
    event_type: str
    audience: str
    template: str
    channels: list[str]
    critical: bool
    urgent: bool
    enabled: bool
    overridden: bool


class RuleOverrideIn(BaseModel):
    """A county's change to a default rule."""

    enabled: bool = True
    channels: list[str] = Field(min_length=1)

    @field_validator("channels")
    @classmethod
    def _known_channels(cls, value: list[str]) -> list[str]:
        unknown = [c for c in value if c not in PERSON_CHANNELS]
        if unknown:
            raise ValueError(f"unknown channels {unknown}; use {list(PERSON_CHANNELS)}")
        return list(dict.fromkeys(value))


async def _county_rules(request: Request, county: str) -> list[RuleOut]:
    async with _state(request).runtime.db.read_only() as session:
        rows = (
            await session.execute(
                select(rule_overrides).where(rule_overrides.c.county_area == county)
            )
        ).all()
    overrides = {r.rule: r for r in rows}
    out = []
    for rule in DEFAULT_RULES:
        override = overrides.get(rule.name)
        out.append(
            RuleOut(
                name=rule.name,
                event_type=rule.event_type,
                audience=rule.audience,
                template=rule.template,
                channels=list(override.channels if override else rule.channels),
                critical=rule.critical,
                urgent=rule.urgent,
                enabled=override.enabled if override else True,
                overridden=override is not None,
            )
        )
    return out


def _county(principal: Principal, county: str) -> str:
    if area_tier(county) != Tier.COUNTY:
        raise Invalid("county", "must be a county's 12-digit area code")
    principal.require_area(county)
    return county


@router.get("/rules", tags=["rules"], response_model=list[RuleOut])
async def list_rules(
    request: Request, principal: CurrentPrincipal, county: AreaCode | None = None
) -> list[RuleOut]:
    """Which event notifies whom on which channel (in a county when given)."""
    if county is None:
        return await _county_rules(request, "")
    return await _county_rules(request, _county(principal, county))


@router.put("/rules/{rule}", tags=["rules"], response_model=list[RuleOut])
async def put_rule(
    request: Request,
    principal: OrgAdmin,
    rule: str,
    county: Annotated[AreaCode, Query(description="the county's area code")],
    body: RuleOverrideIn,
) -> list[RuleOut]:
    """Change a default rule for one county: switch it off or use other channels."""
    _county(principal, county)
    if rule not in RULES_BY_NAME:
        raise NotFound(f"no rule {rule}")
    values = {
        "enabled": body.enabled,
        "channels": body.channels,
        "updated_by": principal.sub,
        "updated_at": _now(request),
    }
    async with _state(request).runtime.db.transaction() as session:
        changed = await session.execute(
            update(rule_overrides)
            .where(rule_overrides.c.county_area == county, rule_overrides.c.rule == rule)
            .values(**values)
        )
        if not changed.rowcount:  # type: ignore[attr-defined]
            await session.execute(
                rule_overrides.insert().values(county_area=county, rule=rule, **values)
            )
    return await _county_rules(request, county)


# --- broadcasts ------------------------------------------------------------------------------


class BroadcastIn(BaseModel):
    """A notice to every member of an organisation's subtree."""

    org_unit_id: str = Field(min_length=1, max_length=64)
    title: str = Field(min_length=1, max_length=200)
    body: str = Field(min_length=1, max_length=4000)
    channels: list[str] = Field(default_factory=lambda: ["inbox"], min_length=1)

    @field_validator("channels")
    @classmethod
    def _known_channels(cls, value: list[str]) -> list[str]:
        unknown = [c for c in value if c not in PERSON_CHANNELS]
        if unknown:
            raise ValueError(f"unknown channels {unknown}; use {list(PERSON_CHANNELS)}")
        return sorted(set(value))


class BroadcastOut(BaseModel):
    """A broadcast and its progress."""

    id: str
    org_unit_id: str
    area_code: str
    title: str
    body: str
    channels: list[str]
    status: str
    recipients: int
    by_status: dict[str, int]
    created_at: datetime
    finished_at: datetime | None


async def _broadcast_out(session: Any, row: Any) -> BroadcastOut:
    return BroadcastOut(
        **{k: getattr(row, k) for k in BroadcastOut.model_fields if k != "by_status"},
        by_status=await broadcast_progress(session, row.id),
    )


@router.post("/broadcasts", tags=["broadcasts"], status_code=201, response_model=BroadcastOut)
async def post_broadcast(
    request: Request, principal: Cadre, body: BroadcastIn, response: Response
) -> BroadcastOut:
    """Send a notice to the unit's subtree; fanned out in batches in the background."""
    state = _state(request)
    async with state.runtime.db.transaction() as session:
        unit = await get_unit(session, body.org_unit_id)
        if unit is None:
            raise Invalid("org_unit_id", "unknown organisation unit")
        principal.require_area(unit.area_code)
        broadcast_id = await create_broadcast(
            session,
            org_unit_id=unit.id,
            area_code=unit.area_code,
            title=body.title,
            body=body.body,
            channels=body.channels,
            created_by=principal.sub,
            now=_now(request),
        )
    state.broadcaster.wake()
    response.headers["Location"] = f"/v1/broadcasts/{broadcast_id}"
    async with state.runtime.db.read_only() as session:
        row = (
            await session.execute(select(broadcasts).where(broadcasts.c.id == broadcast_id))
        ).one()
        return await _broadcast_out(session, row)


@router.get("/broadcasts/{broadcast_id}", tags=["broadcasts"], response_model=BroadcastOut)
async def get_broadcast(
    request: Request, principal: CurrentPrincipal, broadcast_id: str
) -> BroadcastOut:
    """A broadcast with its progress and counts by status."""
    async with _state(request).runtime.db.read_only() as session:
        row = (
            await session.execute(select(broadcasts).where(broadcasts.c.id == broadcast_id))
        ).first()
        if row is None or not principal.covers(row.area_code):
            raise NotFound(f"no broadcast {broadcast_id}")
        return await _broadcast_out(session, row)


@router.get("/broadcasts", tags=["broadcasts"], response_model=Page[BroadcastOut])
async def list_broadcasts(
    request: Request, principal: CurrentPrincipal, limit: Limit = 50, cursor: Cursor = None
) -> Page[BroadcastOut]:
    """Broadcasts inside the token's subtree, newest first."""
    query = select(broadcasts).where(broadcasts.c.area_code.startswith(principal.area_prefix))
    after = decode_cursor(cursor)
    if after is not None:
        query = query.where(broadcasts.c.id < str(after))
    async with _state(request).runtime.db.read_only() as session:
        rows = (
            await session.execute(query.order_by(broadcasts.c.id.desc()).limit(limit + 1))
        ).all()
        items = [await _broadcast_out(session, r) for r in rows[:limit]]
    return Page(items=items, next_cursor=encode_cursor(items[-1].id) if len(rows) > limit else None)


# --- public board ----------------------------------------------------------------------------


class BoardItem(BaseModel):
    """A public item: a check-in, a claimed post, a ranking or result."""

    id: str
    kind: str
    area_code: str
    org_unit_id: str | None
    org_unit_name: str | None
    member_id: str | None
    member_name: str | None
    content: dict[str, Any]
    published_at: datetime


@router.get("/board", tags=["board"], response_model=Page[BoardItem])
async def public_board(
    request: Request,
    area: Annotated[AreaCode, Query(description="12-digit area code")],
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[BoardItem]:
    """Public items for an area and the areas enclosing it (no token needed)."""
    codes = [*parent_area_codes(area), area]
    query = select(board_items).where(board_items.c.area_code.in_(codes))
    after = decode_cursor(cursor)
    if after is not None:
        query = query.where(board_items.c.id < str(after))
    state = _state(request)
    async with state.runtime.db.read_only() as session:
        rows = (
            await session.execute(query.order_by(board_items.c.id.desc()).limit(limit + 1))
        ).all()
        page = rows[:limit]
        member_ids = {r.member_id for r in page if r.member_id}
        for r in page:
            member_ids |= {
                e["member_id"] for e in r.content.get("entries", []) if e.get("member_id")
            }
        people = await load_contacts(session, state.sealer, [f"member:{m}" for m in member_ids])
        names = {
            rid.partition(":")[2]: c.name
            for rid, c in people.items()
            if c.public_name_consent and not c.erased and c.name
        }
        items = []
        for r in page:
            unit = await get_unit(session, r.org_unit_id) if r.org_unit_id else None
            content = dict(r.content)
            if "entries" in content:
                entries = []
                for entry in content["entries"]:
                    entry = dict(entry)
                    if entry.get("org_unit_id"):
                        entry_unit = await get_unit(session, entry["org_unit_id"])
                        entry["org_unit_name"] = entry_unit.name if entry_unit else None
                    if entry.get("member_id"):
                        entry["member_name"] = names.get(entry["member_id"])
                    entries.append(entry)
                content["entries"] = entries
            items.append(
                BoardItem(
                    id=r.id,
                    kind=r.kind,
                    area_code=r.area_code,
                    org_unit_id=r.org_unit_id,
                    org_unit_name=unit.name if unit else None,
                    member_id=r.member_id,
                    member_name=names.get(r.member_id) if r.member_id else None,
                    content=content,
                    published_at=r.published_at,
                )
            )
    return Page(items=items, next_cursor=encode_cursor(items[-1].id) if len(rows) > limit else None)


# --- webhooks --------------------------------------------------------------------------------


class WebhookIn(BaseModel):
    """A subscription of another system to events of an area."""

    url: str = Field(min_length=8, max_length=500)
    event_types: list[str] = Field(min_length=1)
    area_code: AreaCode
    secret: str = Field(min_length=16, max_length=200)

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL")
        return value

    @field_validator("event_types")
    @classmethod
    def _known_types(cls, value: list[str]) -> list[str]:
        public = {t for t, m in REGISTRY.items() if not m.PERSONAL}
        unknown = [t for t in value if t != "*" and t not in public]
        if unknown:
            raise ValueError(f"unknown or private event types {unknown}")
        return sorted(set(value))


class WebhookOut(BaseModel):
    """A subscription as answered (the secret is never shown again)."""

    id: str
    url: str
    event_types: list[str]
    area_code: str
    status: str
    consecutive_failures: int
    paused_reason: str | None
    created_at: datetime


def _webhook_out(row: Any) -> WebhookOut:
    return WebhookOut(**{k: getattr(row, k) for k in WebhookOut.model_fields})


@router.post("/webhooks", tags=["webhooks"], status_code=201, response_model=WebhookOut)
async def post_webhook(request: Request, principal: OrgAdmin, body: WebhookIn) -> WebhookOut:
    """Subscribe a URL to event types of an area (org admins of that area)."""
    principal.require_area(body.area_code)
    state = _state(request)
    webhook_id = new_id()
    values = {
        "id": webhook_id,
        "url": body.url,
        "event_types": body.event_types,
        "area_code": body.area_code,
        "sealed_secret": state.sealer.seal(
            webhook_id, {"secret": body.secret}, field="webhook_secret"
        ),
        "status": "active",
        "consecutive_failures": 0,
        "paused_reason": None,
        "created_by": principal.sub,
        "created_at": _now(request),
    }
    async with state.runtime.db.transaction() as session:
        await session.execute(webhooks.insert().values(**values))
    state.ingest.forget_subscriptions()
    return WebhookOut(**{k: values[k] for k in WebhookOut.model_fields})


@router.get("/webhooks", tags=["webhooks"], response_model=Page[WebhookOut])
async def list_webhooks(
    request: Request, principal: OrgAdmin, limit: Limit = 50, cursor: Cursor = None
) -> Page[WebhookOut]:
    """Subscriptions inside the token's subtree, with their state (paused ones say why)."""
    query = select(webhooks).where(webhooks.c.area_code.startswith(principal.area_prefix))
    after = decode_cursor(cursor)
    if after is not None:
        query = query.where(webhooks.c.id > str(after))
    async with _state(request).runtime.db.read_only() as session:
        rows = (await session.execute(query.order_by(webhooks.c.id).limit(limit + 1))).all()
    items = [_webhook_out(r) for r in rows[:limit]]
    return Page(items=items, next_cursor=encode_cursor(items[-1].id) if len(rows) > limit else None)


async def _own_webhook(request: Request, principal: Principal, webhook_id: str) -> Any:
    principal.require_role("org_admin")
    async with _state(request).runtime.db.read_only() as session:
        row = (await session.execute(select(webhooks).where(webhooks.c.id == webhook_id))).first()
    if row is None or not principal.covers(row.area_code):
        raise NotFound(f"no webhook {webhook_id}")
    return row


@router.post("/webhooks/{webhook_id}/resume", tags=["webhooks"], response_model=WebhookOut)
async def resume_webhook(request: Request, principal: OrgAdmin, webhook_id: str) -> WebhookOut:
    """Resume a paused subscription."""
    row = await _own_webhook(request, principal, webhook_id)
    if row.status != "paused":
        raise Conflict(f"webhook {webhook_id} is {row.status}, not paused")
    async with _state(request).runtime.db.transaction() as session:
        await session.execute(
            update(webhooks)
            .where(webhooks.c.id == webhook_id)
            .values(status="active", consecutive_failures=0, paused_reason=None)
        )
        row = (await session.execute(select(webhooks).where(webhooks.c.id == webhook_id))).one()
    _state(request).ingest.forget_subscriptions()
    return _webhook_out(row)


@router.delete("/webhooks/{webhook_id}", tags=["webhooks"], status_code=204)
async def delete_webhook(request: Request, principal: OrgAdmin, webhook_id: str) -> Response:
    """Cancel a subscription; queued deliveries are dropped."""
    await _own_webhook(request, principal, webhook_id)
    async with _state(request).runtime.db.transaction() as session:
        await session.execute(
            update(webhooks).where(webhooks.c.id == webhook_id).values(status="deleted")
        )
    _state(request).ingest.forget_subscriptions()
    return Response(status_code=204)


# --- development SMS sink --------------------------------------------------------------------


class SinkMessage(BaseModel):
    """What the SMS channel posts to a gateway for one message."""

    to: str
    text: str
    segments: int
    reference: str | None = None


class SinkIn(BaseModel):
    """One message, or a batch of them under `messages`."""

    to: str | None = None
    text: str | None = None
    segments: int = 1
    reference: str | None = None
    messages: list[SinkMessage] | None = None

    def all_messages(self) -> list[SinkMessage]:
        """The messages of either form; 422 naming the field when neither is complete."""
        if self.messages is not None:
            return self.messages
        if self.to is None or self.text is None:
            raise Invalid("to", "a message needs `to` and `text` (or send `messages`)")
        return [
            SinkMessage(
                to=self.to, text=self.text, segments=self.segments, reference=self.reference
            )
        ]


class SinkOut(BaseModel):
    """A recorded message (number masked)."""

    id: int
    reference: str | None
    to_masked: str
    text: str
    segments: int
    received_at: datetime


@dev_router.post("/sms-sink", status_code=202)
async def sms_sink_receive(request: Request, body: SinkIn) -> dict[str, Any]:
    """The development SMS gateway: records what would have been sent."""
    messages = body.all_messages()
    if not messages:
        return {"status": "accepted", "results": []}
    now = _now(request)
    async with _state(request).runtime.db.transaction() as session:
        await session.execute(
            sms_sink.insert(),
            [
                {
                    "reference": m.reference,
                    "to_masked": mask_phone(m.to),
                    "text": m.text,
                    "segments": m.segments,
                    "received_at": now,
                }
                for m in messages
            ],
        )
    results = [{"reference": m.reference, "accepted": True} for m in messages]
    return {"status": "accepted", "results": results}


@dev_router.get("/sms-sink", response_model=Page[SinkOut])
async def sms_sink_list(
    request: Request, principal: OrgAdmin, limit: Limit = 50, cursor: Cursor = None
) -> Page[SinkOut]:
    """What the development sink recorded for the token's area, newest first (admins)."""
    sent = notifications.c.area_code.startswith(principal.area_prefix)
    if not principal.area_prefix:
        sent = sent | notifications.c.id.is_(None)  # messages of no notification: root only
    query = (
        select(sms_sink)
        .select_from(sms_sink.outerjoin(notifications, notifications.c.id == sms_sink.c.reference))
        .where(sent)
    )
    after = decode_cursor(cursor)
    if after is not None:
        query = query.where(sms_sink.c.id < int(after))
    async with _state(request).runtime.db.read_only() as session:
        rows = (await session.execute(query.order_by(sms_sink.c.id.desc()).limit(limit + 1))).all()
    items = [SinkOut(**{k: getattr(r, k) for k in SinkOut.model_fields}) for r in rows[:limit]]
    return Page(items=items, next_cursor=encode_cursor(items[-1].id) if len(rows) > limit else None)
