"""Use cases of notification rules: plan what an event notifies, and counties' overrides."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from typing import Any

from grassroots.contracts.area import Tier, area_tier
from grassroots.contracts.envelope import CloudEvent
from grassroots.contracts.events import evaluation as ev
from grassroots.contracts.events import members as mem
from grassroots.contracts.events import requests as req
from grassroots.contracts.events.base import REGISTRY
from grassroots.kit.auth import Principal
from grassroots.kit.db import AsyncSession
from grassroots.kit.orgtree import get_unit
from grassroots.kit.problems import Invalid, NotFound
from grassroots.notifications import metrics
from grassroots.notifications.adapters import recipients as people
from grassroots.notifications.adapters import templates as repo
from grassroots.notifications.adapters.notifications import add_notifications
from grassroots.notifications.domain.notification import notification_row
from grassroots.notifications.domain.policy import (
    DEFAULT_RULES,
    RULES_BY_NAME,
    Rule,
    applies,
    chosen_channels,
    county_of,
    first_and_fallbacks,
    rules_for,
    with_override,
)
from grassroots.notifications.service.commands import RuleOverrideIn
from grassroots.notifications.service.deps import Deps

log = logging.getLogger(__name__)

Recipient = tuple[str, str, str, dict[str, Any]]


def local_text(moment: datetime | None, offset_hours: float = 8.0) -> str:
    """A date and time as people in the county read it (local time, minutes)."""
    if moment is None:
        return ""
    return moment.astimezone(timezone(timedelta(hours=offset_hours))).strftime("%Y-%m-%d %H:%M")


async def _member_area(session: AsyncSession, member_id: str, fallback: str) -> str:
    unit_id = await people.member_unit_id(session, member_id)
    unit = await get_unit(session, unit_id) if unit_id else None
    return unit.area_code if unit else fallback


async def _recipients(
    session: AsyncSession, rule: Rule, data: Any, event: CloudEvent
) -> list[Recipient]:
    """(recipient id, kind, area code, extra context) for each person a rule addresses."""
    if rule.audience == "citizen":
        return [(f"citizen:{data.request_id}", "citizen", data.area_code, {})]
    if rule.audience == "handler":
        if not data.handler_member_id:
            return []
        member_id = data.handler_member_id
        area = await _member_area(session, member_id, event.areacode)
        return [(f"member:{member_id}", "member", area, {})]
    if rule.audience == "supervisors":
        unit_id = getattr(data, rule.unit_field)
        rows = await people.active_members_of_unit(session, unit_id)
        unit = await get_unit(session, unit_id)
        area = unit.area_code if unit else event.areacode
        return [
            (f"member:{r.member_id}", "member", area, {})
            for r in rows
            if "supervisor" in (r.duties or [])
        ]
    if isinstance(data, ev.EvaluationPublished):
        out = []
        for entry in data.entries:
            if entry.member_id:
                area = await _member_area(session, entry.member_id, event.areacode)
                extra = {"grade": entry.grade or "", "score": entry.score}
                out.append((f"member:{entry.member_id}", "member", area, extra))
        return out
    member_id = data.member_id
    area = await _member_area(session, member_id, event.areacode)
    return [(f"member:{member_id}", "member", area, {})]


def _context(deps: Deps, data: Any) -> dict[str, Any]:
    """Template variables from an event (no personal data; the contact adds its own)."""
    if isinstance(data, ev.EvaluationPublished):
        return {"period": data.period, "kind": data.kind}
    if isinstance(data, mem.TransferStatusChanged):
        return {
            "transfer_id": data.transfer_id,
            "status": data.status,
            "valid_until": data.valid_until.isoformat() if data.valid_until else "",
        }
    context: dict[str, Any] = {
        "request_id": data.request_id,
        "service_code": data.service_code,
        "due_at": local_text(data.due_at),
    }
    if isinstance(data, req.RequestExplained):
        context["expected_by"] = local_text(data.expected_by) or "—"
        context["reason"] = deps.explanation_text
    if isinstance(data, req.RequestEscalated):
        context["cause"] = data.cause
    return context


async def notify_by_rules(session: AsyncSession, deps: Deps, event: CloudEvent) -> None:
    """Create the notifications the default rules ask for (each once per channel)."""
    rules = rules_for(event.type)
    if not rules:
        return
    data = REGISTRY[event.type].model_validate(event.data)
    await apply_rules(session, deps, event, data, rules)


async def county_rules(session: AsyncSession, area_code: str, rules: list[Rule]) -> list[Rule]:
    """The rules as the event's county configured them."""
    if not rules:
        return rules
    overrides = await repo.rule_overrides_of(
        session, county_of(area_code), [rule.name for rule in rules]
    )
    out = []
    for rule in rules:
        override = overrides.get(rule.name)
        changed = with_override(rule, override.enabled, override.channels) if override else rule
        if changed is not None:
            out.append(changed)
    return out


async def apply_rules(
    session: AsyncSession, deps: Deps, event: CloudEvent, data: Any, rules: list[Rule]
) -> None:
    """Plan one notification per rule, recipient and usable channel."""
    now = deps.clock()
    rules = [rule for rule in rules if applies(rule, data)]
    rules = await county_rules(session, event.areacode, rules)
    planned: list[tuple[Rule, str, str, str, dict[str, Any]]] = []
    for rule in rules:
        for recipient, kind, area, extra in await _recipients(session, rule, data, event):
            planned.append((rule, recipient, kind, area, extra))
    ids = [p[1] for p in planned]
    known = await people.load_contacts(session, deps.sealer, ids)
    prefs = await people.load_preferences(session, ids)
    base_context = _context(deps, data)
    rows = []
    for rule, recipient, kind, area, extra in planned:
        contact = known.get(recipient)
        if contact is not None and contact.erased:
            metrics.DROPPED.inc()
            log.info(
                "notification dropped: contact erased",
                extra={"rule": rule.name, "recipient": recipient, "event_id": event.id},
            )
            continue
        opted_out = set(prefs[recipient].opted_out) if recipient in prefs else set()
        reachable = contact.reachable() if contact is not None else None
        channels = chosen_channels(rule, kind, opted_out, reachable)
        for channel, fallbacks in first_and_fallbacks(rule, channels):
            context = {**base_context, **extra}
            if fallbacks:
                context["fallback_channels"] = fallbacks
            rows.append(
                notification_row(
                    cause_id=event.id,
                    recipient_id=recipient,
                    recipient_kind="supervisor" if rule.audience == "supervisors" else kind,
                    channel=channel,
                    rule=rule.name,
                    template_key=rule.template,
                    context=context,
                    area_code=area,
                    now=now,
                    critical=rule.critical,
                    urgent=rule.skips_quiet_hours,
                    request_id=getattr(data, "request_id", None),
                )
            )
    await add_notifications(session, rows)


def _county(principal: Principal, county: str) -> str:
    if area_tier(county) != Tier.COUNTY:
        raise Invalid("county", "must be a county's 12-digit area code")
    principal.require_area(county)
    return county


async def _rules_of(session: AsyncSession, county: str) -> list[dict[str, Any]]:
    overrides = await repo.rule_overrides_of(session, county)
    out = []
    for rule in DEFAULT_RULES:
        override = overrides.get(rule.name)
        out.append(
            {
                "name": rule.name,
                "event_type": rule.event_type,
                "audience": rule.audience,
                "template": rule.template,
                "channels": list(override.channels if override else rule.channels),
                "critical": rule.critical,
                "urgent": rule.urgent,
                "enabled": override.enabled if override else True,
                "overridden": override is not None,
            }
        )
    return out


async def show_rules(
    session: AsyncSession, principal: Principal, county: str | None
) -> list[dict[str, Any]]:
    """Which event notifies whom on which channel (in a county when given)."""
    if county is None:
        return await _rules_of(session, "")
    return await _rules_of(session, _county(principal, county))


async def change_rule(
    session: AsyncSession,
    deps: Deps,
    principal: Principal,
    rule: str,
    county: str,
    body: RuleOverrideIn,
) -> list[dict[str, Any]]:
    """Change a default rule for one county (its org admins): switch it off or change channels."""
    _county(principal, county)
    if rule not in RULES_BY_NAME:
        raise NotFound(f"no rule {rule}")
    values = {
        "enabled": body.enabled,
        "channels": body.channels,
        "updated_by": principal.sub,
        "updated_at": deps.clock(),
    }
    await repo.save_rule_override(session, county, rule, values)
    return await _rules_of(session, county)
