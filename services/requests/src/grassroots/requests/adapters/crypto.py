"""Encryption at rest of citizens' contacts and visit notes (Fernet: AES-128-CBC + HMAC)."""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken


class PersonalDataCipher:
    """Encrypts and decrypts personal fields with one service key."""

    def __init__(self, key: str | None, *, fallback_secret: str) -> None:
        if key:
            self._fernet = Fernet(key.encode())
        else:
            # Development only: a stable key derived from the (dev) JWT secret.
            digest = hashlib.sha256(b"grassroots-requests-data:" + fallback_secret.encode())
            self._fernet = Fernet(base64.urlsafe_b64encode(digest.digest()))

    def encrypt(self, value: str | None) -> bytes | None:
        """Ciphertext of `value` (None stays None)."""
        return None if value is None else self._fernet.encrypt(value.encode())

    def decrypt(self, token: bytes | None) -> str | None:
        """Plain text of `token` (None stays None); raise ValueError when it was tampered with."""
        if token is None:
            return None
        try:
            return self._fernet.decrypt(bytes(token)).decode()
        except InvalidToken as exc:
            raise ValueError("personal data cannot be decrypted with this key") from exc


def mask_phone(phone: str | None) -> str | None:
    """`138****5678` for `13812345678`."""
    if not phone:
        return phone
    if len(phone) <= 7:
        return "*" * (len(phone) - 2) + phone[-2:]
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


def mask_name(name: str | None) -> str | None:
    """`张*` for `张三`, `欧阳**` style: the first character only."""
    if not name:
        return name
    return name[0] + "*" * max(1, len(name) - 1)
