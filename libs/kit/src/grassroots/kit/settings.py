"""Settings shared by every service: environment variables with the `GR_` prefix."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import ClassVar, Literal
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from grassroots.contracts.area import filter_prefix
from grassroots.contracts.timezone import DEFAULT_TIME_ZONE

DEV_JWT_SECRET = "grassroots-development-secret-change-me"  # noqa: S105 (refused in production)


def redact_url(url: str) -> str:
    """`scheme://user:secret@host` → `scheme://user:***@host` (also for lists of URLs)."""
    parts = []
    for one in url.split(","):
        parsed = urlsplit(one)
        if parsed.password:
            netloc = f"{parsed.username}:***@{parsed.hostname}"
            if parsed.port:
                netloc += f":{parsed.port}"
            one = urlunsplit(parsed._replace(netloc=netloc))
        parts.append(one)
    return ",".join(parts)


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


class ServiceSettings(BaseSettings):
    """Common settings; each service subclasses it and adds its database URL and port."""

    model_config = SettingsConfigDict(env_prefix="GR_", extra="ignore", populate_by_name=True)

    SERVICE: ClassVar[str] = "service"
    DEFAULT_PORT: ClassVar[int] = 8000

    env: Literal["development", "test", "production"] = "development"
    nats_url: str = "nats://127.0.0.1:4222"
    # Per-service reply prefix, so NATS permissions can keep each service to its own inboxes
    # (deploy/nats/nats-server.conf); the default suits an open development server.
    nats_inbox_prefix: str = "_INBOX"
    nats_stream_replicas: int = Field(default=1, ge=1, le=5)
    # HS256 development tokens; refused in production whatever the secret, so production
    # needs none (services verify the issuer's tokens from its JWKS); the dev default is
    # refused there if it is set.
    jwt_secret: str = DEV_JWT_SECRET
    # The token issuer every service trusts: the portal by default, or an external OpenID
    # Connect provider (then its JWKS URL and where its tokens carry role and org).
    auth_issuer: str = "http://127.0.0.1:8000"
    auth_audience: str = "grassroots"
    auth_jwks_url: str | None = None
    auth_jwks_refresh_seconds: float = Field(default=300.0, gt=0)
    auth_role_claim: str = "role"
    auth_org_claim: str = "org"
    auth_role_map: dict[str, str] = Field(default_factory=dict)
    # Signs paging cursors, so every replica of a deployment reads the others' cursors; unset,
    # a key derived from GR_JWT_SECRET signs them (production needs one of the two).
    cursor_secret: str | None = Field(default=None, min_length=16)
    # Comma-separated addresses or networks (CIDR) of the reverse proxies whose
    # X-Forwarded-For names the client; empty: the header is taken from nobody.
    trusted_proxies: str = ""
    # Comma-separated token subjects (the portal's client id) that may name the citizen they
    # act for in X-Forwarded-For; empty: nobody.
    forwarding_clients: str = ""
    area_filter: str = ""
    # Read through grassroots.kit.clock wherever a date people mean is needed; checked here.
    time_zone: str = DEFAULT_TIME_ZONE
    log_level: str = "INFO"
    log_json: bool = True
    var_dir: Path = Path("var")
    host: str = "127.0.0.1"
    max_body_bytes: int = 10 * 1024 * 1024
    # Test every pooled connection before use (one more round trip per transaction).
    db_pool_pre_ping: bool = False
    outbox_batch_size: int = Field(default=1000, ge=1, le=20000)
    outbox_poll_seconds: float = Field(default=0.5, gt=0)
    outbox_keep_days: int = Field(default=7, ge=0)
    consumer_max_deliver: int = Field(default=5, ge=1)
    consumer_backoff_seconds: list[float] = Field(default_factory=lambda: [1.0, 5.0, 30.0, 120.0])
    consumer_ack_wait_seconds: float = 30.0
    consumer_batch_size: int = Field(default=64, ge=1)
    run_relay: bool = True
    run_consumers: bool = True

    @field_validator("area_filter")
    @classmethod
    def _valid_filter(cls, value: str) -> str:
        filter_prefix(value)
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _valid_networks(cls, value: str) -> str:
        for part in _split(value):
            ipaddress.ip_network(part, strict=False)
        return value

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"GR_TIME_ZONE {value!r} is no IANA time zone") from exc
        return value

    @model_validator(mode="after")
    def _refuse_dev_secret_in_production(self) -> ServiceSettings:
        if self.env != "production":
            return self
        if self.jwt_secret == DEV_JWT_SECRET and "jwt_secret" in self.model_fields_set:
            raise ValueError("GR_JWT_SECRET is the development default, refused in production")
        if self.cursor_secret is None and self.jwt_secret == DEV_JWT_SECRET:
            raise ValueError(
                "GR_CURSOR_SECRET must be set in production (it signs paging cursors;"
                " GR_JWT_SECRET is not needed there)"
            )
        return self

    @property
    def jwks_url(self) -> str:
        """Where the issuer publishes its keys (`GR_AUTH_JWKS_URL`, else under the issuer)."""
        return self.auth_jwks_url or self.auth_issuer.rstrip("/") + "/.well-known/jwks.json"

    @property
    def cursor_key(self) -> str:
        """The secret paging cursors are signed with."""
        return self.cursor_secret or "cursor:" + self.jwt_secret

    @property
    def trusted_proxy_networks(self) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
        """The networks of GR_TRUSTED_PROXIES."""
        return tuple(ipaddress.ip_network(p, strict=False) for p in _split(self.trusted_proxies))

    @property
    def forwarding_client_ids(self) -> frozenset[str]:
        """The token subjects of GR_FORWARDING_CLIENTS."""
        return frozenset(_split(self.forwarding_clients))

    @property
    def nats_url_redacted(self) -> str:
        """The NATS URL without credentials, for logs."""
        return redact_url(self.nats_url)

    @property
    def area_prefix(self) -> str:
        """The area-code prefix this deployment is narrowed to ('' for every area)."""
        return filter_prefix(self.area_filter)

    @property
    def database_url(self) -> str:
        """The service's own database URL (`GR_<SERVICE>_DATABASE_URL`, else embedded SQLite)."""
        configured: str | None = getattr(self, f"{self.SERVICE}_database_url", None)
        return configured or self.default_sqlite_url()

    @property
    def port(self) -> int:
        """The HTTP port (`GR_<SERVICE>_PORT`)."""
        configured: int | None = getattr(self, f"{self.SERVICE}_port", None)
        return configured or self.DEFAULT_PORT

    def default_sqlite_url(self) -> str:
        """The embedded default: one SQLite file per service under `var/`."""
        return f"sqlite+aiosqlite:///{self.var_dir / (self.SERVICE + '.db')}"
