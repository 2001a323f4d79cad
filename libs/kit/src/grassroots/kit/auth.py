"""Bearer tokens with subtree scope (a token acts only inside its `org` area): signed by the
issuer (the portal, or an external OpenID Connect provider) and verified from its JWKS;
HS256 with the shared secret only in development and test."""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from functools import lru_cache
from typing import Annotated, Any, Literal, Protocol

import httpx
import jwt
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from grassroots.contracts.area import ROOT_AREA, area_prefix, check_area_code, is_within
from grassroots.kit.clock import utcnow
from grassroots.kit.problems import Forbidden, ProblemError
from grassroots.kit.settings import ServiceSettings

log = logging.getLogger(__name__)

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
    """Verify an HS256 development token and return its principal; raise 401 on any defect.

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
        raise _unauthorized("invalid token") from exc
    return _principal(str(claims["sub"]), claims.get("role"), claims.get("org")), float(
        claims["exp"]
    )


def _principal(sub: str, role: object, org: object) -> Principal:
    if role not in ROLE_RANK:
        raise _unauthorized("invalid token: unknown role")
    try:
        check_area_code(str(org))
    except ValueError as exc:
        raise _unauthorized("invalid token: the org claim is not an area code") from exc
    return Principal(sub=sub, role=role, org=str(org))  # type: ignore[arg-type]


# What an issuer may sign with; `none` and the HMAC family never reach a public key.
ASYMMETRIC_ALGORITHMS = frozenset(
    {"EdDSA", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"}
)


class KeySource(Protocol):
    """Where an issuer's public keys come from, by key id."""

    async def key(self, kid: str) -> jwt.PyJWK | None:
        """The public key with this id, or None when the issuer has none such."""
        ...


def parse_jwks(document: dict[str, Any]) -> dict[str, jwt.PyJWK]:
    """The signing keys of a JWKS document by key id (keys without an id or usable type skipped)."""
    keys: dict[str, jwt.PyJWK] = {}
    for entry in document.get("keys", []):
        if not isinstance(entry, dict) or not entry.get("kid") or entry.get("use", "sig") != "sig":
            continue
        try:
            keys[str(entry["kid"])] = jwt.PyJWK(entry)
        except jwt.PyJWTError:
            continue
    return keys


class JwksKeys:
    """An issuer's keys fetched from its JWKS URL and cached.

    The cache is refreshed in the background when older than `refresh_seconds` (requests with
    known keys never wait for it), and at once when a token names a key id it lacks (a
    rotation), but never more than once per `min_interval` seconds: a flood of made-up key
    ids costs the issuer one fetch per interval, not one per request. When the issuer
    cannot be reached the keys already known keep working.
    """

    def __init__(
        self,
        url: str,
        *,
        refresh_seconds: float = 300.0,
        min_interval: float = 1.0,
        timeout: float = 5.0,
    ) -> None:
        self.url = url
        self.refresh_seconds = refresh_seconds
        self.min_interval = min_interval
        self.timeout = timeout
        self.fetches = 0
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at = -math.inf
        self._lock = asyncio.Lock()
        self._refreshing: asyncio.Task[None] | None = None

    async def key(self, kid: str) -> jwt.PyJWK | None:
        """The key with this id; a new id waits for a fetch, a known one never does."""
        found = self._keys.get(kid)
        if found is not None:
            if time.monotonic() - self._fetched_at >= self.refresh_seconds:
                self._refresh_in_background()
            return found
        asked_at = time.monotonic()
        async with self._lock:
            if kid in self._keys:
                return self._keys[kid]
            if self._fetched_at >= asked_at:
                # Fetched while this request waited for the lock: that answer stands.
                return None
            pause = self._fetched_at + self.min_interval - time.monotonic()
            if pause > 0:
                await asyncio.sleep(pause)
            await self._fetch()
            return self._keys.get(kid)

    def _refresh_in_background(self) -> None:
        if self._refreshing is None or self._refreshing.done():
            self._refreshing = asyncio.get_running_loop().create_task(self._refresh())

    async def _refresh(self) -> None:
        async with self._lock:
            if time.monotonic() - self._fetched_at >= self.refresh_seconds:
                await self._fetch()

    async def _fetch(self) -> None:
        self.fetches += 1
        try:
            async with httpx.AsyncClient(timeout=self.timeout) as client:
                response = await client.get(self.url)
                response.raise_for_status()
                keys = parse_jwks(response.json())
        except (httpx.HTTPError, ValueError) as exc:
            log.warning("cannot fetch the issuer's keys from %s: %s", self.url, exc)
            # Try again after the minimum interval, not only after a full refresh period.
            self._fetched_at = time.monotonic() - self.refresh_seconds + self.min_interval
            return
        self._keys = keys
        self._fetched_at = time.monotonic()


@dataclass(frozen=True)
class ClaimMapping:
    """Where an issuer puts role and org, and how its role names map onto ours.

    Claim names may be dotted paths (`realm_access.roles`); a list of roles yields the
    highest-ranking one that maps onto a role of ours; a list of orgs its first entry.
    """

    role_claim: str = "role"
    org_claim: str = "org"
    role_map: Mapping[str, str] = field(default_factory=dict)

    def role(self, claims: Mapping[str, Any]) -> str | None:
        """Our role for these claims, or None."""
        value = _claim(claims, self.role_claim)
        candidates = value if isinstance(value, list) else [value]
        mapped = [self.role_map.get(str(c), str(c)) for c in candidates if c is not None]
        known = [r for r in mapped if r in ROLE_RANK]
        return max(known, key=ROLE_RANK.__getitem__) if known else None

    def org(self, claims: Mapping[str, Any]) -> object:
        """The org claim's value (first entry of a list)."""
        value = _claim(claims, self.org_claim)
        return value[0] if isinstance(value, list) and value else value


def _claim(claims: Mapping[str, Any], path: str) -> Any:
    value: Any = claims
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


class TokenVerifier:
    """Verifies bearer tokens: issuer-signed ones against the issuer's keys (checking `iss`,
    `aud` and `exp`), and HS256 ones with the shared secret only in development and test.

    A verified token is remembered by its text until it expires, so a client repeating its
    token pays for the signature check once.
    """

    def __init__(
        self,
        *,
        env: str,
        secret: str,
        issuer: str,
        audience: str,
        keys: KeySource,
        mapping: ClaimMapping | None = None,
        remember: int = 4096,
    ) -> None:
        self.env = env
        self.secret = secret
        self.issuer = issuer
        self.audience = audience
        self.keys = keys
        self.mapping = mapping or ClaimMapping()
        self.remember = remember
        self._verified: OrderedDict[str, tuple[Principal, float]] = OrderedDict()

    @classmethod
    def from_settings(
        cls, settings: ServiceSettings, keys: KeySource | None = None
    ) -> TokenVerifier:
        """The verifier a service's settings describe (its issuer's JWKS unless `keys`)."""
        return cls(
            env=settings.env,
            secret=settings.jwt_secret,
            issuer=settings.auth_issuer,
            audience=settings.auth_audience,
            keys=keys
            or JwksKeys(settings.jwks_url, refresh_seconds=settings.auth_jwks_refresh_seconds),
            mapping=ClaimMapping(
                settings.auth_role_claim, settings.auth_org_claim, dict(settings.auth_role_map)
            ),
        )

    async def verify(self, token: str) -> Principal:
        """The token's principal; 401 on any defect."""
        remembered = self._verified.get(token)
        if remembered is not None:
            principal, expires = remembered
            if expires > time.time():
                return principal
            del self._verified[token]
            raise _unauthorized("token expired")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise _unauthorized("invalid token") from exc
        algorithm = header.get("alg")
        if algorithm == "HS256":
            if self.env not in ("development", "test"):
                raise _unauthorized("HS256 tokens are refused in production")
            return decode_token(self.secret, token)
        if algorithm not in ASYMMETRIC_ALGORITHMS:
            raise _unauthorized("invalid token")
        kid = header.get("kid")
        key = await self.keys.key(str(kid)) if kid else None
        if key is None:
            raise _unauthorized("invalid token: signed by an unknown key")
        if key.algorithm_name != algorithm:
            raise _unauthorized("invalid token")
        principal, expires = self._decode(token, key, algorithm)
        self._verified[token] = (principal, expires)
        if len(self._verified) > self.remember:
            self._verified.popitem(last=False)
        return principal

    def _decode(self, token: str, key: jwt.PyJWK, algorithm: str) -> tuple[Principal, float]:
        try:
            claims = jwt.decode(
                token,
                key.key,
                algorithms=[algorithm],
                audience=self.audience,
                issuer=self.issuer,
                options={"require": ["sub", "exp", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise _unauthorized("token expired") from exc
        except jwt.InvalidIssuerError as exc:
            raise _unauthorized("invalid token: wrong issuer") from exc
        except jwt.InvalidAudienceError as exc:
            raise _unauthorized("invalid token: wrong audience") from exc
        except jwt.PyJWTError as exc:
            raise _unauthorized("invalid token") from exc
        principal = _principal(
            str(claims["sub"]), self.mapping.role(claims), self.mapping.org(claims)
        )
        return principal, float(claims["exp"])


_bearer = HTTPBearer(auto_error=False)


def verifier(request: Request) -> TokenVerifier:
    """The app's token verifier (built from its settings on first use)."""
    state = request.app.state
    found: TokenVerifier | None = getattr(state, "token_verifier", None)
    if found is None:
        found = state.token_verifier = TokenVerifier.from_settings(state.settings)
    return found


async def optional_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal | None:
    """The caller's principal when a bearer token is sent, else None (public endpoints)."""
    if credentials is None:
        return None
    return await verifier(request).verify(credentials.credentials)


async def current_principal(
    principal: Annotated[Principal | None, Depends(optional_principal)],
) -> Principal:
    """The caller's principal; 401 without a valid token."""
    if principal is None:
        raise _unauthorized("a bearer token is required")
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
OptionalPrincipal = Annotated[Principal | None, Depends(optional_principal)]
