"""Notifications service settings."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, model_validator

from grassroots.kit.settings import ServiceSettings

# The development passphrase of earlier releases: refused in production, and its values
# still open in development.
DEV_CONTACT_KEY = "grassroots-development-contact-key-change-me"


class NotificationsSettings(ServiceSettings):
    """`GR_*` settings plus `GR_NOTIFICATIONS_DATABASE_URL` and `GR_NOTIFICATIONS_PORT`."""

    SERVICE: ClassVar[str] = "notifications"
    DEFAULT_PORT: ClassVar[int] = 8003

    notifications_database_url: str | None = None
    notifications_port: int | None = None
    # Key ring for contacts and webhook secrets, as JSON ({"<id>": "<base64 32 bytes>"}), and
    # the id of the key that seals new values.
    notifications_contact_keys: dict[str, str] = Field(default_factory=dict)
    notifications_contact_key_id: str | None = None
    # The single key of earlier releases (base64 of 32 bytes, or a passphrase hashed with
    # SHA-256): it joins the ring as key `contact` and still opens the values sealed before
    # the ring. In development, when no key is set, one is derived from the JWT secret.
    notifications_contact_key: str | None = None
    # SMS gateway; unset outside production means this service's own development sink.
    notifications_sms_gateway_url: str | None = None
    notifications_sms_gateway_token: str | None = None
    notifications_dev_sms_sink: bool = True
    # Messages per gateway request; above 1 the gateway must take {"messages": [...]}.
    notifications_sms_batch_size: int = Field(default=1, ge=1, le=1000)
    notifications_smtp_host: str | None = None
    notifications_smtp_port: int = 25
    notifications_smtp_username: str | None = None
    notifications_smtp_password: str | None = None
    notifications_smtp_starttls: bool = False
    notifications_mail_from: str = "noreply@grassroots.example.org"
    notifications_max_attempts: int = Field(default=6, ge=1)
    notifications_retry_base_seconds: float = Field(default=2.0, gt=0)
    notifications_retry_cap_seconds: float = Field(default=900.0, gt=0)
    notifications_dispatch_batch: int = Field(default=500, ge=1)
    notifications_dispatch_concurrency: int = Field(default=64, ge=1)
    notifications_dispatch_poll_seconds: float = Field(default=0.5, gt=0)
    notifications_lease_seconds: float = Field(default=120.0, gt=0)
    notifications_rate_limit_count: int = Field(default=10, ge=1)
    notifications_rate_limit_window_seconds: int = Field(default=3600, ge=1)
    notifications_quiet_start: str = "22:00"
    notifications_quiet_end: str = "07:00"
    notifications_utc_offset_hours: float = 8.0
    notifications_broadcast_batch: int = Field(default=1000, ge=1)
    notifications_webhook_pause_after: int = Field(default=10, ge=1)
    notifications_http_timeout_seconds: float = Field(default=10.0, gt=0)

    @model_validator(mode="after")
    def _refuse_dev_key_in_production(self) -> NotificationsSettings:
        if self.env == "production" and (
            self.notifications_contact_key == DEV_CONTACT_KEY
            or not (self.notifications_contact_key or self.notifications_contact_keys)
        ):
            raise ValueError(
                "GR_NOTIFICATIONS_CONTACT_KEYS (or GR_NOTIFICATIONS_CONTACT_KEY) must be set"
                " in production"
            )
        return self

    def sms_gateway_url(self) -> str | None:
        """The configured gateway, else the development sink of this very service."""
        if self.notifications_sms_gateway_url:
            return self.notifications_sms_gateway_url
        if self.dev_sms_sink_mounted:
            return f"http://{self.host}:{self.port}/dev/sms-sink"
        return None

    @property
    def dev_sms_sink_mounted(self) -> bool:
        """The development SMS sink exists only in development (and the test harness)."""
        return self.env in ("development", "test") and self.notifications_dev_sms_sink
