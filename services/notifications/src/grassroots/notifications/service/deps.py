"""What every use case of the notifications service is given, built once in `main.py`."""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from grassroots.kit.outbox import Outbox
from grassroots.notifications.adapters.channels import Channel
from grassroots.notifications.adapters.crypto import Sealer
from grassroots.notifications.adapters.webhooks import ActiveSubscriptions
from grassroots.notifications.domain.policy import DispatchPolicy

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class Deps:
    """The sealer, the clock, the outbox, the channels and the tunables of delivery."""

    sealer: Sealer
    clock: Clock
    outbox: Outbox
    channels: Mapping[str, Channel]
    policy: DispatchPolicy
    # What an explanation notice says instead of the handler's own reason (personal data).
    explanation_text: str = ""
    broadcast_batch: int = 1000
    subscriptions: ActiveSubscriptions = field(default_factory=ActiveSubscriptions)
    rng: random.Random = field(default_factory=random.Random)
