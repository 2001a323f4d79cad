"""Citizens' contacts at rest: the kit's key ring, Fernet values of earlier releases, settings."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import pytest
from cryptography.fernet import Fernet

from grassroots.kit.sealing import KeyRingError, NotAuthentic, new_key
from grassroots.requests.adapters.crypto import PersonalDataCipher
from grassroots.requests.config import RequestsSettings
from grassroots.requests.main import build_app

SECRET = "a-test-jwt-secret-of-at-least-thirty-two-bytes"


def cipher(**settings: Any) -> PersonalDataCipher:
    return PersonalDataCipher.from_settings(RequestsSettings(jwt_secret=SECRET, **settings))


def test_new_values_are_ring_tokens_bound_to_request_and_field() -> None:
    c = cipher()
    sealed = c.encrypt("13845671234", record_id="r1", field="citizen_phone")
    assert sealed is not None and sealed.startswith(b"v1:data:")
    assert c.decrypt(sealed, record_id="r1", field="citizen_phone") == "13845671234"
    with pytest.raises(NotAuthentic):
        c.decrypt(sealed, record_id="r2", field="citizen_phone")
    with pytest.raises(NotAuthentic):
        c.decrypt(sealed, record_id="r1", field="citizen_name")
    assert c.encrypt(None, record_id="r1", field="notes") is None
    assert c.decrypt(None, record_id="r1", field="notes") is None


def test_development_fernet_values_of_earlier_releases_still_open() -> None:
    # Before the key ring, development derived a Fernet key from the JWT secret like this.
    digest = hashlib.sha256(b"grassroots-requests-data:" + SECRET.encode()).digest()
    old = Fernet(base64.urlsafe_b64encode(digest)).encrypt("王秀兰".encode())
    c = cipher()
    assert c.decrypt(old, record_id="r1", field="citizen_name") == "王秀兰"
    assert c.ring.needs_rotation(old)


def test_the_single_data_key_joins_the_ring_and_opens_its_fernet_values() -> None:
    data_key = Fernet.generate_key().decode()
    old = Fernet(data_key.encode()).encrypt(b"13845671234")
    single = cipher(requests_data_key=data_key)
    sealed = single.encrypt("x", record_id="r", field="notes")
    assert sealed is not None and sealed.startswith(b"v1:data:")
    assert single.decrypt(old, record_id="r", field="citizen_phone") == "13845671234"
    # Rotation: a new active key in the ring; the single key still opens what it sealed.
    rotated = cipher(
        requests_data_key=data_key,
        requests_data_keys={"2027": new_key()},
        requests_data_key_id="2027",
    )
    assert rotated.ring.active_key_id == "2027"
    assert rotated.decrypt(sealed, record_id="r", field="notes") == "x"
    assert rotated.decrypt(old, record_id="r", field="citizen_phone") == "13845671234"
    assert rotated.ring.needs_rotation(sealed)


def test_a_ring_without_the_single_key_and_production_checks() -> None:
    ring_only = cipher(requests_data_keys={"2027": new_key()}, env="production")
    assert ring_only.ring.active_key_id == "2027"
    with pytest.raises(KeyRingError):
        cipher(requests_data_keys={"a": new_key(), "b": new_key()})
    with pytest.raises(ValueError, match="GR_REQUESTS_DATA_KEYS"):
        build_app(RequestsSettings(jwt_secret=SECRET, env="production"))
