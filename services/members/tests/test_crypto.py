"""Field encryption: round trip, binding to record and field, key rotation."""

from __future__ import annotations

import base64
import os

import pytest
from cryptography.exceptions import InvalidTag

from grassroots.members.adapters.crypto import CipherKeyError, FieldCipher


def key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


def test_round_trip_and_no_plaintext() -> None:
    cipher = FieldCipher({"k1": key()}, "k1", "index")
    sealed = cipher.encrypt("13912345678", record_id="m1", field="phone")
    assert "13912345678" not in sealed and sealed.startswith("v1:k1:")
    assert cipher.decrypt(sealed, record_id="m1", field="phone") == "13912345678"
    assert cipher.encrypt("13912345678", record_id="m1", field="phone") != sealed


def test_a_value_moved_to_another_record_does_not_decrypt() -> None:
    cipher = FieldCipher({"k1": key()}, "k1", "index")
    sealed = cipher.encrypt("13912345678", record_id="m1", field="phone")
    with pytest.raises(InvalidTag):
        cipher.decrypt(sealed, record_id="m2", field="phone")


def test_rotation_keeps_old_values_readable() -> None:
    old, new = key(), key()
    before = FieldCipher({"k1": old}, "k1", "index")
    sealed = before.encrypt("x", record_id="m", field="f")
    after = FieldCipher({"k1": old, "k2": new}, "k2", "index")
    assert after.needs_rotation(sealed)
    assert after.decrypt(sealed, record_id="m", field="f") == "x"
    resealed = after.encrypt("x", record_id="m", field="f")
    assert not after.needs_rotation(resealed)
    with pytest.raises(CipherKeyError):
        FieldCipher({"k2": new}, "k2", "index").decrypt(sealed, record_id="m", field="f")


def test_keys_are_checked() -> None:
    with pytest.raises(CipherKeyError):
        FieldCipher({"k1": base64.b64encode(b"short").decode()}, "k1", "index")
    with pytest.raises(CipherKeyError):
        FieldCipher({"k1": key()}, "k2", "index")


def test_lookup_hash_is_keyed() -> None:
    a = FieldCipher({"k1": key()}, "k1", "one").lookup_hash("x")
    b = FieldCipher({"k1": key()}, "k1", "two").lookup_hash("x")
    assert a != b and len(a) == 64
