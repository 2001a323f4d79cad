"""Contacts and webhook secrets at rest: JSON documents sealed with the kit's key ring."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from typing import Any

from grassroots.kit.sealing import AesGcmReader, KeyRing, development_key, ring_keys
from grassroots.notifications.config import DEV_CONTACT_KEY, NotificationsSettings

# GR_NOTIFICATIONS_CONTACT_KEY joins the ring under this id.
CONTACT_KEY_ID = "contact"
DEVELOPMENT_PURPOSE = "grassroots-notifications-contact"


def key_from_setting(value: str) -> bytes:
    """A 32-byte key from a base64 setting, or any passphrase's SHA-256 (as before the ring)."""
    try:
        raw = base64.b64decode(value, validate=True)
        if len(raw) == 32:
            return raw
    except (binascii.Error, ValueError):
        pass
    return hashlib.sha256(value.encode()).digest()


class Sealer:
    """Seals small JSON documents bound to their owner's id and field, so rows cannot swap."""

    def __init__(self, ring: KeyRing) -> None:
        self.ring = ring

    @classmethod
    def from_settings(cls, settings: NotificationsSettings) -> Sealer:
        """The ring of GR_NOTIFICATIONS_CONTACT_KEYS and GR_NOTIFICATIONS_CONTACT_KEY."""
        keys = dict(settings.notifications_contact_keys)
        single = settings.notifications_contact_key
        legacy = []
        if single:
            raw = key_from_setting(single)
            legacy.append(AesGcmReader(raw))
            single = base64.b64encode(raw).decode()
        elif not keys:
            keys[CONTACT_KEY_ID] = development_key(
                settings.jwt_secret, DEVELOPMENT_PURPOSE, env=settings.env
            )
            # What development sealed before the ring.
            legacy.append(AesGcmReader(key_from_setting(DEV_CONTACT_KEY)))
        ring, active = ring_keys(
            keys,
            settings.notifications_contact_key_id,
            single_key=single,
            single_key_id=CONTACT_KEY_ID,
        )
        return cls(KeyRing(ring, active, legacy=legacy))

    def seal(self, owner: str, document: dict[str, Any], *, field: str) -> bytes:
        """The UTF-8 bytes of a key-ring token of the document's JSON."""
        plain = json.dumps(document, ensure_ascii=False)
        return self.ring.seal(plain, record_id=owner, field=field).encode()

    def open(self, owner: str, sealed: bytes, *, field: str) -> dict[str, Any]:
        """The document `seal` made for this owner and field; raise ValueError when tampered."""
        document: dict[str, Any] = json.loads(self.ring.open(sealed, record_id=owner, field=field))
        return document
