"""In-memory stand-ins for the use cases' unit tests: a session nobody may use, fake channels."""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any, cast

from grassroots.kit.auth import Principal, Role
from grassroots.kit.db import AsyncSession
from grassroots.kit.outbox import Outbox
from grassroots.notifications.adapters.channels import Channel, DeliveryError, Outcome, Outgoing
from grassroots.notifications.adapters.crypto import Sealer
from grassroots.notifications.domain.policy import DispatchPolicy
from grassroots.notifications.service.deps import Deps

COUNTY = "230321000000"
TOWNSHIP = "230321100000"
OTHER_COUNTY = "230322000000"
NOW = datetime(2026, 11, 23, 2, tzinfo=UTC)


class NoDatabase:
    """A session that fails the test when a use case reaches the database."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the use case reached the database ({name})")


SESSION = cast(AsyncSession, NoDatabase())


def principal(role: Role, org: str = COUNTY, sub: str = "m1") -> Principal:
    """A caller of `role` whose token covers `org`."""
    return Principal(sub=sub, role=role, org=org)


def deps(channels: Mapping[str, Channel] | None = None, **policy: Any) -> Deps:
    """Deps with a fixed clock, the given channels and policy; the sealer is never used."""
    return Deps(
        sealer=cast(Sealer, None),
        clock=lambda: NOW,
        outbox=Outbox(source="/grassroots/notifications"),
        channels=channels or {},
        policy=DispatchPolicy(**policy),
        rng=random.Random(7),
    )


def row(notification_id: str, channel: str, attempts: int = 0, status: str = "pending") -> Any:
    """A leased notification as the dispatcher holds it."""
    return SimpleNamespace(id=notification_id, channel=channel, attempts=attempts, status=status)


def outgoing(notification_id: str) -> Outgoing:
    """A rendered message."""
    return Outgoing(notification_id, "13800000000", "subject", f"body {notification_id}")


class OneByOne:
    """A channel taking one message per call, answering each as `outcome` says."""

    name = "one-by-one"

    def __init__(self, outcome: Outcome | Exception = "sent") -> None:
        self.outcome = outcome
        self.sent: list[str] = []

    async def send(self, message: Outgoing) -> Outcome:
        self.sent.append(message.notification_id)
        if isinstance(self.outcome, Exception):
            raise self.outcome
        return self.outcome


class ManyAtOnce:
    """A channel taking `batch_size` messages per call; `rejected` ids fail for good."""

    name = "many-at-once"

    def __init__(self, batch_size: int, rejected: frozenset[str] = frozenset()) -> None:
        self.batch_size = batch_size
        self.rejected = rejected
        self.calls: list[list[str]] = []

    async def send(self, message: Outgoing) -> Outcome:
        raise AssertionError("a batching channel is sent batches")

    async def send_many(self, messages: list[Outgoing]) -> list[Outcome | DeliveryError]:
        self.calls.append([m.notification_id for m in messages])
        return [
            DeliveryError("rejected", retryable=False)
            if m.notification_id in self.rejected
            else "sent"
            for m in messages
        ]
