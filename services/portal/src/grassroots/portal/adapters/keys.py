"""The issuer's signing keys (Ed25519, EdDSA): sign with the active one, publish them all."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from jwt.algorithms import OKPAlgorithm

ALGORITHM = "EdDSA"


def new_private_pem() -> str:
    """A fresh Ed25519 private key as PKCS#8 PEM (the development key file)."""
    return (
        Ed25519PrivateKey.generate()
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )


def thumbprint(public: Ed25519PublicKey) -> str:
    """RFC 7638 thumbprint of the key: a key id that follows from the key itself."""
    x = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    canonical = json.dumps(
        {"crv": "Ed25519", "kty": "OKP", "x": base64.urlsafe_b64encode(x).rstrip(b"=").decode()},
        separators=(",", ":"),
        sort_keys=True,
    )
    return (
        base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()).rstrip(b"=").decode()
    )


@dataclass(frozen=True)
class SigningKey:
    """One key of the ring, by id."""

    kid: str
    private: Ed25519PrivateKey

    @classmethod
    def from_setting(cls, kid: str, value: str) -> SigningKey:
        """The key of a PKCS#8 PEM text or of base64 of its 32 private bytes (Ed25519 only)."""
        if value.lstrip().startswith("-----BEGIN"):
            private = serialization.load_pem_private_key(value.encode(), password=None)
            if not isinstance(private, Ed25519PrivateKey):
                raise ValueError(f"signing key {kid!r} is not an Ed25519 key")
            return cls(kid, private)
        try:
            raw = base64.b64decode(value + "=" * (-len(value) % 4), altchars=b"-_", validate=False)
        except (binascii.Error, ValueError) as exc:
            raise ValueError(f"signing key {kid!r} is neither PEM nor base64") from exc
        if len(raw) != 32:
            raise ValueError(f"signing key {kid!r} must be 32 bytes (Ed25519)")
        return cls(kid, Ed25519PrivateKey.from_private_bytes(raw))

    def public_jwk(self) -> dict[str, Any]:
        """The public half as a JWK with its id, algorithm and use."""
        jwk: dict[str, Any] = OKPAlgorithm.to_jwk(self.private.public_key(), as_dict=True)
        return {**jwk, "kid": self.kid, "alg": ALGORITHM, "use": "sig"}


class KeyRing:
    """Every published key and the one that signs. Rotation: publish a new key next to the
    old, make it the active one, and drop the old once the tokens it signed have expired."""

    def __init__(self, keys: list[SigningKey], active_kid: str) -> None:
        self._keys = {key.kid: key for key in keys}
        if active_kid not in self._keys:
            raise ValueError(f"the active signing key {active_kid!r} is not in the ring")
        self.active = self._keys[active_kid]
        self._public = {kid: jwt.PyJWK(key.public_jwk()) for kid, key in self._keys.items()}

    @classmethod
    def from_settings(cls, pems: dict[str, str], active_kid: str | None) -> KeyRing:
        """The ring of `{kid: PEM or base64}`; the active id defaults to the only key."""
        keys = [SigningKey.from_setting(kid, value) for kid, value in pems.items()]
        if active_kid is None:
            if len(keys) != 1:
                raise ValueError("name the active signing key (GR_PORTAL_SIGNING_KEY_ID)")
            active_kid = keys[0].kid
        return cls(keys, active_kid)

    @classmethod
    def development(cls, path: Path | None) -> KeyRing:
        """One key kept in `path` (made on first use), or a fresh one held in memory."""
        if path is None:
            private = Ed25519PrivateKey.generate()
        else:
            if not path.exists():
                path.parent.mkdir(parents=True, exist_ok=True)
                descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(descriptor, "w") as handle:
                    handle.write(new_private_pem())
            private = SigningKey.from_setting("dev", path.read_text()).private
        key = SigningKey(thumbprint(private.public_key()), private)
        return cls([key], key.kid)

    def sign(self, claims: dict[str, Any]) -> str:
        """A JWT of `claims` signed with the active key, its id in the header."""
        return jwt.encode(claims, self.active.private, ALGORITHM, headers={"kid": self.active.kid})

    def jwks(self) -> dict[str, Any]:
        """The JWKS document: every key's public half."""
        return {"keys": [key.public_jwk() for key in self._keys.values()]}

    async def key(self, kid: str) -> jwt.PyJWK | None:
        """The public key with this id (the kit's KeySource, for the portal's own checks)."""
        return self._public.get(kid)
