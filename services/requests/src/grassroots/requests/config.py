"""Requests service settings."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from grassroots.kit.settings import ServiceSettings


class RequestsSettings(ServiceSettings):
    """`GR_*` settings plus the requests service's own (`GR_REQUESTS_*`)."""

    SERVICE: ClassVar[str] = "requests"
    DEFAULT_PORT: ClassVar[int] = 8002

    requests_database_url: str | None = None
    requests_port: int | None = None
    # Key ring for citizens' contacts and visit notes at rest, as JSON
    # ({"<id>": "<base64 32 bytes>"}), and the id of the key that seals new values.
    requests_data_keys: dict[str, str] = Field(default_factory=dict)
    requests_data_key_id: str | None = None
    # The single key of earlier releases (a Fernet key): it joins the ring as key `data` and
    # still opens the Fernet values written before the ring. In development, when no key is
    # set, one is derived from the JWT secret.
    requests_data_key: str | None = None
    requests_sla_scan_seconds: float = Field(default=30.0, gt=0)
    requests_sla_scan_batch: int = Field(default=500, ge=1, le=10000)
    # Resolved requests without feedback close themselves after this many days.
    requests_auto_close_days: float = Field(default=7.0, gt=0)
    # Public (token-less) intake: a burst of this many per client, refilled per minute.
    requests_public_burst: int = Field(default=5, ge=1)
    requests_public_per_minute: float = Field(default=10.0, gt=0)
    # Public look-ups by tracking code (tracking page, feedback): per client, per minute.
    requests_lookup_burst: int = Field(default=30, ge=1)
    requests_lookup_per_minute: float = Field(default=30.0, gt=0)
    requests_visit_quota: int = Field(default=10, ge=1)
    requests_run_scanner: bool = True
    # How long intake keeps a catalogue item or a route it looked up (0: not at all).
    requests_lookup_cache_seconds: float = Field(default=5.0, ge=0)
    # 催办: the handler and the unit's supervisor are reminded when this share of a limit is used.
    requests_chase_fraction: float = Field(default=0.8, gt=0, lt=1)
    # 签收: a dispatched request is signed for or returned within this much working time.
    requests_sign_for_hours: float = Field(default=2.0, gt=0)
    # Waiting for the citizen ends by itself after this many working days.
    requests_max_wait_days: float = Field(default=5.0, gt=0)
