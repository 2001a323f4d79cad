"""Portal service settings."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, model_validator

from grassroots.kit.settings import ServiceSettings


class PortalSettings(ServiceSettings):
    """`GR_*` settings plus `GR_PORTAL_*` (database, port, keys, password and token policy)."""

    SERVICE: ClassVar[str] = "portal"
    DEFAULT_PORT: ClassVar[int] = 8000

    portal_database_url: str | None = None
    portal_port: int | None = None
    # The issuer named in `iss` (default: GR_AUTH_ISSUER, which the services trust).
    portal_issuer: str | None = None
    # Signing keys as JSON {"<kid>": "<base64 of 32 random bytes, or an Ed25519 PKCS#8 PEM>"}
    # and the id of the one that signs; every key listed is published in the JWKS.
    # Unset outside production: one development key kept under var/ (in memory for tests).
    portal_signing_keys: dict[str, str] = Field(default_factory=dict)
    portal_signing_key_id: str | None = None
    # Key ring for phones and TOTP secrets ({"<id>": "<base64 32 bytes>"}), and its active id.
    portal_data_keys: dict[str, str] = Field(default_factory=dict)
    portal_data_key_id: str | None = None
    # Creates the account `admin` (platform admin) at start when it does not exist yet.
    portal_admin_password: str | None = None
    portal_access_ttl_seconds: int = Field(default=900, ge=30, le=3600)
    portal_refresh_ttl_seconds: int = Field(default=14 * 24 * 3600, ge=60)
    portal_reset_code_ttl_seconds: int = Field(default=24 * 3600, ge=60)
    portal_password_min_length: int = Field(default=10, ge=8)
    # argon2id cost (RFC 9106's second recommendation, measured in bench/portal.py).
    portal_argon2_time_cost: int = Field(default=3, ge=1)
    portal_argon2_memory_kib: int = Field(default=64 * 1024, ge=8)
    portal_argon2_parallelism: int = Field(default=2, ge=1)
    # Lock-out: this many failures lock for the base time; each further one doubles it.
    portal_lock_after: int = Field(default=5, ge=1)
    portal_lock_base_seconds: int = Field(default=60, ge=1)
    portal_lock_cap_seconds: int = Field(default=3600, ge=1)
    # Per client address (many people may share one, so a higher threshold).
    portal_client_lock_after: int = Field(default=20, ge=1)
    portal_forget_failures_seconds: int = Field(default=900, ge=1)
    # The website: where the four services answer (their public HTTP APIs), and the session.
    portal_members_url: str = "http://127.0.0.1:8001"
    portal_requests_url: str = "http://127.0.0.1:8002"
    portal_notifications_url: str = "http://127.0.0.1:8003"
    portal_evaluation_url: str = "http://127.0.0.1:8004"
    # The portal's own client id: its viewer token reads names for the public pages and
    # submits citizens' needs; list it in every service's GR_FORWARDING_CLIENTS.
    portal_web_client_id: str = "portal-web"
    # How long the website waits for a service before it says the service is slow.
    portal_service_timeout_seconds: float = Field(default=8.0, gt=0, le=60)
    # A web session ends after this long without a request, and at the latest after the
    # refresh token's lifetime.
    portal_session_idle_seconds: int = Field(default=8 * 3600, ge=60)
    # Send the session cookie over HTTPS only (always in production).
    portal_cookie_secure: bool = False
    # The county the citizen pages open on when none is chosen (empty: the first one).
    portal_default_county: str = Field(default="", pattern=r"^(\d{12})?$")

    @model_validator(mode="after")
    def _refuse_development_keys_in_production(self) -> PortalSettings:
        if self.env == "production" and not self.portal_signing_keys:
            raise ValueError("GR_PORTAL_SIGNING_KEYS must be set in production")
        if self.env == "production" and not self.portal_data_keys:
            raise ValueError("GR_PORTAL_DATA_KEYS must be set in production")
        return self

    @property
    def cookie_secure(self) -> bool:
        """Whether the session cookie is sent over HTTPS only (always in production)."""
        return self.portal_cookie_secure or self.env == "production"

    @property
    def issuer(self) -> str:
        """The `iss` of the tokens this portal signs."""
        return self.portal_issuer or self.auth_issuer
