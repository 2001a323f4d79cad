"""Notifications service settings."""

from __future__ import annotations

from typing import ClassVar

from grassroots.kit.settings import ServiceSettings


class NotificationsSettings(ServiceSettings):
    """`GR_*` settings plus `GR_NOTIFICATIONS_DATABASE_URL` and `GR_NOTIFICATIONS_PORT`."""

    SERVICE: ClassVar[str] = "notifications"
    DEFAULT_PORT: ClassVar[int] = 8003

    notifications_database_url: str | None = None
    notifications_port: int | None = None
