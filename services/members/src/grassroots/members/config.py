"""Members service settings."""

from __future__ import annotations

from typing import ClassVar

from grassroots.kit.settings import ServiceSettings


class MembersSettings(ServiceSettings):
    """`GR_*` settings plus `GR_MEMBERS_DATABASE_URL` and `GR_MEMBERS_PORT`."""

    SERVICE: ClassVar[str] = "members"
    DEFAULT_PORT: ClassVar[int] = 8001

    members_database_url: str | None = None
    members_port: int | None = None
