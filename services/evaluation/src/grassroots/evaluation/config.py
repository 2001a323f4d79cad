"""Evaluation service settings."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from grassroots.kit.settings import ServiceSettings


class EvaluationSettings(ServiceSettings):
    """`GR_*` settings plus `GR_EVALUATION_DATABASE_URL`, `GR_EVALUATION_PORT` and the rules."""

    SERVICE: ClassVar[str] = "evaluation"
    DEFAULT_PORT: ClassVar[int] = 8004

    evaluation_database_url: str | None = None
    evaluation_port: int | None = None
    # A request counts as answered on time when accepted within this many hours of receipt.
    evaluation_response_limit_hours: float = Field(default=24.0, gt=0)
    # Household visits each visiting cadre owes per month (seed 001: 10).
    evaluation_visit_quota_per_month: int = Field(default=10, ge=0)
    # Appeals close this many working days after the period they concern (issue 15: 5).
    evaluation_appeal_window_workdays: int = Field(default=5, ge=0, le=60)
    evaluation_base_points: float = Field(default=60.0, ge=0)
    # Yearly subsidy of a village cadre and the share paid as base pay (seed 001: 60 %).
    evaluation_cadre_subsidy_per_year: float = Field(default=24000.0, ge=0)
    evaluation_pay_base_share: float = Field(default=0.6, ge=0, le=1)
    evaluation_pay_duties: list[str] = Field(
        default_factory=lambda: ["secretary", "deputy_secretary", "committee_member", "cadre"]
    )

    @property
    def response_limit_seconds(self) -> int:
        """The response limit in seconds."""
        return int(self.evaluation_response_limit_hours * 3600)
