"""Personal data at rest: one AES-256-GCM key ring with rotation, keyed look-up hashes.

A sealed value is the token `v1:<key id>:<base64 of nonce + ciphertext>`: the format
version, then the id of the key that sealed it. The associated data is
`<record id>:<field>`, so a value copied into another row or column does not open.

Rotation: add a key to the ring, make it the active one (new values are sealed with it),
re-seal the values for which `needs_rotation` is true, then drop the old key.

Values written before a service used the ring stay readable through legacy readers
(`FernetReader`, `AesGcmReader`), tried when a value is not a token of the ring;
`needs_rotation` is true for them, so re-sealing moves them into the ring.

`development_key` derives a stable key from a secret and a purpose, for development only:
it refuses to work when the environment is `production`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from collections.abc import Mapping, Sequence
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

FORMAT_VERSION = "v1"
NONCE_BYTES = 12
KEY_BYTES = 32


class SealingError(ValueError):
    """A value cannot be sealed or opened."""


class KeyRingError(SealingError):
    """A key is missing, malformed, or not in the ring."""


class NotAuthentic(SealingError):
    """A value does not open: tampered with, malformed, or moved to another record or field."""


def decode_key(encoded: str) -> bytes:
    """The 32 bytes (AES-256) of a base64 key, standard or URL-safe alphabet."""
    for altchars in (None, b"-_"):
        try:
            raw = base64.b64decode(encoded, altchars=altchars, validate=True)
        except (binascii.Error, ValueError):
            continue
        if len(raw) != KEY_BYTES:
            raise KeyRingError("an encryption key must be 32 bytes (AES-256)")
        return raw
    raise KeyRingError("an encryption key must be base64")


def new_key() -> str:
    """A fresh random key, base64 (what the key-ring settings take)."""
    return base64.b64encode(os.urandom(KEY_BYTES)).decode()


def development_key(secret: str, purpose: str, *, env: str) -> str:
    """A stable development key: base64 of SHA-256 of `<purpose>:<secret>`; none in production."""
    if env == "production":
        raise KeyRingError(f"no development key for {purpose!r} in production: configure one")
    return base64.b64encode(hashlib.sha256(f"{purpose}:{secret}".encode()).digest()).decode()


def ring_keys(
    keys: Mapping[str, str],
    active_key_id: str | None,
    *,
    single_key: str | None = None,
    single_key_id: str,
) -> tuple[dict[str, str], str]:
    """A service's ring from its settings: the ring, plus an older single-key setting.

    The single key joins the ring under `single_key_id`; the active id defaults to it,
    else to the ring's only key.
    """
    ring = dict(keys)
    if single_key:
        if single_key_id in ring and ring[single_key_id] != single_key:
            raise KeyRingError(f"key id {single_key_id!r} is taken by the single-key setting")
        ring[single_key_id] = single_key
    if active_key_id is None:
        if single_key:
            active_key_id = single_key_id
        elif len(ring) == 1:
            active_key_id = next(iter(ring))
        else:
            raise KeyRingError("name the active key id of the key ring")
    return ring, active_key_id


def _as_bytes(stored: str | bytes | bytearray | memoryview) -> bytes:
    return stored.encode() if isinstance(stored, str) else bytes(stored)


def _parse(stored: bytes) -> tuple[str, str, bytes] | None:
    """(version, key id, nonce + ciphertext) of a token, or None when it is not one."""
    try:
        version, kid, blob = stored.decode("ascii").split(":", 2)
        raw = base64.b64decode(blob, validate=True)
    except (UnicodeDecodeError, ValueError):
        return None
    if not version.startswith("v") or len(raw) <= NONCE_BYTES:
        return None
    return version, kid, raw


class LegacyReader(Protocol):
    """Opens values written in a format that preceded the key ring."""

    def open(self, stored: bytes, *, record_id: str, field: str) -> str:
        """The plaintext; raise `NotAuthentic` when the value is not this reader's."""
        ...


class FernetReader:
    """Fernet tokens (AES-128-CBC + HMAC-SHA256) without associated data."""

    def __init__(self, key: str) -> None:
        self._fernet = Fernet(base64.urlsafe_b64encode(decode_key(key)))

    def open(self, stored: bytes, *, record_id: str, field: str) -> str:
        """The plaintext of a Fernet token made with this key."""
        try:
            return self._fernet.decrypt(stored).decode()
        except InvalidToken as exc:
            raise NotAuthentic("not a Fernet token of this key") from exc


class AesGcmReader:
    """Raw `nonce + AES-GCM ciphertext` with the record id alone as associated data."""

    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key)

    def open(self, stored: bytes, *, record_id: str, field: str) -> str:
        """The plaintext of a value sealed with this key for this record."""
        try:
            plain = self._aead.decrypt(
                stored[:NONCE_BYTES], stored[NONCE_BYTES:], record_id.encode()
            )
        except (InvalidTag, ValueError) as exc:
            raise NotAuthentic("not a raw AES-GCM value of this key and record") from exc
        return plain.decode()


class KeyRing:
    """Seals and opens field values under several keys, one of them active.

    Keys are base64 of 32 bytes, by id; ids contain no `:`. `index_key` keys the look-up
    hash. `legacy` readers open values that are not tokens of the ring.
    """

    def __init__(
        self,
        keys: Mapping[str, str],
        active_key_id: str,
        index_key: str | None = None,
        *,
        legacy: Sequence[LegacyReader] = (),
    ) -> None:
        if not keys:
            raise KeyRingError("the key ring is empty")
        if any(not kid or ":" in kid for kid in keys):
            raise KeyRingError("key ids must be non-empty and contain no ':'")
        if active_key_id not in keys:
            raise KeyRingError(f"the active key id {active_key_id!r} is not in the key ring")
        self._aeads = {kid: AESGCM(decode_key(value)) for kid, value in keys.items()}
        self._index_key = None if index_key is None else index_key.encode()
        self._legacy = tuple(legacy)
        self.active_key_id = active_key_id
        self.config = (dict(keys), active_key_id, index_key)

    @property
    def key_ids(self) -> frozenset[str]:
        """The ids of every key that can open values."""
        return frozenset(self._aeads)

    @property
    def active_prefix(self) -> str:
        """How every token sealed with the active key begins (for finding the others)."""
        return f"{FORMAT_VERSION}:{self.active_key_id}:"

    def seal(self, plaintext: str, *, record_id: str, field: str) -> str:
        """`v1:<active key id>:<base64 nonce + ciphertext>`, bound to the record and field."""
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aeads[self.active_key_id].encrypt(
            nonce, plaintext.encode(), _associated(record_id, field)
        )
        return f"{self.active_prefix}{base64.b64encode(nonce + sealed).decode()}"

    def open(
        self, token: str | bytes | bytearray | memoryview, *, record_id: str, field: str
    ) -> str:
        """The plaintext of a token of the ring (or of a legacy value) for this record and field."""
        stored = _as_bytes(token)
        parsed = _parse(stored)
        failure: SealingError = NotAuthentic("not a sealed value")
        if parsed is not None:
            try:
                return self._open_token(parsed, record_id, field)
            except SealingError as exc:
                failure = exc
        for reader in self._legacy:
            try:
                return reader.open(stored, record_id=record_id, field=field)
            except NotAuthentic:
                continue
        raise failure

    def _open_token(self, parsed: tuple[str, str, bytes], record_id: str, field: str) -> str:
        version, kid, raw = parsed
        if version != FORMAT_VERSION:
            raise KeyRingError(f"unknown token format {version!r}")
        aead = self._aeads.get(kid)
        if aead is None:
            raise KeyRingError(f"no key {kid!r} in the ring to open this value")
        try:
            plain = aead.decrypt(
                raw[:NONCE_BYTES], raw[NONCE_BYTES:], _associated(record_id, field)
            )
        except InvalidTag as exc:
            raise NotAuthentic(f"the value does not open as {field!r} of this record") from exc
        return plain.decode()

    @staticmethod
    def key_id_of(token: str | bytes | bytearray | memoryview) -> str | None:
        """The id of the key that sealed a token; None for a value that is not a token."""
        parsed = _parse(_as_bytes(token))
        return None if parsed is None else parsed[1]

    def needs_rotation(self, token: str | bytes | bytearray | memoryview) -> bool:
        """True when a value was not sealed with the active key (legacy values included)."""
        parsed = _parse(_as_bytes(token))
        return parsed is None or parsed[0] != FORMAT_VERSION or parsed[1] != self.active_key_id

    def reseal(
        self, token: str | bytes | bytearray | memoryview, *, record_id: str, field: str
    ) -> str | None:
        """The value sealed anew with the active key, or None when it already is."""
        if not self.needs_rotation(token):
            return None
        plain = self.open(token, record_id=record_id, field=field)
        return self.seal(plain, record_id=record_id, field=field)

    def lookup_hash(self, value: str) -> str:
        """A keyed hash (HMAC-SHA256, hex) to find equal values without opening them."""
        if self._index_key is None:
            raise KeyRingError("this key ring has no index key for look-up hashes")
        return hmac.new(self._index_key, value.encode(), hashlib.sha256).hexdigest()


def _associated(record_id: str, field: str) -> bytes:
    if ":" in field:
        raise SealingError("a field name contains no ':'")
    return f"{record_id}:{field}".encode()
