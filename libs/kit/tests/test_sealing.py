"""The key ring: round trip, binding to record and field, tampering, rotation, legacy readers."""

from __future__ import annotations

import base64
import hashlib
import json
import os

import pytest
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from grassroots.kit.masking import mask_name, mask_phone
from grassroots.kit.sealing import (
    AesGcmReader,
    FernetReader,
    KeyRing,
    KeyRingError,
    NotAuthentic,
    SealingError,
    decode_key,
    development_key,
    new_key,
    ring_keys,
)


def ring(**keys: str) -> KeyRing:
    return KeyRing(keys, next(iter(keys)), "index")


def test_round_trip_names_version_and_key_and_hides_the_plaintext() -> None:
    r = ring(k1=new_key())
    token = r.seal("13912345678", record_id="m1", field="phone")
    assert token.startswith("v1:k1:") and "13912345678" not in token
    assert r.open(token, record_id="m1", field="phone") == "13912345678"
    assert r.open(token.encode(), record_id="m1", field="phone") == "13912345678"
    assert r.seal("13912345678", record_id="m1", field="phone") != token
    assert r.open(r.seal("", record_id="m1", field="x"), record_id="m1", field="x") == ""
    name = r.seal("王小明", record_id="m1", field="name")
    assert r.open(name, record_id="m1", field="name") == "王小明"


def test_the_members_token_format_is_kept() -> None:
    """A value sealed by hand as members always did still opens (`v1:<kid>:`, AAD `id:field`)."""
    key = new_key()
    nonce = os.urandom(12)
    sealed = AESGCM(base64.b64decode(key)).encrypt(nonce, b"230321198001011234", b"m7:id_number")
    token = f"v1:2025:{base64.b64encode(nonce + sealed).decode()}"
    r = KeyRing({"2025": key}, "2025")
    assert r.open(token, record_id="m7", field="id_number") == "230321198001011234"


@pytest.mark.parametrize(("record_id", "field"), [("m2", "phone"), ("m1", "id_number")])
def test_a_value_moved_to_another_record_or_field_does_not_open(record_id: str, field: str) -> None:
    r = ring(k1=new_key())
    token = r.seal("13912345678", record_id="m1", field="phone")
    with pytest.raises(NotAuthentic):
        r.open(token, record_id=record_id, field=field)


def test_tampering_is_detected() -> None:
    r = ring(k1=new_key())
    token = r.seal("13912345678", record_id="m1", field="phone")
    prefix, blob = token.rsplit(":", 1)
    raw = bytearray(base64.b64decode(blob))
    raw[-1] ^= 1
    with pytest.raises(NotAuthentic):
        r.open(f"{prefix}:{base64.b64encode(bytes(raw)).decode()}", record_id="m1", field="phone")
    for broken in ("", "13912345678", "v1:k1:not base64!", token[:-8]):
        with pytest.raises(SealingError):
            r.open(broken, record_id="m1", field="phone")


def test_an_unknown_key_id_or_format_does_not_open() -> None:
    token = ring(k1=new_key()).seal("x", record_id="m", field="f")
    with pytest.raises(KeyRingError):
        ring(k2=new_key()).open(token, record_id="m", field="f")
    with pytest.raises(KeyRingError):
        ring(k1=new_key()).open("v9" + token[2:], record_id="m", field="f")


def test_rotation_keeps_old_values_readable_and_reseals_them() -> None:
    old, new = new_key(), new_key()
    token = KeyRing({"k1": old}, "k1").seal("x", record_id="m", field="f")
    after = KeyRing({"k1": old, "k2": new}, "k2")
    assert after.needs_rotation(token) and after.key_id_of(token) == "k1"
    assert after.open(token, record_id="m", field="f") == "x"
    resealed = after.reseal(token, record_id="m", field="f")
    assert resealed is not None and resealed.startswith(after.active_prefix)
    assert not after.needs_rotation(resealed)
    assert after.reseal(resealed, record_id="m", field="f") is None
    assert KeyRing({"k2": new}, "k2").open(resealed, record_id="m", field="f") == "x"


def test_keys_are_checked() -> None:
    with pytest.raises(KeyRingError):
        KeyRing({"k1": base64.b64encode(b"short").decode()}, "k1")
    with pytest.raises(KeyRingError):
        KeyRing({"k1": "not base64 at all"}, "k1")
    with pytest.raises(KeyRingError):
        KeyRing({"k1": new_key()}, "k2")
    with pytest.raises(KeyRingError):
        KeyRing({"a:b": new_key()}, "a:b")
    with pytest.raises(KeyRingError):
        KeyRing({}, "k1")
    fernet_key = Fernet.generate_key().decode()
    assert decode_key(fernet_key) == base64.urlsafe_b64decode(fernet_key)
    with pytest.raises(SealingError):
        ring(k1=new_key()).seal("x", record_id="m", field="a:b")


def test_lookup_hash_is_stable_and_keyed() -> None:
    a = KeyRing({"k1": new_key()}, "k1", "one")
    assert a.lookup_hash("x") == KeyRing({"k2": new_key()}, "k2", "one").lookup_hash("x")
    assert a.lookup_hash("x") != KeyRing({"k1": new_key()}, "k1", "two").lookup_hash("x")
    assert a.lookup_hash("x") != a.lookup_hash("y") and len(a.lookup_hash("x")) == 64
    with pytest.raises(KeyRingError):
        KeyRing({"k1": new_key()}, "k1").lookup_hash("x")


def test_development_keys_are_deterministic_and_refused_in_production() -> None:
    key = development_key("secret", "purpose", env="development")
    assert key == development_key("secret", "purpose", env="test")
    assert key != development_key("secret", "other purpose", env="development")
    assert key != development_key("other secret", "purpose", env="development")
    assert base64.b64decode(key) == hashlib.sha256(b"purpose:secret").digest()
    with pytest.raises(KeyRingError):
        development_key("secret", "purpose", env="production")


def test_ring_keys_from_settings() -> None:
    one, two = new_key(), new_key()
    assert ring_keys({}, None, single_key=one, single_key_id="data") == ({"data": one}, "data")
    assert ring_keys({"2027": two}, None, single_key_id="data") == ({"2027": two}, "2027")
    assert ring_keys({"2027": two}, "2027", single_key=one, single_key_id="data") == (
        {"2027": two, "data": one},
        "2027",
    )
    with pytest.raises(KeyRingError):
        ring_keys({"a": one, "b": two}, None, single_key_id="data")
    with pytest.raises(KeyRingError):
        ring_keys({"data": two}, None, single_key=one, single_key_id="data")


def test_fernet_values_open_through_the_legacy_reader() -> None:
    fernet_key = Fernet.generate_key().decode()
    old = Fernet(fernet_key.encode()).encrypt(b"13812345678")
    r = KeyRing({"data": fernet_key}, "data", legacy=[FernetReader(fernet_key)])
    assert r.open(old, record_id="any", field="any") == "13812345678"
    assert r.needs_rotation(old) and r.key_id_of(old) is None
    resealed = r.reseal(old, record_id="r1", field="citizen_phone")
    assert resealed is not None and r.open(resealed, record_id="r1", field="citizen_phone")
    new = r.seal("x", record_id="r1", field="f")
    with pytest.raises(NotAuthentic):
        r.open(new, record_id="r2", field="f")
    with pytest.raises(NotAuthentic):
        KeyRing({"data": fernet_key}, "data").open(old, record_id="any", field="any")
    other = Fernet.generate_key().decode()
    with pytest.raises(NotAuthentic):
        KeyRing({"data": other}, "data", legacy=[FernetReader(other)]).open(
            old, record_id="a", field="f"
        )


def test_raw_aes_gcm_values_open_through_the_legacy_reader() -> None:
    key = os.urandom(32)
    nonce = os.urandom(12)
    document = json.dumps({"phone": "13812345678"}).encode()
    old = nonce + AESGCM(key).encrypt(nonce, document, b"owner-1")
    r = KeyRing({"contact": base64.b64encode(key).decode()}, "contact", legacy=[AesGcmReader(key)])
    assert json.loads(r.open(old, record_id="owner-1", field="contact")) == {"phone": "13812345678"}
    assert r.needs_rotation(old)
    with pytest.raises(NotAuthentic):
        r.open(old, record_id="owner-2", field="contact")
    # Raw bytes that happen to look like a token still fall back to the legacy reader.
    lookalike = b"v1:k:" + os.urandom(7)
    looking = lookalike + AESGCM(key).encrypt(lookalike, b"x", b"owner-1")
    assert r.open(looking, record_id="owner-1", field="contact") == "x"


def test_phones_and_names_are_masked_one_way() -> None:
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone(" 13812345678 ") == "138****5678"
    assert mask_phone("04671234567") == "046****4567"
    assert mask_phone("1234567") == "*****67"
    assert mask_phone("12") == "**"
    assert mask_phone("") == ""
    assert mask_phone(None) is None
    assert mask_name("张三") == "张*"
    assert mask_name("王小明") == "王**"
    assert mask_name("欧阳小明") == "欧***"
    assert mask_name("张") == "张*"
    assert mask_name(None) is None
