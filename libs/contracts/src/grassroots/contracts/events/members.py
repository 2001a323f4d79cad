"""v1 events of the members domain (organisation tree and member registry)."""

from __future__ import annotations

from datetime import date
from typing import ClassVar, Literal

from pydantic import Field

from grassroots.contracts.area import AreaCode
from grassroots.contracts.events.base import AggregateEvent, register

OrgTier = Literal["province", "city", "county", "township", "village", "grid"]
OrgKind = Literal["committee", "general_branch", "branch", "group"]
OrgDomain = Literal["rural", "community", "enterprise", "organ", "other"]
MemberStage = Literal["applicant", "activist", "candidate", "probationary", "full"]


class _Members(AggregateEvent):
    DOMAIN: ClassVar[str] = "members"


class OrgUnitCreated(_Members):
    """An organisation unit was added to the tree."""

    NAME: ClassVar[str] = "org_unit_created"
    org_unit_id: str
    name: str
    area_code: AreaCode
    tier: OrgTier
    kind: OrgKind
    domain: OrgDomain
    parent_id: str | None = None


class OrgUnitUpdated(OrgUnitCreated):
    """An organisation unit was renamed, moved or otherwise changed (full new state)."""

    NAME: ClassVar[str] = "org_unit_updated"


class _MemberEvent(_Members):
    member_id: str
    org_unit_id: str


class MemberRegistered(_MemberEvent):
    """A member was entered in the registry."""

    NAME: ClassVar[str] = "member_registered"
    stage: MemberStage
    skills: list[str] = Field(default_factory=list)
    in_service: bool = False
    # Service duties held in the unit, e.g. supervisor (督办员), handler, proxy_agent, secretary.
    duties: list[str] = Field(default_factory=list)


class MemberUpdated(MemberRegistered):
    """A member's record changed (stage, skills, unit); the full public state."""

    NAME: ClassVar[str] = "member_updated"


class MemberTransferred(_MemberEvent):
    """A transfer letter was accepted: the member now belongs to `org_unit_id`."""

    NAME: ClassVar[str] = "member_transferred"
    transfer_id: str
    from_org_unit_id: str


class TransferStatusChanged(_MemberEvent):
    """A transfer letter was issued, rejected, revoked or expired."""

    NAME: ClassVar[str] = "transfer_status_changed"
    transfer_id: str
    to_org_unit_id: str
    status: Literal["issued", "accepted", "rejected", "revoked", "expired"]
    valid_until: date | None = None


class MemberFloating(_MemberEvent):
    """A member flowed out (floating); the destination is personal data and stays private."""

    NAME: ClassVar[str] = "member_floating"
    expected_return: date | None = None


class MemberReturned(_MemberEvent):
    """A floating member returned."""

    NAME: ClassVar[str] = "member_returned"


class MemberExited(_MemberEvent):
    """A member left the party (with a reason code)."""

    NAME: ClassVar[str] = "member_exited"
    reason: Literal["voluntary", "removed", "lost_contact", "deceased", "other"]


class MemberCheckedIn(_MemberEvent):
    """An in-service member checked in at the residence community (dual affiliation)."""

    NAME: ClassVar[str] = "member_checked_in"
    community_org_unit_id: str


class PostClaimed(_MemberEvent):
    """A member claimed a service post."""

    NAME: ClassVar[str] = "post_claimed"
    post_id: str
    title: str
    # Where the post is served: the residence community once checked in, else the home unit
    # (with its area, so a consumer need not have seen that unit yet).
    post_org_unit_id: str | None = None
    post_area_code: AreaCode | None = None


class CommitmentPublished(_MemberEvent):
    """A member published a public commitment."""

    NAME: ClassVar[str] = "commitment_published"
    commitment_id: str
    due: date | None = None
    # A public commitment is published to be read: its text goes on the board.
    text: str | None = Field(default=None, max_length=2000)
    # The residence community the member checked in at, which assesses them too (双重考核).
    community_org_unit_id: str | None = None
    community_area_code: AreaCode | None = None


register(
    OrgUnitCreated,
    OrgUnitUpdated,
    MemberRegistered,
    MemberUpdated,
    MemberTransferred,
    TransferStatusChanged,
    MemberFloating,
    MemberReturned,
    MemberExited,
    MemberCheckedIn,
    PostClaimed,
    CommitmentPublished,
)
