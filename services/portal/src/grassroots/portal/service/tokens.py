"""Access tokens and the opaque secrets (refresh tokens, client secrets, reset codes)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta

from grassroots.portal.service.ports import Clock, TokenSigner

# Reset codes are read out over the phone: no 0/O or 1/I/L to confuse.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def new_secret() -> str:
    """256 random bits, URL-safe (refresh tokens, client secrets)."""
    return secrets.token_urlsafe(32)


def new_code(length: int = 12) -> str:
    """A one-time reset code (about 59 bits) an admin can read out."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


def digest(value: str) -> str:
    """SHA-256 hex of a high-entropy secret: what is stored instead of the secret."""
    return hashlib.sha256(value.encode()).hexdigest()


def same_digest(value: str, stored: str) -> bool:
    """Constant-time comparison of a presented secret with a stored digest."""
    return hmac.compare_digest(digest(value), stored)


@dataclass(frozen=True)
class Issued:
    """An access token and its lifetime in seconds."""

    access_token: str
    expires_in: int


class AccessTokens:
    """Builds the claims of DESIGN.md (sub, role, org, exp) plus iss, aud, iat, jti."""

    def __init__(
        self, signer: TokenSigner, clock: Clock, *, issuer: str, audience: str, ttl: timedelta
    ) -> None:
        self.signer = signer
        self.clock = clock
        self.issuer = issuer
        self.audience = audience
        self.ttl = ttl

    def issue(self, *, sub: str, role: str, org: str, **extra: str) -> Issued:
        """A signed access token for `sub` acting as `role` inside `org`."""
        now = self.clock()
        claims: dict[str, object] = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": sub,
            "role": role,
            "org": org,
            "iat": int(now.timestamp()),
            "exp": int((now + self.ttl).timestamp()),
            "jti": str(uuid.uuid4()),
            **extra,
        }
        return Issued(self.signer.sign(claims), int(self.ttl.total_seconds()))
