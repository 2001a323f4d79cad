"""JetStream stream definitions: one stream per domain, plus the private notify commands."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StreamSpec:
    """What a stream is called and which subjects it keeps."""

    name: str
    domain: str
    subjects: tuple[str, ...]
    description: str
    # Limits retention: kept long enough to rebuild every read model by replay.
    max_age_days: int = 3650
    duplicate_window_seconds: int = 120
    # Holds citizens' requests or member changes: an acknowledged write stays, so no client
    # may delete a message or purge the stream through the API (deny_delete, deny_purge).
    keeps_records: bool = False


MEMBERS = StreamSpec(
    "GR_MEMBERS",
    "members",
    ("gr.members.v1.>",),
    "Member registry and org tree",
    keeps_records=True,
)
REQUESTS = StreamSpec(
    "GR_REQUESTS", "requests", ("gr.requests.v1.>",), "Citizens' requests", keeps_records=True
)
NOTIFICATIONS = StreamSpec(
    "GR_NOTIFICATIONS", "notifications", ("gr.notifications.v1.>",), "Notification outcomes"
)
EVALUATION = StreamSpec("GR_EVALUATION", "evaluation", ("gr.evaluation.v1.>",), "Evaluations")
# Commands carrying contact details; only the notifications service may read them.
NOTIFY = StreamSpec(
    "GR_NOTIFY", "notify", ("gr.notify.v1.>",), "Private notify commands", max_age_days=30
)

ALL_STREAMS: tuple[StreamSpec, ...] = (MEMBERS, REQUESTS, NOTIFICATIONS, EVALUATION, NOTIFY)
STREAM_BY_DOMAIN = {spec.domain: spec for spec in ALL_STREAMS}
