"""Citizens' contacts and visit notes at rest: the kit's key ring (Fernet values still open)."""

from __future__ import annotations

from grassroots.kit.sealing import FernetReader, KeyRing, development_key, ring_keys
from grassroots.requests.config import RequestsSettings

# GR_REQUESTS_DATA_KEY joins the ring under this id.
DATA_KEY_ID = "data"
# The development key is derived from the JWT secret for this purpose (as before the ring,
# so development databases keep opening).
DEVELOPMENT_PURPOSE = "grassroots-requests-data"


class PersonalDataCipher:
    """Seals personal fields as the UTF-8 bytes of a key-ring token (None stays None)."""

    def __init__(self, ring: KeyRing) -> None:
        self.ring = ring

    @classmethod
    def from_settings(cls, settings: RequestsSettings) -> PersonalDataCipher:
        """The ring of GR_REQUESTS_DATA_KEYS and GR_REQUESTS_DATA_KEY (development: derived)."""
        single = settings.requests_data_key
        if not single and not settings.requests_data_keys:
            single = development_key(settings.jwt_secret, DEVELOPMENT_PURPOSE, env=settings.env)
        keys, active = ring_keys(
            settings.requests_data_keys,
            settings.requests_data_key_id,
            single_key=single,
            single_key_id=DATA_KEY_ID,
        )
        legacy = [FernetReader(single)] if single else []
        return cls(KeyRing(keys, active, legacy=legacy))

    def encrypt(self, value: str | None, *, record_id: str, field: str) -> bytes | None:
        """The sealed `value` of this record's field (None stays None)."""
        if value is None:
            return None
        return self.ring.seal(value, record_id=record_id, field=field).encode()

    def decrypt(self, token: bytes | None, *, record_id: str, field: str) -> str | None:
        """The plain text (None stays None); raise ValueError when it does not open."""
        if token is None:
            return None
        return self.ring.open(token, record_id=record_id, field=field)
