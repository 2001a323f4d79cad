"""Consumers: contacts, the member replica, notification rules, the public board, webhooks."""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from grassroots.contracts.area import is_within
from grassroots.contracts.envelope import CloudEvent
from grassroots.contracts.events import evaluation as ev
from grassroots.contracts.events import members as mem
from grassroots.contracts.events import notify
from grassroots.contracts.events import requests as req
from grassroots.contracts.events.base import REGISTRY
from grassroots.contracts.streams import EVALUATION, MEMBERS, NOTIFY, REQUESTS
from grassroots.kit.db import insert_ignoring
from grassroots.kit.messaging import ConsumerSpec
from grassroots.kit.orgtree import apply_org_unit, get_unit
from grassroots.notifications import metrics
from grassroots.notifications.adapters.crypto import Sealer
from grassroots.notifications.adapters.orm import (
    board_items,
    contacts,
    members,
    rule_overrides,
    webhooks,
)
from grassroots.notifications.domain.policy import (
    Rule,
    applies,
    chosen_channels,
    county_of,
    first_and_fallbacks,
    rules_for,
    with_override,
)
from grassroots.notifications.service.store import (
    add_notifications,
    load_contacts,
    load_preferences,
    new_id,
    notification_row,
)

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


def local_text(moment: datetime | None, offset_hours: float = 8.0) -> str:
    """A date and time as people in the county read it (local time, minutes)."""
    if moment is None:
        return ""
    from datetime import timedelta, timezone

    return moment.astimezone(timezone(timedelta(hours=offset_hours))).strftime("%Y-%m-%d %H:%M")


class Ingest:
    """Turns incoming events into replica rows, board items and pending notifications."""

    def __init__(self, sealer: Sealer, clock: Clock, explanation_text: str) -> None:
        self.sealer = sealer
        self.clock = clock
        self.explanation_text = explanation_text
        # Active subscriptions, re-read at most once a second: every event consults them.
        self._subscriptions: list[Any] = []
        self._subscriptions_read_at = -1.0
        self.subscription_ttl_seconds = 1.0

    def consumers(self) -> list[ConsumerSpec]:
        """Every consumer of the service."""
        contacts_spec = ConsumerSpec("contacts", NOTIFY)
        contacts_spec.handlers[notify.ContactUpserted.event_type()] = self.upsert_contact
        contacts_spec.handlers[notify.ContactErased.event_type()] = self.erase_contact

        members_spec = ConsumerSpec("members", MEMBERS)
        members_spec.handlers[mem.OrgUnitCreated.event_type()] = self.with_webhooks(apply_org_unit)
        members_spec.handlers[mem.OrgUnitUpdated.event_type()] = self.with_webhooks(apply_org_unit)
        for model in (mem.MemberRegistered, mem.MemberUpdated):
            members_spec.handlers[model.event_type()] = self.with_webhooks(self.upsert_member)
        members_spec.handlers[mem.MemberTransferred.event_type()] = self.with_webhooks(
            self.move_member
        )
        members_spec.handlers[mem.MemberExited.event_type()] = self.with_webhooks(
            self.retire_member
        )
        members_spec.handlers[mem.MemberCheckedIn.event_type()] = self.with_webhooks(
            self.post_check_in
        )
        members_spec.handlers[mem.PostClaimed.event_type()] = self.with_webhooks(
            self.post_claimed_post
        )
        members_spec.handlers[mem.CommitmentPublished.event_type()] = self.with_webhooks(
            self.post_commitment
        )
        members_spec.handlers[mem.TransferStatusChanged.event_type()] = self.with_webhooks(
            self.notify_by_rules
        )
        for event_type in REGISTRY:
            if event_type.startswith("gr.members.") and event_type not in members_spec.handlers:
                members_spec.handlers[event_type] = self.with_webhooks(None)

        requests_spec = ConsumerSpec("requests", REQUESTS)
        for event_type in REGISTRY:
            if event_type.startswith("gr.requests."):
                requests_spec.handlers[event_type] = self.with_webhooks(self.notify_by_rules)

        evaluation_spec = ConsumerSpec("evaluation", EVALUATION)
        evaluation_spec.handlers[ev.EvaluationPublished.event_type()] = self.with_webhooks(
            self.publish_evaluation
        )
        return [contacts_spec, members_spec, requests_spec, evaluation_spec]

    # --- contacts --------------------------------------------------------------------------

    async def upsert_contact(self, session: AsyncSession, event: CloudEvent) -> None:
        """Store (sealed) the contact details of a citizen or member."""
        data = notify.ContactUpserted.model_validate(event.data)
        sealed = self.sealer.seal(
            data.recipient_id,
            {
                "name": data.name,
                "phone": data.phone,
                "email": data.email,
                "tracking_code": data.tracking_code,
            },
            field="contact",
        )
        values = {
            "recipient_id": data.recipient_id,
            "recipient_kind": data.recipient_kind,
            "sealed": sealed,
            "org_unit_id": data.org_unit_id,
            "request_id": data.request_id,
            "public_name_consent": data.public_name_consent,
            "erased_at": None,
            "updated_at": self.clock(),
        }
        inserted = await session.execute(
            insert_ignoring(session, contacts, ["recipient_id"]).values(**values)
        )
        if not inserted.rowcount:  # type: ignore[attr-defined]
            await session.execute(
                update(contacts)
                .where(contacts.c.recipient_id == data.recipient_id)
                .values(**values)
            )

    async def erase_contact(self, session: AsyncSession, event: CloudEvent) -> None:
        """Forget a recipient's details; later notifications to them are dropped."""
        data = notify.ContactErased.model_validate(event.data)
        values = {
            "recipient_id": data.recipient_id,
            "recipient_kind": data.recipient_id.partition(":")[0] or "citizen",
            "sealed": None,
            "org_unit_id": None,
            "request_id": None,
            "public_name_consent": False,
            "erased_at": self.clock(),
            "updated_at": self.clock(),
        }
        inserted = await session.execute(
            insert_ignoring(session, contacts, ["recipient_id"]).values(**values)
        )
        if not inserted.rowcount:  # type: ignore[attr-defined]
            await session.execute(
                update(contacts)
                .where(contacts.c.recipient_id == data.recipient_id)
                .values(**values)
            )
        log.info("contact erased", extra={"recipient": data.recipient_id})

    # --- member replica --------------------------------------------------------------------

    async def upsert_member(self, session: AsyncSession, event: CloudEvent) -> None:
        """Keep a member's unit and duties; an older version never overwrites a newer one."""
        model = mem.MemberUpdated if event.type == mem.MemberUpdated.event_type() else None
        data = (model or mem.MemberRegistered).model_validate(event.data)
        values = {
            "member_id": data.member_id,
            "org_unit_id": data.org_unit_id,
            "duties": list(data.duties),
            "active": True,
            "version": data.version,
        }
        inserted = await session.execute(
            insert_ignoring(session, members, ["member_id"]).values(**values)
        )
        if not inserted.rowcount:  # type: ignore[attr-defined]
            await session.execute(
                update(members)
                .where(members.c.member_id == data.member_id, members.c.version < data.version)
                .values(**values)
            )

    async def _apply_member_change(
        self, session: AsyncSession, member_id: str, version: int, values: dict[str, Any]
    ) -> None:
        """Apply a newer change; when it outruns the registration, keep it as the first row."""
        inserted = await session.execute(
            insert_ignoring(session, members, ["member_id"]).values(
                {"member_id": member_id, "duties": [], "active": True, "version": version} | values
            )
        )
        if not inserted.rowcount:  # type: ignore[attr-defined]
            await session.execute(
                update(members)
                .where(members.c.member_id == member_id, members.c.version < version)
                .values(version=version, **values)
            )

    async def move_member(self, session: AsyncSession, event: CloudEvent) -> None:
        """A transfer was accepted: the member now belongs to another unit."""
        data = mem.MemberTransferred.model_validate(event.data)
        await self._apply_member_change(
            session, data.member_id, data.version, {"org_unit_id": data.org_unit_id}
        )

    async def retire_member(self, session: AsyncSession, event: CloudEvent) -> None:
        """An exited member receives no broadcasts."""
        data = mem.MemberExited.model_validate(event.data)
        await self._apply_member_change(
            session,
            data.member_id,
            data.version,
            {"org_unit_id": data.org_unit_id, "active": False},
        )

    # --- rules -----------------------------------------------------------------------------

    async def _member_area(self, session: AsyncSession, member_id: str, fallback: str) -> str:
        unit_id = await session.scalar(
            select(members.c.org_unit_id).where(members.c.member_id == member_id)
        )
        unit = await get_unit(session, unit_id) if unit_id else None
        return unit.area_code if unit else fallback

    async def _recipients(
        self, session: AsyncSession, rule: Rule, data: Any, event: CloudEvent
    ) -> list[tuple[str, str, str, dict[str, Any]]]:
        """(recipient id, kind, area code, extra context) for each person a rule addresses."""
        if rule.audience == "citizen":
            return [(f"citizen:{data.request_id}", "citizen", data.area_code, {})]
        if rule.audience == "handler":
            if not data.handler_member_id:
                return []
            member_id = data.handler_member_id
            area = await self._member_area(session, member_id, event.areacode)
            return [(f"member:{member_id}", "member", area, {})]
        if rule.audience == "supervisors":
            unit_id = getattr(data, rule.unit_field)
            rows = (
                await session.execute(
                    select(members.c.member_id, members.c.duties).where(
                        members.c.org_unit_id == unit_id, members.c.active.is_(True)
                    )
                )
            ).all()
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
                    area = await self._member_area(session, entry.member_id, event.areacode)
                    extra = {"grade": entry.grade or "", "score": entry.score}
                    out.append((f"member:{entry.member_id}", "member", area, extra))
            return out
        member_id = data.member_id
        area = await self._member_area(session, member_id, event.areacode)
        return [(f"member:{member_id}", "member", area, {})]

    def _context(self, data: Any) -> dict[str, Any]:
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
            context["reason"] = self.explanation_text
        if isinstance(data, req.RequestEscalated):
            context["cause"] = data.cause
        return context

    async def notify_by_rules(self, session: AsyncSession, event: CloudEvent) -> None:
        """Create the notifications the default rules ask for (each once per channel)."""
        rules = rules_for(event.type)
        if not rules:
            return
        data = REGISTRY[event.type].model_validate(event.data)
        await self.apply_rules(session, event, data, rules)

    async def county_rules(
        self, session: AsyncSession, area_code: str, rules: list[Rule]
    ) -> list[Rule]:
        """The rules as the event's county configured them."""
        if not rules:
            return rules
        overrides = {
            r.rule: r
            for r in (
                await session.execute(
                    select(rule_overrides).where(
                        rule_overrides.c.county_area == county_of(area_code),
                        rule_overrides.c.rule.in_([rule.name for rule in rules]),
                    )
                )
            ).all()
        }
        out = []
        for rule in rules:
            override = overrides.get(rule.name)
            changed = with_override(rule, override.enabled, override.channels) if override else rule
            if changed is not None:
                out.append(changed)
        return out

    async def apply_rules(
        self, session: AsyncSession, event: CloudEvent, data: Any, rules: list[Rule]
    ) -> None:
        """Plan one notification per rule, recipient and usable channel."""
        now = self.clock()
        rules = [rule for rule in rules if applies(rule, data)]
        rules = await self.county_rules(session, event.areacode, rules)
        planned: list[tuple[Rule, str, str, str, dict[str, Any]]] = []
        for rule in rules:
            for recipient, kind, area, extra in await self._recipients(session, rule, data, event):
                planned.append((rule, recipient, kind, area, extra))
        ids = [p[1] for p in planned]
        known = await load_contacts(session, self.sealer, ids)
        prefs = await load_preferences(session, ids)
        base_context = self._context(data)
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

    # --- public board ----------------------------------------------------------------------

    async def _board(
        self,
        session: AsyncSession,
        event: CloudEvent,
        kind: str,
        area_code: str,
        content: dict[str, Any],
        org_unit_id: str | None = None,
        member_id: str | None = None,
        cause_id: str | None = None,
    ) -> None:
        await session.execute(
            insert_ignoring(session, board_items, ["cause_id"]).values(
                id=new_id(),
                cause_id=cause_id or event.id,
                kind=kind,
                area_code=area_code,
                org_unit_id=org_unit_id,
                member_id=member_id,
                content=content,
                published_at=event.time,
            )
        )

    async def post_check_in(self, session: AsyncSession, event: CloudEvent) -> None:
        """A member's community check-in goes on the community's board."""
        data = mem.MemberCheckedIn.model_validate(event.data)
        unit = await get_unit(session, data.community_org_unit_id)
        area = unit.area_code if unit else event.areacode
        content = {"community": unit.name if unit else None}
        await self._board(
            session, event, "check_in", area, content, data.community_org_unit_id, data.member_id
        )

    async def post_claimed_post(self, session: AsyncSession, event: CloudEvent) -> None:
        """A claimed service post goes on the board of the unit where it is served."""
        data = mem.PostClaimed.model_validate(event.data)
        unit_id = data.post_org_unit_id or data.org_unit_id
        unit = await get_unit(session, unit_id)
        area = data.post_area_code or (unit.area_code if unit else event.areacode)
        content = {"post_id": data.post_id, "title": data.title}
        await self._board(session, event, "post_claimed", area, content, unit_id, data.member_id)

    async def post_commitment(self, session: AsyncSession, event: CloudEvent) -> None:
        """A public commitment goes on the home unit's board and the residence community's."""
        data = mem.CommitmentPublished.model_validate(event.data)
        content = {
            "commitment_id": data.commitment_id,
            "text": data.text,
            "due": data.due.isoformat() if data.due else None,
        }
        unit = await get_unit(session, data.org_unit_id)
        area = unit.area_code if unit else event.areacode
        await self._board(
            session, event, "commitment", area, content, data.org_unit_id, data.member_id
        )
        community_id, community_area = data.community_org_unit_id, data.community_area_code
        if community_id and community_area and community_id != data.org_unit_id:
            # Both units assess the member (双重考核): the community shows it as well, as a
            # second board item with a cause of its own.
            await self._board(
                session,
                event,
                "commitment",
                community_area,
                content,
                community_id,
                data.member_id,
                cause_id=f"{event.id}:community",
            )

    async def publish_evaluation(self, session: AsyncSession, event: CloudEvent) -> None:
        """Rankings and results go on the board; members hear their own result."""
        data = ev.EvaluationPublished.model_validate(event.data)
        unit = await get_unit(session, data.parent_org_unit_id)
        area = unit.area_code if unit else event.areacode
        content = {
            "publication_id": data.publication_id,
            "kind": data.kind,
            "period": data.period,
            "scheme": data.scheme,
            "entries": [e.model_dump(exclude_none=True) for e in data.entries],
        }
        await self._board(session, event, data.kind, area, content, data.parent_org_unit_id)
        await self.apply_rules(session, event, data, rules_for(event.type))

    # --- webhooks --------------------------------------------------------------------------

    def forget_subscriptions(self) -> None:
        """A subscription changed here: the next event reads them afresh, not the cached list.

        (Another replica of the service sees the change within `subscription_ttl_seconds`.)
        """
        self._subscriptions_read_at = -math.inf

    def with_webhooks(self, handler: Any) -> Any:
        """Wrap a handler so the event is also queued for every matching webhook."""

        async def handle(session: AsyncSession, event: CloudEvent) -> None:
            if handler is not None:
                await handler(session, event)
            await self.queue_webhooks(session, event)

        return handle

    async def queue_webhooks(self, session: AsyncSession, event: CloudEvent) -> None:
        """One webhook delivery per active subscription matching the event's type and area."""
        loop_time = asyncio.get_running_loop().time()
        if loop_time - self._subscriptions_read_at > self.subscription_ttl_seconds:
            self._subscriptions = list(
                (
                    await session.execute(
                        select(webhooks.c.id, webhooks.c.event_types, webhooks.c.area_code).where(
                            webhooks.c.status == "active"
                        )
                    )
                ).all()
            )
            self._subscriptions_read_at = loop_time
        subscriptions = self._subscriptions
        if not subscriptions:
            return
        now = self.clock()
        rows = [
            notification_row(
                cause_id=event.id,
                recipient_id=f"webhook:{sub.id}",
                recipient_kind="system",
                channel="webhook",
                rule="webhook",
                template_key="webhook",
                context={"event_type": event.type},
                area_code=event.areacode,
                now=now,
                webhook_id=sub.id,
                payload=event.to_json_bytes(),
            )
            for sub in subscriptions
            if (event.type in sub.event_types or "*" in sub.event_types)
            and is_within(event.areacode, sub.area_code)
        ]
        await add_notifications(session, rows)
