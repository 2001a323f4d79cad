"""Personal and secret values at rest: staff phones and TOTP secrets, sealed by the kit's ring."""

from __future__ import annotations

import pyotp

from grassroots.kit.masking import mask_phone
from grassroots.kit.sealing import KeyRing

ISSUER_NAME = "Grassroots 连心"


class PhoneSeals:
    """Phones sealed bound to their account; answers show them masked."""

    def __init__(self, ring: KeyRing) -> None:
        self.ring = ring

    def seal(self, account_id: str, phone: str) -> str:
        """The sealed token of the phone number."""
        return self.ring.seal(phone, record_id=account_id, field="phone")

    def masked(self, account_id: str, sealed: str) -> str:
        """The phone number masked (138****5678)."""
        return mask_phone(self.ring.open(sealed, record_id=account_id, field="phone"))


class TotpFactor:
    """RFC 6238 codes (pyotp); the secret sealed bound to its account."""

    def __init__(self, ring: KeyRing) -> None:
        self.ring = ring

    def new_secret(self) -> str:
        """A fresh base32 secret."""
        return pyotp.random_base32()

    def seal(self, account_id: str, secret: str) -> str:
        """The sealed token of the secret."""
        return self.ring.seal(secret, record_id=account_id, field="totp")

    def provisioning_uri(self, secret: str, username: str) -> str:
        """The otpauth:// URI an authenticator app scans."""
        return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER_NAME)

    def verify(self, account_id: str, sealed: str, code: str) -> bool:
        """True when `code` is the current code (or the one just before or after)."""
        secret = self.ring.open(sealed, record_id=account_id, field="totp")
        return pyotp.TOTP(secret).verify(code.strip(), valid_window=1)


class SessionTokenSeals:
    """A web session's access and refresh tokens, sealed bound to the session."""

    def __init__(self, ring: KeyRing) -> None:
        self.ring = ring

    def seal(self, session_hash: str, field: str, token: str) -> str:
        """The sealed token."""
        return self.ring.seal(token, record_id=session_hash, field=field)

    def open(self, session_hash: str, field: str, sealed: str) -> str:
        """The token back."""
        return self.ring.open(sealed, record_id=session_hash, field=field)
