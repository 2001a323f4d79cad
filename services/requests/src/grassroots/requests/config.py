"""Requests service settings."""

from __future__ import annotations

from typing import ClassVar

from grassroots.kit.settings import ServiceSettings


class RequestsSettings(ServiceSettings):
    """`GR_*` settings plus `GR_REQUESTS_DATABASE_URL` and `GR_REQUESTS_PORT`."""

    SERVICE: ClassVar[str] = "requests"
    DEFAULT_PORT: ClassVar[int] = 8002

    requests_database_url: str | None = None
    requests_port: int | None = None
