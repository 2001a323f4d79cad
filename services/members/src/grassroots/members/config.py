"""Members service settings."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, model_validator

from grassroots.kit.settings import ServiceSettings

# Development keys only: a production deployment refuses to start with them.
DEV_ENCRYPTION_KEYS = {"dev1": "8q0VwZ7mP3cJb2Vh7xkQ1sY6nT4rL9eA0dF5gH2jK8M="}
DEV_INDEX_KEY = "grassroots-development-index-key"


class MembersSettings(ServiceSettings):
    """`GR_*` settings plus the members database, port and encryption keys."""

    SERVICE: ClassVar[str] = "members"
    DEFAULT_PORT: ClassVar[int] = 8001

    members_database_url: str | None = None
    members_port: int | None = None
    # Key ring as JSON, e.g. GR_MEMBERS_ENCRYPTION_KEYS='{"2026a": "<base64 32 bytes>"}';
    # new values are sealed with the active key; old keys stay to read (and re-encrypt) rows.
    members_encryption_keys: dict[str, str] = Field(
        default_factory=lambda: dict(DEV_ENCRYPTION_KEYS)
    )
    members_encryption_key_id: str = "dev1"
    members_index_key: str = DEV_INDEX_KEY
    members_stats_refresh_seconds: float = Field(default=30.0, gt=0)
    # How often transfer letters past their validity are closed as expired (0: never).
    members_sweep_seconds: float = Field(default=600.0, ge=0)

    @model_validator(mode="after")
    def _refuse_dev_keys_in_production(self) -> MembersSettings:
        if self.env == "production" and (
            self.members_index_key == DEV_INDEX_KEY
            or set(self.members_encryption_keys.values()) & set(DEV_ENCRYPTION_KEYS.values())
        ):
            raise ValueError(
                "set GR_MEMBERS_ENCRYPTION_KEYS and GR_MEMBERS_INDEX_KEY in production"
            )
        return self
