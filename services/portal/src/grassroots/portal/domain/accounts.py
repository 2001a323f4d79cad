"""Staff and member accounts, API clients, and who may grant which role where."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from grassroots.contracts.area import ROOT_AREA, is_within
from grassroots.portal.domain.errors import BadField, Missing, NotAllowed

ROLES = ("viewer", "member", "cadre", "org_admin", "platform_admin")
ROLE_RANK = {role: rank for rank, role in enumerate(ROLES)}
Status = Literal["active", "disabled"]
# Org admins and above may add a second factor (TOTP).
SECOND_FACTOR_FROM = "org_admin"


@dataclass(frozen=True)
class Actor:
    """Who acts: the verified token's subject, role and area subtree."""

    sub: str
    role: str
    org: str = ROOT_AREA


@dataclass
class Account:
    """A person who signs in: staff (sub = account id) or a member (sub = member id)."""

    id: str
    username: str
    display_name: str
    role: str
    org: str
    status: Status
    password_hash: str
    created_at: datetime
    updated_at: datetime
    phone: str | None = None
    member_id: str | None = None
    failed_logins: int = 0
    locked_until: datetime | None = None
    totp_secret: str | None = None
    totp_enabled: bool = False
    reset_code_hash: str | None = None
    reset_code_expires_at: datetime | None = None

    @property
    def subject(self) -> str:
        """The token's `sub`: a member signs in as their member record."""
        return self.member_id if self.role == "member" and self.member_id else self.id


@dataclass
class ApiClient:
    """Another system (a hotline, a dashboard) signing in with client credentials."""

    client_id: str
    name: str
    role: str
    org: str
    secret_hash: str
    created_by: str
    created_at: datetime
    revoked_at: datetime | None = None


@dataclass
class RefreshToken:
    """One link of a rotating refresh-token family; stored by the hash of its text."""

    token_hash: str
    family_id: str
    account_id: str
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None
    revoked_at: datetime | None = None


@dataclass
class AuditEntry:
    """One audited fact: a sign-in, a failure, a lock, a role or scope change..."""

    id: str
    at: datetime
    kind: str
    actor: str
    subject: str
    area_code: str
    client_addr: str | None = None
    detail: dict[str, object] = field(default_factory=dict)


def check_role(role: str) -> str:
    """The role if it is one of ours, else a 422 naming `role`."""
    if role not in ROLE_RANK:
        raise BadField("role", f"one of {', '.join(ROLES)}")
    return role


def outranks(role: str, other: str) -> bool:
    """True when `role` ranks at or above `other`."""
    return ROLE_RANK[role] >= ROLE_RANK[other]


def require_grant(actor: Actor, role: str, org: str) -> None:
    """An org admin or above grants at most their own role, inside their own subtree."""
    check_role(role)
    if not outranks(actor.role, "org_admin"):
        raise NotAllowed(f"role {actor.role} may not manage accounts or clients")
    if not outranks(actor.role, role):
        raise NotAllowed(f"role {actor.role} may not grant the higher role {role}")
    if not is_within(org, actor.org):
        raise NotAllowed(f"area {org} is outside this token's scope ({actor.org})")


def require_manage(actor: Actor, role: str, org: str) -> None:
    """Changing an account or client needs the right to grant what it holds now; outside
    the caller's subtree it is not there at all (ids cannot be probed)."""
    if not is_within(org, actor.org):
        raise Missing("no such record in this token's scope")
    require_grant(actor, role, org)
