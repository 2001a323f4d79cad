"""JWT bearer auth (HS256) with subtree scope: a token acts only inside its `org` area."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from typing import Annotated, Literal

import jwt
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from grassroots.contracts.area import ROOT_AREA, area_prefix, check_area_code, is_within
from grassroots.kit.clock import utcnow
from grassroots.kit.problems import Forbidden, ProblemError

Role = Literal["platform_admin", "org_admin", "cadre", "member", "viewer"]
ROLE_RANK: dict[str, int] = {
    "viewer": 0,
    "member": 1,
    "cadre": 2,
    "org_admin": 3,
    "platform_admin": 4,
}


@dataclass(frozen=True)
class Principal:
    """Who calls: user or member id, role, and the area subtree the token covers."""

    sub: str
    role: Role
    org: str

    @property
    def area_prefix(self) -> str:
        """The code prefix this token sees ('' for the root)."""
        return area_prefix(self.org)

    def covers(self, area_code: str) -> bool:
        """True when `area_code` lies inside the token's subtree."""
        return is_within(area_code, self.org)

    def at_least(self, role: str) -> bool:
        """True when the token's role ranks at or above `role`."""
        return ROLE_RANK[self.role] >= ROLE_RANK[role]

    def require_area(self, area_code: str) -> None:
        """Raise 403 unless `area_code` lies inside the token's subtree."""
        if not self.covers(area_code):
            raise Forbidden(f"area {area_code} is outside this token's scope ({self.org})")

    def require_role(self, *roles: str) -> None:
        """Raise 403 unless the token has one of `roles` (or ranks above the lowest of them)."""
        lowest = min(ROLE_RANK[r] for r in roles)
        if ROLE_RANK[self.role] < lowest:
            raise Forbidden(f"role {self.role} may not do this; needs {' or '.join(roles)}")


def issue_token(
    secret: str, *, sub: str, role: Role, org: str = ROOT_AREA, ttl: timedelta | None = None
) -> str:
    """Sign a token (for the dev CLI, demo data and tests)."""
    check_area_code(org)
    exp = utcnow() + (ttl or timedelta(hours=12))
    return jwt.encode({"sub": sub, "role": role, "org": org, "exp": exp}, secret, "HS256")


def _unauthorized(detail: str) -> ProblemError:
    return ProblemError(401, detail, headers={"WWW-Authenticate": "Bearer"})


def decode_token(secret: str, token: str) -> Principal:
    """Verify a token and return its principal; raise 401 on any defect.

    A token that verified once is remembered (by its exact text) until it expires, so a
    client sending the same token many times a second pays for the signature check once.
    """
    principal, expires = _verify(secret, token)
    if expires <= time.time():
        raise _unauthorized("token expired")
    return principal


@lru_cache(maxsize=4096)
def _verify(secret: str, token: str) -> tuple[Principal, float]:
    try:
        claims = jwt.decode(
            token, secret, algorithms=["HS256"], options={"require": ["sub", "role", "org", "exp"]}
        )
    except jwt.ExpiredSignatureError as exc:
        raise _unauthorized("token expired") from exc
    except jwt.PyJWTError as exc:
        # The decoder's own words (which check failed, on which segment) help only a forger.
        raise _unauthorized("invalid token") from exc
    role, org = claims.get("role"), claims.get("org")
    if role not in ROLE_RANK:
        raise _unauthorized("invalid token: unknown role")
    try:
        check_area_code(str(org))
    except ValueError as exc:
        raise _unauthorized("invalid token: org claim is not an area code") from exc
    return Principal(sub=str(claims["sub"]), role=role, org=str(org)), float(claims["exp"])


_bearer = HTTPBearer(auto_error=False)


def _secret(request: Request) -> str:
    secret: str = request.app.state.settings.jwt_secret
    return secret


async def optional_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal | None:
    """The caller's principal when a bearer token is sent, else None (public endpoints)."""
    if credentials is None:
        return None
    return decode_token(_secret(request), credentials.credentials)


async def current_principal(
    principal: Annotated[Principal | None, Depends(optional_principal)],
) -> Principal:
    """The caller's principal; 401 without a valid token."""
    if principal is None:
        raise _unauthorized("a bearer token is required")
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
OptionalPrincipal = Annotated[Principal | None, Depends(optional_principal)]
