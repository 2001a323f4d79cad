"""Evaluation service settings."""

from __future__ import annotations

from typing import ClassVar

from grassroots.kit.settings import ServiceSettings


class EvaluationSettings(ServiceSettings):
    """`GR_*` settings plus `GR_EVALUATION_DATABASE_URL` and `GR_EVALUATION_PORT`."""

    SERVICE: ClassVar[str] = "evaluation"
    DEFAULT_PORT: ClassVar[int] = 8004

    evaluation_database_url: str | None = None
    evaluation_port: int | None = None
