"""The answers of the members service's HTTP API (the bodies it accepts are `service.commands`)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, field_validator

from grassroots.kit.clock import as_utc
from grassroots.members.domain.import_report import ImportResult, OrgImportResult
from grassroots.members.service.commands import StationIn

__all__ = [
    "AliasOut",
    "CommitmentOut",
    "DestinationCount",
    "FloatingOut",
    "HistoryOut",
    "ImportJobOut",
    "ImportResult",
    "MemberOut",
    "OrgImportResult",
    "OrgUnitOut",
    "PiiReadOut",
    "PostOut",
    "ReencryptOut",
    "RevealOut",
    "SkillCount",
    "StationOut",
    "StructureOut",
    "TransferOut",
]


class MemberOut(BaseModel):
    """A member as answered: ID number and phone masked."""

    id: str
    name: str
    gender: str
    birth_date: date
    ethnicity: str | None
    education: str | None
    degree: str | None
    id_number: str | None
    phone: str | None
    org_unit_id: str
    stage: str
    stage_since: date
    probation_months: int
    status: str
    exit_reason: str | None
    joined_at: date | None
    confirmed_at: date | None
    category: str | None
    work_unit: str | None
    residence_area: str | None
    skills: list[str]
    in_service: bool
    duties: list[str]
    public_name_consent: bool
    floating: bool
    lost_contact: bool
    community_org_unit_id: str | None
    version: int


class RevealOut(BaseModel):
    """Unmasked personal data (every read is recorded)."""

    member_id: str
    id_number: str | None
    phone: str | None


class PiiReadOut(BaseModel):
    """One recorded read of unmasked personal data."""

    id: int
    member_id: str
    reader: str
    reader_role: str
    reader_org: str
    fields: str
    reason: str
    read_at: Any


class ReencryptOut(BaseModel):
    """Answer of `POST /v1/admin/reencrypt`."""

    reencrypted: int
    active_key_id: str


class OrgUnitOut(BaseModel):
    """An organisation unit as answered."""

    id: str
    name: str
    area_code: str
    tier: str
    kind: str
    domain: str
    parent_id: str | None
    version: int


class HistoryOut(BaseModel):
    """One change in a unit's history."""

    version: int
    change: str
    name: str
    parent_id: str | None
    previous_name: str | None
    previous_parent_id: str | None
    changed_at: datetime
    changed_by: str


class StationOut(StationIn):
    """A service station or proxy point attached to a unit."""

    id: str
    org_unit_id: str
    area_code: str


class PostOut(BaseModel):
    """A claimed post."""

    id: str
    member_id: str
    org_unit_id: str
    title: str
    description: str | None
    claimed_at: datetime


class CommitmentOut(BaseModel):
    """A public commitment."""

    id: str
    member_id: str
    text: str
    due: date | None
    published_at: datetime


class FloatingOut(BaseModel):
    """A floating member as listed (destination detail stays encrypted)."""

    member_id: str
    name: str
    org_unit_id: str
    destination_area: str | None
    left_on: date
    expected_return: date | None
    lost_contact: bool


class DestinationCount(BaseModel):
    """How many members float to one destination area."""

    destination_area: str | None
    members: int


class TransferOut(BaseModel):
    """A transfer letter."""

    id: str
    member_id: str
    from_org_unit_id: str
    to_org_unit_id: str
    reason: str
    status: str
    issued_on: date
    valid_until: date
    overdue: bool
    note: str | None


class StructureOut(BaseModel):
    """`GET /v1/stats/structure` answer."""

    org_unit_id: str
    as_of: date
    total: int
    by_stage: dict[str, int]
    by_education: dict[str, int]
    by_gender: dict[str, int]
    age_bands: dict[str, int]
    aged_over_45_ratio: float
    junior_high_or_below_ratio: float
    floating: int
    floating_ratio: float
    lost_contact: int


class AliasOut(BaseModel):
    """One county alias."""

    county_area: str
    alias: str
    skill: str


class SkillCount(BaseModel):
    """A skill and how many active members of the subtree have it."""

    skill: str
    members: int


class ImportJobOut(BaseModel):
    """An import job: counts so far, and the whole report once it is done."""

    id: str
    status: str
    dry_run: bool
    filename: str
    rows_read: int
    accepted: int
    rejected: int
    result: ImportResult | None = None
    error: str | None = None
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None = None

    @field_validator("created_at", "updated_at", "finished_at")
    @classmethod
    def _aware(cls, moment: datetime | None) -> datetime | None:
        # SQLite hands timestamps back without their offset.
        return as_utc(moment) if moment is not None else None
