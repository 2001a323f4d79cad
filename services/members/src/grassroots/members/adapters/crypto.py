"""Field encryption at rest: AES-256-GCM with a key ring, so keys can be rotated."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from collections.abc import Mapping
from functools import lru_cache

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_VERSION = "v1"
_NONCE_BYTES = 12


class CipherKeyError(ValueError):
    """A key is missing or malformed."""


def decode_key(encoded: str) -> bytes:
    """A base64 key of 32 bytes (AES-256)."""
    try:
        raw = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise CipherKeyError("an encryption key must be base64") from exc
    if len(raw) != 32:
        raise CipherKeyError("an encryption key must be 32 bytes (AES-256)")
    return raw


class FieldCipher:
    """Encrypts one field value at a time; the ciphertext names the key that made it.

    The associated data binds a ciphertext to its record and field, so a value copied
    into another row or column does not decrypt.
    """

    def __init__(self, keys: Mapping[str, str], active_key_id: str, index_key: str) -> None:
        if active_key_id not in keys:
            raise CipherKeyError(f"the active key id {active_key_id!r} is not in the key ring")
        self._keys = {kid: AESGCM(decode_key(value)) for kid, value in keys.items()}
        self.config = (dict(keys), active_key_id, index_key)
        self.active_key_id = active_key_id
        self._index_key = index_key.encode()

    def encrypt(self, plaintext: str, *, record_id: str, field: str) -> str:
        """`v1:<key id>:<base64 nonce+ciphertext>` under the active key."""
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._keys[self.active_key_id].encrypt(
            nonce, plaintext.encode(), f"{record_id}:{field}".encode()
        )
        blob = base64.b64encode(nonce + sealed).decode()
        return f"{_VERSION}:{self.active_key_id}:{blob}"

    def decrypt(self, token: str, *, record_id: str, field: str) -> str:
        """The plaintext of a ciphertext made by `encrypt` under any key of the ring."""
        version, kid, blob = token.split(":", 2)
        if version != _VERSION or kid not in self._keys:
            raise CipherKeyError(f"no key {kid!r} to decrypt this value")
        raw = base64.b64decode(blob)
        plain = self._keys[kid].decrypt(
            raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], f"{record_id}:{field}".encode()
        )
        return plain.decode()

    @staticmethod
    def key_id_of(token: str) -> str:
        """The id of the key a ciphertext was made with."""
        return token.split(":", 2)[1]

    def needs_rotation(self, token: str) -> bool:
        """True when a ciphertext was not made with the active key."""
        return self.key_id_of(token) != self.active_key_id

    def lookup_hash(self, value: str) -> str:
        """A keyed hash (HMAC-SHA256) to find equal values without decrypting them."""
        return hmac.new(self._index_key, value.encode(), hashlib.sha256).hexdigest()


@lru_cache(maxsize=4)
def cipher_from(
    keys: tuple[tuple[str, str], ...], active_key_id: str, index_key: str
) -> FieldCipher:
    """A cipher built once per key configuration."""
    return FieldCipher(dict(keys), active_key_id, index_key)
