"""Who is told what on which channel, and when a message may leave: pure rules, no I/O."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field, replace
from datetime import datetime, time, timedelta, timezone
from typing import Literal

Channel = Literal["sms", "email", "inbox", "webhook"]
Audience = Literal["citizen", "handler", "supervisors", "member"]
Status = Literal["pending", "sent", "delivered", "failed", "retrying", "dead"]

CHANNELS: tuple[Channel, ...] = ("sms", "email", "inbox", "webhook")
STATUSES: tuple[Status, ...] = ("pending", "sent", "delivered", "failed", "retrying", "dead")
OPEN_STATUSES: tuple[Status, ...] = ("pending", "retrying")
PERSON_CHANNELS: tuple[Channel, ...] = ("sms", "email", "inbox")
# Citizens have no token, so no inbox; members read theirs at /v1/inbox.
CHANNELS_BY_KIND: dict[str, tuple[Channel, ...]] = {
    "citizen": ("sms", "email"),
    "member": ("inbox", "sms", "email"),
}


@dataclass(frozen=True)
class Rule:
    """One default rule: an event type notifies an audience through channels with a template."""

    name: str
    event_type: str
    audience: Audience
    template: str
    channels: tuple[Channel, ...]
    # Critical rules go out even on channels the recipient opted out of.
    critical: bool = False
    # Urgent rules are not held back by SMS quiet hours.
    urgent: bool = False
    # The event's field naming the unit whose supervisors an audience of supervisors means.
    unit_field: str = "org_unit_id"
    # (field, value) pairs the event must carry for the rule to apply.
    only_when: tuple[tuple[str, str], ...] = ()
    # A receipt answers the recipient's own action just taken (their tracking code): it goes
    # out at once at any hour, as urgent rules do; quiet hours hold everything else.
    receipt: bool = False
    # Channels are tried one after another: the next only when the one before failed for good.
    fallback: bool = False

    @property
    def skips_quiet_hours(self) -> bool:
        """True when quiet hours do not hold this rule's messages."""
        return self.urgent or self.receipt


def _req(name: str) -> str:
    return f"gr.requests.{name}.v1"


DEFAULT_RULES: tuple[Rule, ...] = (
    Rule(
        "citizen_submitted",
        _req("submitted"),
        "citizen",
        "request_submitted",
        ("sms", "email"),
        receipt=True,
        fallback=True,
    ),
    Rule(
        "citizen_accepted",
        _req("accepted"),
        "citizen",
        "request_accepted",
        ("sms", "email"),
        fallback=True,
    ),
    Rule(
        "citizen_escalated",
        _req("escalated"),
        "citizen",
        "request_escalated",
        ("sms", "email"),
        fallback=True,
    ),
    Rule(
        "citizen_explained",
        _req("explained"),
        "citizen",
        "request_explained",
        ("sms", "email"),
        critical=True,
        fallback=True,
    ),
    Rule(
        "citizen_resolved",
        _req("resolved"),
        "citizen",
        "request_resolved",
        ("sms", "email"),
        fallback=True,
    ),
    Rule(
        "citizen_merged",
        _req("merged"),
        "citizen",
        "request_merged",
        ("sms", "email"),
        fallback=True,
    ),
    Rule("handler_assigned", _req("assigned"), "handler", "request_assigned", ("inbox", "sms")),
    Rule(
        "supervisor_overdue",
        _req("overdue"),
        "supervisors",
        "supervisor_overdue",
        ("inbox", "sms"),
        critical=True,
    ),
    Rule(
        "supervisor_escalated",
        _req("escalated"),
        "supervisors",
        "supervisor_escalated",
        ("inbox", "sms"),
        urgent=True,
    ),
    # 延期: the citizen is told the new date of an approved extension.
    Rule(
        "citizen_extended",
        _req("extension_decided"),
        "citizen",
        "request_extended",
        ("sms", "email"),
        critical=True,
        only_when=(("decision", "approved"),),
    ),
    # 催办: most of the limit is used; the handler and the holding unit's supervisor are reminded.
    Rule("handler_chased", _req("chased"), "handler", "request_chased", ("inbox", "sms")),
    Rule("supervisor_chased", _req("chased"), "supervisors", "supervisor_chased", ("inbox",)),
    # 督办: the day after a breach, the supervisor of the breaching unit's parent.
    Rule(
        "supervisor_supervised",
        _req("supervised"),
        "supervisors",
        "supervisor_supervised",
        ("inbox", "sms"),
        critical=True,
        unit_field="supervising_org_unit_id",
    ),
    Rule(
        "member_transfer_letter",
        "gr.members.transfer_status_changed.v1",
        "member",
        "transfer_letter",
        ("inbox", "sms"),
    ),
    Rule(
        "member_evaluation_result",
        "gr.evaluation.published.v1",
        "member",
        "evaluation_result",
        ("inbox",),
    ),
)
RULES_BY_NAME = {rule.name: rule for rule in DEFAULT_RULES}


def rules_for(event_type: str) -> list[Rule]:
    """The rules an event type triggers."""
    return [rule for rule in DEFAULT_RULES if rule.event_type == event_type]


def applies(rule: Rule, data: object) -> bool:
    """True when the event carries every value the rule asks for."""
    return all(getattr(data, field, None) == value for field, value in rule.only_when)


def county_of(area_code: str) -> str:
    """The county an area belongs to (rules are set per county)."""
    return area_code[:6].ljust(12, "0")


def with_override(rule: Rule, enabled: bool, channels: list[str]) -> Rule | None:
    """The rule as a county changed it; None when the county switched it off."""
    if not enabled:
        return None
    chosen = tuple(c for c in channels if c in PERSON_CHANNELS)
    return replace(rule, channels=chosen)  # type: ignore[arg-type]


def chosen_channels(
    rule: Rule,
    recipient_kind: str,
    opted_out: set[str],
    reachable: set[str] | None,
) -> list[Channel]:
    """Channels a rule uses for one recipient: its kind's channels, minus opt-outs unless critical.

    `reachable` is the set of channels the recipient has an address for, or None when the
    contact has not arrived yet: a member then gets the inbox only; a citizen (no inbox) gets
    every channel, and the dispatcher waits for the contact or records the missing address.
    """
    usable = [c for c in rule.channels if c in CHANNELS_BY_KIND.get(recipient_kind, ())]
    if not rule.critical:
        usable = [c for c in usable if c not in opted_out]
    if reachable is None:
        return ["inbox"] if "inbox" in usable else usable
    return [c for c in usable if c == "inbox" or c in reachable]


def first_and_fallbacks(rule: Rule, channels: list[Channel]) -> list[tuple[Channel, list[Channel]]]:
    """The channels to plan now, each with the ones to fall back to should it fail for good."""
    if rule.fallback and len(channels) > 1:
        return [(channels[0], channels[1:])]
    return [(channel, []) for channel in channels]


# --- retries -------------------------------------------------------------------------------


def retry_delay(
    attempt: int, *, base: float, cap: float, rng: random.Random | None = None
) -> float:
    """Seconds before retry number `attempt` (1-based): exponential back-off with equal jitter."""
    ceiling: float = min(cap, base * 2.0 ** (attempt - 1))
    jitter: float = (rng or random.Random()).uniform(0, ceiling / 2)
    return ceiling / 2 + jitter


# --- quiet hours ---------------------------------------------------------------------------


@dataclass(frozen=True)
class QuietHours:
    """A nightly window (local time) in which non-urgent SMS wait for the morning."""

    start: time = time(22, 0)
    end: time = time(7, 0)
    utc_offset_hours: float = 8.0

    def _local(self, moment: datetime) -> datetime:
        return moment.astimezone(timezone(timedelta(hours=self.utc_offset_hours)))

    def is_quiet(self, moment: datetime) -> bool:
        """True when `moment` falls inside the window."""
        now = self._local(moment).time()
        if self.start <= self.end:
            return self.start <= now < self.end
        return now >= self.start or now < self.end

    def release_at(self, moment: datetime) -> datetime:
        """The first moment at or after `moment` outside the window (the window's end)."""
        if not self.is_quiet(moment):
            return moment
        local = self._local(moment)
        release = local.replace(hour=self.end.hour, minute=self.end.minute, second=0, microsecond=0)
        if release <= local:
            release += timedelta(days=1)
        return release.astimezone(moment.tzinfo)


def hold_for_quiet_hours(
    channel: str, urgent: bool, moment: datetime, quiet: QuietHours
) -> datetime | None:
    """When an SMS must wait: the time to release it; None when it may leave now."""
    if channel != "sms" or urgent or not quiet.is_quiet(moment):
        return None
    return quiet.release_at(moment)


# --- SMS length ----------------------------------------------------------------------------

SINGLE_SEGMENT = 70
CONCATENATED_PART = 67


def sms_segments(text: str) -> int:
    """Segments a Chinese gateway bills: 70 characters in one, 67 per part when longer."""
    length = len(text)
    if length <= SINGLE_SEGMENT:
        return 1
    return math.ceil(length / CONCATENATED_PART)


# --- rate limit ----------------------------------------------------------------------------


@dataclass(frozen=True)
class RateLimit:
    """At most `count` messages to one recipient on paid channels per `window_seconds`."""

    count: int = 10
    window_seconds: int = 3600


def rate_limited_until(sent_in_window: int, limit: RateLimit, moment: datetime) -> datetime | None:
    """When the recipient's budget is spent: the time to try again; else None."""
    if sent_in_window < limit.count:
        return None
    return moment + timedelta(seconds=limit.window_seconds / max(1, limit.count))


@dataclass(frozen=True)
class DispatchPolicy:
    """Tunables of delivery."""

    max_attempts: int = 6
    retry_base_seconds: float = 2.0
    retry_cap_seconds: float = 900.0
    batch_size: int = 500
    concurrency: int = 64
    lease_seconds: float = 120.0
    poll_seconds: float = 0.5
    webhook_pause_after: int = 10
    quiet: QuietHours = field(default_factory=QuietHours)
    rate_limit: RateLimit = field(default_factory=RateLimit)
    area_prefix: str = ""
