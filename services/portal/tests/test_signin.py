"""Sign-in: passwords, lock-out, refresh rotation, reset codes, the second factor, keys."""

from __future__ import annotations

from pathlib import Path

import jwt
import pyotp
from sqlalchemy import select

from grassroots.kit.testing.services import run_app
from grassroots.portal.adapters.orm import accounts, audit
from grassroots.portal.main import build_app

from .conftest import (
    ADMIN_PASSWORD,
    COUNTY,
    TOWNSHIP,
    Portal,
    migrated_sqlite,
    password_of,
    portal_settings,
)


async def test_sign_in_success_and_failure(portal: Portal) -> None:
    good = await portal.login("admin", ADMIN_PASSWORD)
    assert good.status_code == 200, good.text
    body = good.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 900 and body["refresh_token"]
    assert good.headers["cache-control"] == "no-store"
    header = jwt.get_unverified_header(body["access_token"])
    assert header["alg"] == "EdDSA" and header["kid"]
    keys = (await portal.client.get("/.well-known/jwks.json")).json()["keys"]
    key = jwt.PyJWK(next(k for k in keys if k["kid"] == header["kid"]))
    claims = jwt.decode(
        body["access_token"],
        key.key,
        ["EdDSA"],
        audience="grassroots",
        issuer="http://127.0.0.1:8000",
    )
    assert claims["role"] == "platform_admin" and claims["org"] == "000000000000"
    assert set(claims) >= {"sub", "role", "org", "exp", "iss", "aud", "iat", "jti"}
    assert claims["exp"] - claims["iat"] == 900

    for username, password in [("admin", "not-the-password-at-all"), ("nobody", ADMIN_PASSWORD)]:
        bad = await portal.login(username, password)
        assert bad.status_code == 401
        assert bad.headers["content-type"] == "application/problem+json"
        assert bad.json()["detail"].startswith("wrong username or password")
        assert "access_token" not in bad.json()
    me = await portal.client.get(
        "/v1/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"}
    )
    assert me.json()["account"]["username"] == "admin"
    kinds = await portal.audit_kinds()
    assert kinds.count("login.succeeded") == 1 and kinds.count("login.failed") == 2


async def test_lock_out_after_repeated_failures_and_its_release(portal: Portal) -> None:
    admin = await portal.admin()
    made = await portal.create_account(admin, "wangfang", "cadre", TOWNSHIP)
    assert made.status_code == 201, made.text
    password = password_of("wangfang")
    for _ in range(3):
        assert (await portal.login("wangfang", "wrong-password-123")).status_code == 401
    locked = await portal.login("wangfang", password)  # even the right password waits
    assert locked.status_code == 423
    assert locked.headers["content-type"] == "application/problem+json"
    assert 55 <= int(locked.headers["retry-after"]) <= 60

    portal.clock.advance(61)  # released by time
    assert (await portal.login("wangfang", password)).status_code == 200

    # Back-off: a new run of failures locks again, each failure past the threshold doubles it.
    for _ in range(3):
        await portal.login("wangfang", "wrong-password-123")
    portal.clock.advance(61)
    assert (await portal.login("wangfang", "wrong-password-123")).status_code == 401
    again = await portal.login("wangfang", password)
    assert again.status_code == 423 and 110 <= int(again.headers["retry-after"]) <= 120

    account_id = made.json()["id"]
    unlocked = await portal.client.post(f"/v1/accounts/{account_id}/unlock", headers=admin)
    assert unlocked.status_code == 200 and unlocked.json()["locked_until"] is None
    assert (await portal.login("wangfang", password)).status_code == 200
    kinds = await portal.audit_kinds()
    assert kinds.count("account.locked") == 3 and "account.unlocked" in kinds


async def test_one_client_failing_on_many_accounts_is_locked_out(portal: Portal) -> None:
    for i in range(8):
        assert (await portal.login(f"guess{i}", "guessed-password-1")).status_code == 401
    blocked = await portal.login("admin", ADMIN_PASSWORD)
    assert blocked.status_code == 423 and int(blocked.headers["retry-after"]) > 0
    assert "client.locked" in await portal.audit_kinds()


async def test_a_forged_forwarded_header_from_an_untrusted_peer_changes_nothing(
    portal: Portal,
) -> None:
    # GR_TRUSTED_PROXIES is empty: a new made-up address on every guess is still one client.
    for i in range(8):
        forged = {"X-Forwarded-For": f"203.0.113.{i + 1}"}
        body = {"username": f"guess{i}", "password": "guessed-password-1"}
        refused = await portal.client.post("/v1/auth/login", json=body, headers=forged)
        assert refused.status_code == 401
    body = {"username": "admin", "password": ADMIN_PASSWORD}
    blocked = await portal.client.post(
        "/v1/auth/login", json=body, headers={"X-Forwarded-For": "198.51.100.1"}
    )
    assert blocked.status_code == 423


async def test_clients_behind_a_trusted_proxy_are_locked_out_one_by_one(tmp_path: Path) -> None:
    # The test's peer (127.0.0.1) is the reverse proxy; it names each client it forwards.
    settings = portal_settings(await migrated_sqlite(tmp_path), trusted_proxies="127.0.0.1/32")
    async with run_app(build_app(settings)) as service:
        guesser = {"X-Forwarded-For": "203.0.113.7"}
        for i in range(8):
            body = {"username": f"guess{i}", "password": "guessed-password-1"}
            refused = await service.client.post("/v1/auth/login", json=body, headers=guesser)
            assert refused.status_code == 401
        body = {"username": "admin", "password": ADMIN_PASSWORD}
        blocked = await service.client.post("/v1/auth/login", json=body, headers=guesser)
        assert blocked.status_code == 423
        # Another citizen behind the same proxy signs in.
        other = {"X-Forwarded-For": "198.51.100.9"}
        signed_in = await service.client.post("/v1/auth/login", json=body, headers=other)
        assert signed_in.status_code == 200, signed_in.text
        async with service.runtime.db.read_only() as session:
            rows = await session.execute(
                select(audit.c.client_addr).where(audit.c.kind == "client.locked")
            )
        assert list(rows.scalars()) == ["203.0.113.7"]


async def test_passwords_are_hashed_with_argon2id_and_weak_ones_refused(portal: Portal) -> None:
    admin = await portal.admin()
    base = {"display_name": "李四", "role": "viewer", "org": COUNTY}
    for password in ["short-1", "password1234", "1234567890", "aaaaaaaaaaaa", "lisi-secret-99"]:
        weak = await portal.client.post(
            "/v1/accounts", json={**base, "username": "lisi", "password": password}, headers=admin
        )
        assert weak.status_code == 422, password
        assert weak.json()["errors"][0]["field"] == "password"
    made = await portal.client.post(
        "/v1/accounts",
        json={**base, "username": "lisi", "password": "青山绿水-good-2026", "phone": "13812345678"},
        headers=admin,
    )
    assert made.status_code == 201, made.text
    assert made.json()["phone"] == "138****5678" and "password" not in made.json()
    async with portal.service.runtime.db.read_only() as session:
        row = (await session.execute(select(accounts).where(accounts.c.username == "lisi"))).one()
    assert row.password_hash.startswith("$argon2id$")
    assert "13812345678" not in row.phone_sealed
    taken = await portal.create_account(admin, "lisi", "viewer", COUNTY)
    assert taken.status_code == 409


async def test_refresh_tokens_rotate_and_a_reused_one_revokes_its_family(portal: Portal) -> None:
    first = (await portal.login("admin", ADMIN_PASSWORD)).json()
    second = await portal.client.post(
        "/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}
    )
    assert second.status_code == 200, second.text
    pair = second.json()
    assert pair["refresh_token"] != first["refresh_token"] and pair["access_token"]
    reused = await portal.client.post(
        "/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}
    )
    assert reused.status_code == 401
    # The thief and the owner share the family: the newest link is gone as well.
    after = await portal.client.post(
        "/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]}
    )
    assert after.status_code == 401
    assert "refresh.reused" in await portal.audit_kinds()
    unknown = await portal.client.post("/v1/auth/refresh", json={"refresh_token": "made-up"})
    assert unknown.status_code == 401


async def test_admin_issued_reset_code_works_once(portal: Portal) -> None:
    admin = await portal.admin()
    made = (await portal.create_account(admin, "zhaoliu", "cadre", TOWNSHIP)).json()
    issued = await portal.client.post(f"/v1/accounts/{made['id']}/reset-code", headers=admin)
    assert issued.status_code == 201
    code = issued.json()["code"]
    body = {"username": "zhaoliu", "code": code, "new_password": "新的密码-evening-2027"}
    assert (await portal.client.post("/v1/auth/reset", json=body)).status_code == 204
    assert (await portal.login("zhaoliu", password_of("zhaoliu"))).status_code == 401
    assert (await portal.login("zhaoliu", "新的密码-evening-2027")).status_code == 200
    again = await portal.client.post(
        "/v1/auth/reset", json={**body, "new_password": "another-one-2028"}
    )
    assert again.status_code == 401


async def test_member_signs_in_as_their_member_record(portal: Portal) -> None:
    admin = await portal.admin()
    made = await portal.create_account(admin, "member-li", "member", TOWNSHIP, member_id="m-0042")
    assert made.status_code == 201, made.text
    without = await portal.create_account(admin, "member-x", "member", TOWNSHIP)
    assert without.status_code == 422 and without.json()["errors"][0]["field"] == "member_id"
    token = (await portal.login("member-li", password_of("member-li"))).json()["access_token"]
    claims = jwt.decode(token, options={"verify_signature": False})
    assert (claims["sub"], claims["role"], claims["org"]) == ("m-0042", "member", TOWNSHIP)


async def test_second_factor_for_an_org_admin(portal: Portal) -> None:
    admin = await portal.admin()
    await portal.create_account(admin, "county-admin", "org_admin", COUNTY)
    own = await portal.bearer("county-admin", password_of("county-admin"))
    started = await portal.client.post("/v1/auth/totp", headers=own)
    assert started.status_code == 201 and started.json()["otpauth_uri"].startswith("otpauth://")
    totp = pyotp.TOTP(started.json()["secret"])
    wrong = await portal.client.post("/v1/auth/totp/confirm", json={"code": "000000"}, headers=own)
    assert wrong.status_code in (401, 204)  # 000000 could be the code by chance (1 in 10^6)
    confirmed = await portal.client.post(
        "/v1/auth/totp/confirm", json={"code": totp.now()}, headers=own
    )
    assert confirmed.status_code == 204
    missing = await portal.login("county-admin", password_of("county-admin"))
    assert missing.status_code == 401 and "totp_code" in missing.json()["detail"]
    good = await portal.login("county-admin", password_of("county-admin"), totp_code=totp.now())
    assert good.status_code == 200
    cadre = await portal.create_account(admin, "cadre-zhou", "cadre", TOWNSHIP)
    assert cadre.status_code == 201
    mine = await portal.bearer("cadre-zhou", password_of("cadre-zhou"))
    assert (await portal.client.post("/v1/auth/totp", headers=mine)).status_code == 403


async def test_discovery_names_the_issuer_its_keys_and_token_endpoint(portal: Portal) -> None:
    found = (await portal.client.get("/.well-known/openid-configuration")).json()
    assert found["issuer"] == "http://127.0.0.1:8000"
    assert found["jwks_uri"] == "http://127.0.0.1:8000/.well-known/jwks.json"
    assert found["token_endpoint"] == "http://127.0.0.1:8000/v1/auth/token"
    keys = (await portal.client.get("/.well-known/jwks.json")).json()["keys"]
    assert keys and all(k["kty"] == "OKP" and k["alg"] == "EdDSA" and "d" not in k for k in keys)
