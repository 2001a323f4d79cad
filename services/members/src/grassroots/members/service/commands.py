"""What the use cases are asked to do: the bodies of the members service's commands."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from grassroots.contracts.area import AreaCode
from grassroots.contracts.events.members import OrgDomain, OrgKind, OrgTier
from grassroots.members.domain import lifecycle
from grassroots.members.domain.lifecycle import Stage
from grassroots.members.domain.structure import Education

Degree = Literal["none", "bachelor", "master", "doctorate"]


Category = Literal[
    "farmer", "worker", "cadre", "professional", "enterprise", "student", "retired", "other"
]


class MemberIn(BaseModel):
    """Body of `POST /v1/members` (and one row of an import)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=100)
    id_number: str = Field(min_length=1, max_length=32)
    org_unit_id: str = Field(min_length=1, max_length=36)
    stage: Stage
    gender: Literal["male", "female"] | None = None
    birth_date: date | None = None
    ethnicity: str | None = Field(default=None, max_length=32)
    education: Education | None = None
    degree: Degree | None = None
    phone: str | None = Field(default=None, max_length=32)
    stage_since: date | None = None
    joined_at: date | None = None
    confirmed_at: date | None = None
    category: Category | None = None
    work_unit: str | None = Field(default=None, max_length=200)
    residence_area: AreaCode | None = None
    skills: list[str] = Field(default_factory=list, max_length=30)
    in_service: bool = False
    duties: list[str] = Field(default_factory=list, max_length=10)
    public_name_consent: bool = False


class MemberPatch(BaseModel):
    """Body of `PATCH /v1/members/{id}`: only the fields given change."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str | None = Field(default=None, min_length=1, max_length=100)
    ethnicity: str | None = Field(default=None, max_length=32)
    education: Education | None = None
    degree: Degree | None = None
    phone: str | None = Field(default=None, max_length=32)
    category: Category | None = None
    work_unit: str | None = Field(default=None, max_length=200)
    residence_area: AreaCode | None = None
    skills: list[str] | None = Field(default=None, max_length=30)
    in_service: bool | None = None
    duties: list[str] | None = Field(default=None, max_length=10)
    public_name_consent: bool | None = None

    @field_validator("name", "in_service", "public_name_consent", mode="before")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        # Leaving a field out keeps it; null would blank a column the record cannot lack.
        if value is None:
            raise ValueError("may be left out but not null / 可以不填，但不能为 null")
        return value


class RevealIn(BaseModel):
    """Body of `POST /v1/members/{id}/reveal`: why the plain values are needed."""

    reason: str = Field(min_length=4, max_length=500)


class OrgUnitIn(BaseModel):
    """Body of `POST /v1/org-units`."""

    name: str = Field(min_length=1, max_length=200)
    area_code: AreaCode
    tier: OrgTier
    kind: OrgKind
    domain: OrgDomain
    parent_id: str | None = Field(default=None, max_length=36)


class OrgUnitPatch(BaseModel):
    """Body of `PATCH /v1/org-units/{id}`: rename and/or move under another parent."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    parent_id: str | None = Field(default=None, max_length=36)


class StationIn(BaseModel):
    """Body of `POST /v1/org-units/{id}/stations`."""

    kind: Literal["service_center", "service_station", "proxy_point"]
    name: str = Field(min_length=1, max_length=200)
    address: str | None = Field(default=None, max_length=300)
    opening_hours: str | None = Field(default=None, max_length=200)


class FlowOutIn(BaseModel):
    """Body of `flow-out`: where the member goes (kept encrypted), why, and until when."""

    destination: str = Field(min_length=1, max_length=200)
    destination_area: AreaCode | None = Field(
        default=None, description="coarse area code (province or city) for counting by destination"
    )
    reason: str = Field(min_length=1, max_length=500)
    expected_return: date | None = None


class FlowReturnIn(BaseModel):
    """Body of `flow-return`."""

    on: date | None = None


class LostContactIn(BaseModel):
    """Body of `lost-contact`."""

    lost: bool


class CheckInIn(BaseModel):
    """Body of `community-checkin`."""

    community_org_unit_id: str = Field(min_length=1, max_length=36)


class PostIn(BaseModel):
    """Body of `posts`: a service post the member claims in the community."""

    title: str = Field(min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=2000)


class CommitmentIn(BaseModel):
    """Body of `commitments`."""

    text: str = Field(min_length=1, max_length=2000)
    due: date | None = None


class TransferIn(BaseModel):
    """Body of `POST /v1/members/{id}/transfers`."""

    to_org_unit_id: str = Field(min_length=1, max_length=36)
    reason: str = Field(min_length=1, max_length=500)


class DecisionIn(BaseModel):
    """Optional body of accept, reject and revoke."""

    note: str | None = Field(default=None, max_length=500)


class StageChangeIn(BaseModel):
    """Body of `POST /v1/members/{id}/stage`: advance to the next stage, or extend probation."""

    action: Literal["advance", "extend_probation"] = "advance"
    to: lifecycle.Stage | None = None
    on: date | None = None
    months: int | None = Field(default=None, ge=1, le=12)


class ExitIn(BaseModel):
    """Body of `POST /v1/members/{id}/exit`."""

    reason: lifecycle.ExitReason
    on: date | None = None
    note: str | None = Field(default=None, max_length=500)


class AliasIn(BaseModel):
    """Body of `PUT /v1/skills/aliases`: `alias` is read as `skill` in the county from now on."""

    county_area: AreaCode
    alias: str = Field(min_length=1, max_length=32)
    skill: str = Field(min_length=1, max_length=32)
