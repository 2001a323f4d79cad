"""Contacts and webhook secrets at rest: the key ring, and raw AES-GCM values of before."""

from __future__ import annotations

import base64
import hashlib
import json
import os
from typing import Any

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from grassroots.kit.sealing import NotAuthentic, new_key
from grassroots.notifications.adapters.crypto import Sealer
from grassroots.notifications.config import DEV_CONTACT_KEY, NotificationsSettings

SECRET = "a-test-jwt-secret-of-at-least-thirty-two-bytes"
DOCUMENT = {"name": "王秀兰", "phone": "13845671234", "email": None, "tracking_code": "T1"}


def sealer(**settings: Any) -> Sealer:
    return Sealer.from_settings(NotificationsSettings(jwt_secret=SECRET, **settings))


def sealed_before_the_ring(key: bytes, owner: str, document: dict[str, Any]) -> bytes:
    """What the service stored before the key ring: nonce + AES-GCM, the owner as AAD."""
    nonce = os.urandom(12)
    plain = json.dumps(document, ensure_ascii=False).encode()
    return nonce + AESGCM(key).encrypt(nonce, plain, owner.encode())


def test_documents_are_ring_tokens_bound_to_owner_and_field() -> None:
    s = sealer()
    sealed = s.seal("citizen:r1", DOCUMENT, field="contact")
    assert sealed.startswith(b"v1:contact:") and b"13845671234" not in sealed
    assert s.open("citizen:r1", sealed, field="contact") == DOCUMENT
    with pytest.raises(NotAuthentic):
        s.open("citizen:r2", sealed, field="contact")
    with pytest.raises(NotAuthentic):
        s.open("citizen:r1", sealed, field="webhook_secret")


@pytest.mark.parametrize(
    ("setting", "key"),
    [
        (None, hashlib.sha256(DEV_CONTACT_KEY.encode()).digest()),
        (
            "a passphrase of an earlier deployment",
            hashlib.sha256(b"a passphrase of an earlier deployment").digest(),
        ),
        (base64.b64encode(b"k" * 32).decode(), b"k" * 32),
    ],
)
def test_values_sealed_before_the_ring_still_open(setting: str | None, key: bytes) -> None:
    old = sealed_before_the_ring(key, "member:m1", DOCUMENT)
    s = sealer(notifications_contact_key=setting)
    assert s.open("member:m1", old, field="contact") == DOCUMENT
    assert s.ring.needs_rotation(old)
    with pytest.raises(NotAuthentic):
        s.open("member:m2", old, field="contact")


def test_rotation_keeps_the_single_key_readable() -> None:
    single = base64.b64encode(os.urandom(32)).decode()
    before = sealer(notifications_contact_key=single)
    sealed = before.seal("webhook-1", {"secret": "s3cret"}, field="webhook_secret")
    after = sealer(
        notifications_contact_key=single,
        notifications_contact_keys={"2027": new_key()},
        notifications_contact_key_id="2027",
    )
    assert after.ring.needs_rotation(sealed)
    assert after.open("webhook-1", sealed, field="webhook_secret") == {"secret": "s3cret"}
    assert after.seal("webhook-1", {}, field="webhook_secret").startswith(b"v1:2027:")


def test_production_needs_a_real_key() -> None:
    with pytest.raises(ValueError, match="GR_NOTIFICATIONS_CONTACT_KEY"):
        NotificationsSettings(env="production", jwt_secret=SECRET)
    with pytest.raises(ValueError, match="GR_NOTIFICATIONS_CONTACT_KEY"):
        NotificationsSettings(
            env="production", jwt_secret=SECRET, notifications_contact_key=DEV_CONTACT_KEY
        )
    ring_only = sealer(env="production", notifications_contact_keys={"2027": new_key()})
    assert ring_only.ring.active_key_id == "2027"
