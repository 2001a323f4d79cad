"""A notification as stored: the row a use case plans, and the ids it carries (pure)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from uuid6 import uuid7


def new_id() -> str:
    """A time-ordered id (UUIDv7)."""
    return str(uuid7())


def broadcast_cause(broadcast_id: str) -> str:
    """The cause id every notification of a broadcast shares."""
    return f"b:{broadcast_id}"


def notification_row(
    *,
    cause_id: str,
    recipient_id: str,
    recipient_kind: str,
    channel: str,
    rule: str,
    template_key: str,
    context: dict[str, Any],
    area_code: str,
    now: datetime,
    critical: bool = False,
    urgent: bool = False,
    request_id: str | None = None,
    broadcast_id: str | None = None,
    webhook_id: str | None = None,
    payload: bytes | None = None,
) -> dict[str, Any]:
    """A new pending notification, due now."""
    return {
        "id": new_id(),
        "cause_id": cause_id,
        "recipient_id": recipient_id,
        "channel": channel,
        "recipient_kind": recipient_kind,
        "rule": rule,
        "template_key": template_key,
        "context": context,
        "critical": critical,
        "urgent": urgent,
        "area_code": area_code,
        "request_id": request_id,
        "broadcast_id": broadcast_id,
        "webhook_id": webhook_id,
        "payload": payload,
        "subject": None,
        "body": None,
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": now,
        "last_error": None,
        "created_at": now,
        "sent_at": None,
        "read_at": None,
    }
