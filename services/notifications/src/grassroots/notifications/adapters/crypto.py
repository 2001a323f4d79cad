"""AES-GCM sealing of contact details and webhook secrets, bound to their owner's id."""

from __future__ import annotations

import base64
import hashlib
import json
import os
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

NONCE_BYTES = 12


def key_from_setting(value: str) -> bytes:
    """A 32-byte key from a base64 setting (or, for development, any passphrase's SHA-256)."""
    try:
        raw = base64.b64decode(value, validate=True)
        if len(raw) == 32:
            return raw
    except ValueError:
        pass
    return hashlib.sha256(value.encode()).digest()


class Sealer:
    """Encrypts small JSON documents; the owner id is authenticated data, so rows cannot swap."""

    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key)

    def seal(self, owner: str, document: dict[str, Any]) -> bytes:
        """Nonce followed by ciphertext of the document's JSON."""
        nonce = os.urandom(NONCE_BYTES)
        plain = json.dumps(document, ensure_ascii=False).encode()
        return nonce + self._aead.encrypt(nonce, plain, owner.encode())

    def open(self, owner: str, sealed: bytes) -> dict[str, Any]:
        """Decrypt what `seal` produced for the same owner; raise ValueError when tampered."""
        try:
            plain = self._aead.decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], owner.encode())
        except InvalidTag as exc:
            raise ValueError("sealed value does not authenticate") from exc
        document: dict[str, Any] = json.loads(plain)
        return document


def mask_phone(phone: str) -> str:
    """138****5678 style."""
    digits = phone.strip()
    if len(digits) < 7:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]
