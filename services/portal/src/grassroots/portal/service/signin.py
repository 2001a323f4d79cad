"""Signing in: passwords with lock-out, rotating refresh tokens, reset codes, client credentials."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from grassroots.portal.domain.accounts import Account, AuditEntry, RefreshToken
from grassroots.portal.domain.errors import BadGrant, LockedOut, NotSignedIn, PortalError
from grassroots.portal.domain.lockout import BackOff, ClientFailures, seconds_left
from grassroots.portal.domain.passwords import check_password
from grassroots.portal.service.ports import (
    Clock,
    PasswordHasher,
    SecondFactor,
    Store,
    UnitOfWork,
)
from grassroots.portal.service.tokens import AccessTokens, Issued, digest, new_secret, same_digest

WRONG_CREDENTIALS = "wrong username or password (用户名或密码错误)"


@dataclass(frozen=True)
class SignInPolicy:
    """Password length, lock-out back-off per account and per client, lifetimes."""

    min_password_length: int
    account_back_off: BackOff
    client_back_off: BackOff
    forget_failures_after: timedelta
    refresh_ttl: timedelta
    reset_code_ttl: timedelta


@dataclass(frozen=True)
class TokenPair:
    """What a sign-in or a refresh answers."""

    access: Issued
    refresh_token: str


def audit_entry(
    now: datetime,
    kind: str,
    *,
    actor: str,
    subject: str,
    area_code: str,
    client_addr: str | None = None,
    detail: dict[str, object] | None = None,
) -> AuditEntry:
    """One audit record (ids sort by time)."""
    return AuditEntry(
        id=f"{now.strftime('%Y%m%d%H%M%S%f')}-{uuid.uuid4().hex[:8]}",
        at=now,
        kind=kind,
        actor=actor,
        subject=subject,
        area_code=area_code,
        client_addr=client_addr,
        detail=dict(detail or {}),
    )


class SignIn:
    """The use cases behind /v1/auth/*."""

    def __init__(
        self,
        uow: UnitOfWork,
        hasher: PasswordHasher,
        tokens: AccessTokens,
        second_factor: SecondFactor,
        clock: Clock,
        policy: SignInPolicy,
        dummy_hash: str,
    ) -> None:
        self.uow = uow
        self.hasher = hasher
        self.tokens = tokens
        self.second_factor = second_factor
        self.clock = clock
        self.policy = policy
        # Verified when the username is unknown, so both answers take the hash's time.
        self.dummy_hash = dummy_hash

    def _refuse_if_locked(self, account: Account | None, client: ClientFailures | None) -> None:
        now = self.clock()
        if client is not None and (wait := seconds_left(client.locked_until, now)):
            raise LockedOut("too many failed sign-ins from this client (尝试次数过多)", wait)
        if account is not None and (wait := seconds_left(account.locked_until, now)):
            raise LockedOut("this account is locked after failed sign-ins (账号已锁定)", wait)

    async def login(
        self, username: str, password: str, totp_code: str | None, client_addr: str
    ) -> TokenPair:
        """Check the password (and second factor); count failures; answer a token pair."""
        async with self.uow.read() as store:
            account = await store.account_by_username(username)
            client = await store.client_failures(client_addr)
        self._refuse_if_locked(account, client)
        good = await self.hasher.verify(
            account.password_hash if account else self.dummy_hash, password
        )
        refusal: PortalError | None = None
        if account is None or not good:
            refusal = NotSignedIn(WRONG_CREDENTIALS)
        elif account.status != "active":
            refusal = NotSignedIn("this account is disabled (账号已停用)")
        elif account.totp_enabled and account.totp_secret:
            if not totp_code:
                refusal = NotSignedIn("totp_code: a one-time code is required (需要动态口令)")
            elif not self.second_factor.verify(account.id, account.totp_secret, totp_code):
                refusal = NotSignedIn("totp_code: wrong one-time code (动态口令错误)")
        async with self.uow.write() as store:
            if refusal is None:
                assert account is not None
                pair = await self._succeed(store, account.id, client_addr)
            else:
                await self._fail(store, username, client_addr, str(refusal.detail))
        if refusal is not None:
            raise refusal
        return pair

    async def _succeed(self, store: Store, account_id: str, client_addr: str) -> TokenPair:
        now = self.clock()
        account = await store.account_by_id(account_id)
        if account is None:
            raise NotSignedIn(WRONG_CREDENTIALS)
        account.failed_logins = 0
        account.locked_until = None
        await store.save_account(account)
        pair = await self._new_pair(store, account, family_id=str(uuid.uuid4()))
        await store.add_audit(
            audit_entry(
                now,
                "login.succeeded",
                actor=account.id,
                subject=account.id,
                area_code=account.org,
                client_addr=client_addr,
            )
        )
        return pair

    async def _fail(self, store: Store, username: str, client_addr: str, reason: str) -> None:
        now = self.clock()
        policy = self.policy
        client = await store.client_failures(client_addr) or ClientFailures(client_addr, 0, now)
        was_locked = seconds_left(client.locked_until, now) > 0
        client.record(now, policy.client_back_off, policy.forget_failures_after)
        await store.save_client_failures(client)
        account = await store.account_by_username(username)
        area = account.org if account else "000000000000"
        subject = account.id if account else f"username:{username[:64]}"
        await store.add_audit(
            audit_entry(
                now,
                "login.failed",
                actor=subject,
                subject=subject,
                area_code=area,
                client_addr=client_addr,
                detail={"reason": reason},
            )
        )
        if client.locked_until and not was_locked:
            await store.add_audit(
                audit_entry(
                    now,
                    "client.locked",
                    actor="system",
                    subject=client_addr,
                    area_code="000000000000",
                    client_addr=client_addr,
                    detail={"until": client.locked_until.isoformat()},
                )
            )
        if account is None:
            return
        account.failed_logins += 1
        wait = policy.account_back_off.lock_for(account.failed_logins)
        account.locked_until = now + wait if wait else None
        await store.save_account(account)
        if wait:
            await store.add_audit(
                audit_entry(
                    now,
                    "account.locked",
                    actor="system",
                    subject=account.id,
                    area_code=account.org,
                    client_addr=client_addr,
                    detail={
                        "failures": account.failed_logins,
                        "until": account.locked_until.isoformat() if account.locked_until else "",
                    },
                )
            )

    async def _new_pair(self, store: Store, account: Account, *, family_id: str) -> TokenPair:
        now = self.clock()
        refresh = new_secret()
        await store.add_refresh(
            RefreshToken(
                token_hash=digest(refresh),
                family_id=family_id,
                account_id=account.id,
                created_at=now,
                expires_at=now + self.policy.refresh_ttl,
            )
        )
        access = self.tokens.issue(sub=account.subject, role=account.role, org=account.org)
        return TokenPair(access, refresh)

    async def refresh(self, refresh_token: str, client_addr: str) -> TokenPair:
        """Trade a refresh token for a new pair; a second use revokes its whole family."""
        now = self.clock()
        token_hash = digest(refresh_token)
        refusal: NotSignedIn | None = None
        async with self.uow.write() as store:
            found = await store.refresh_by_hash(token_hash)
            account = await store.account_by_id(found.account_id) if found else None
            if found is None or account is None:
                refusal = NotSignedIn("unknown refresh token")
            elif not await store.claim_refresh(token_hash, now):
                # Used or revoked before: whoever holds the family now may be a thief.
                await store.revoke_family(found.family_id, now)
                await store.add_audit(
                    audit_entry(
                        now,
                        "refresh.reused",
                        actor=account.id,
                        subject=account.id,
                        area_code=account.org,
                        client_addr=client_addr,
                        detail={"family": found.family_id},
                    )
                )
                refusal = NotSignedIn("refresh token already used: sign in again (请重新登录)")
            elif found.expires_at <= now:
                refusal = NotSignedIn("refresh token expired: sign in again (请重新登录)")
            elif account.status != "active":
                refusal = NotSignedIn("this account is disabled (账号已停用)")
            else:
                pair = await self._new_pair(store, account, family_id=found.family_id)
        if refusal is not None:
            raise refusal
        return pair

    async def reset_password(
        self, username: str, code: str, new_password: str, client_addr: str
    ) -> None:
        """Set a new password with the one-time code an admin issued; the code is spent."""
        now = self.clock()
        check_password(new_password, username=username, min_length=self.policy.min_password_length)
        async with self.uow.read() as store:
            account = await store.account_by_username(username)
            client = await store.client_failures(client_addr)
        self._refuse_if_locked(account, client)
        good = (
            account is not None
            and account.reset_code_hash is not None
            and account.reset_code_expires_at is not None
            and account.reset_code_expires_at > now
            and same_digest(code.strip().upper(), account.reset_code_hash)
        )
        hashed = await self.hasher.hash(new_password) if good else ""
        async with self.uow.write() as store:
            if not good or account is None:
                await self._fail(store, username, client_addr, "wrong or expired reset code")
            else:
                fresh = await store.account_by_id(account.id)
                assert fresh is not None
                fresh.password_hash = hashed
                fresh.reset_code_hash = None
                fresh.reset_code_expires_at = None
                fresh.failed_logins = 0
                fresh.locked_until = None
                fresh.updated_at = now
                await store.save_account(fresh)
                await store.revoke_account_refresh(fresh.id, now)
                await store.add_audit(
                    audit_entry(
                        now,
                        "password.reset",
                        actor=fresh.id,
                        subject=fresh.id,
                        area_code=fresh.org,
                        client_addr=client_addr,
                    )
                )
        if not good:
            raise NotSignedIn("wrong or expired reset code (重置码错误或已过期)")

    async def client_token(self, client_id: str, client_secret: str) -> Issued:
        """RFC 6749 client credentials: a token for a live client whose secret matches."""
        async with self.uow.read() as store:
            client = await store.client_by_id(client_id)
        if (
            client is None
            or client.revoked_at is not None
            or not same_digest(client_secret, client.secret_hash)
        ):
            raise BadGrant("invalid_client", "unknown, revoked or wrong client credentials", 401)
        return self.tokens.issue(
            sub=client.client_id, role=client.role, org=client.org, client_id=client.client_id
        )
