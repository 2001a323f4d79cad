"""Managing accounts and API clients inside the caller's subtree, never above their role."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime

from grassroots.contracts.area import ROOT_AREA, area_prefix
from grassroots.portal.domain.accounts import (
    SECOND_FACTOR_FROM,
    Account,
    Actor,
    ApiClient,
    AuditEntry,
    Status,
    outranks,
    require_grant,
    require_manage,
)
from grassroots.portal.domain.errors import BadField, Clash, Missing, NotAllowed, NotSignedIn
from grassroots.portal.domain.passwords import check_password
from grassroots.portal.service.ports import (
    Clock,
    PasswordHasher,
    PhoneSealer,
    SecondFactor,
    UnitOfWork,
)
from grassroots.portal.service.signin import SignInPolicy, audit_entry
from grassroots.portal.service.tokens import digest, new_code, new_secret

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
ADMIN_USERNAME = "admin"


@dataclass(frozen=True)
class NewAccount:
    """The fields of POST /v1/accounts."""

    username: str
    password: str
    display_name: str
    role: str
    org: str
    member_id: str | None = None
    phone: str | None = None


@dataclass(frozen=True)
class AccountChange:
    """The fields of PATCH /v1/accounts/{id} (None: unchanged)."""

    status: Status | None = None
    role: str | None = None
    org: str | None = None
    display_name: str | None = None


@dataclass(frozen=True)
class ResetCode:
    """A one-time code shown once to the admin who issued it."""

    code: str
    expires_at: datetime


@dataclass(frozen=True)
class NewClient:
    """A created client with its secret (the only time the secret is seen)."""

    client: ApiClient
    secret: str


class AccountAdmin:
    """The use cases behind /v1/accounts and /v1/clients."""

    def __init__(
        self,
        uow: UnitOfWork,
        hasher: PasswordHasher,
        phones: PhoneSealer,
        second_factor: SecondFactor,
        clock: Clock,
        policy: SignInPolicy,
    ) -> None:
        self.uow = uow
        self.hasher = hasher
        self.phones = phones
        self.second_factor = second_factor
        self.clock = clock
        self.policy = policy

    def _audit(
        self, kind: str, actor: Actor, subject: str, area: str, **detail: object
    ) -> AuditEntry:
        return audit_entry(
            self.clock(), kind, actor=actor.sub, subject=subject, area_code=area, detail=detail
        )

    async def create(self, actor: Actor, new: NewAccount) -> Account:
        """A new account, granted at most the caller's role inside the caller's subtree."""
        require_grant(actor, new.role, new.org)
        username = new.username.strip().lower()
        if not USERNAME.match(username):
            raise BadField("username", "3-64 of a-z, 0-9, '.', '_', '-' (用户名格式不正确)")
        if new.role == "member" and not new.member_id:
            raise BadField("member_id", "a member account needs the member's id")
        check_password(new.password, username=username, min_length=self.policy.min_password_length)
        hashed = await self.hasher.hash(new.password)
        now = self.clock()
        account_id = str(uuid.uuid4())
        account = Account(
            id=account_id,
            username=username,
            display_name=new.display_name,
            role=new.role,
            org=new.org,
            status="active",
            password_hash=hashed,
            created_at=now,
            updated_at=now,
            phone=self.phones.seal(account_id, new.phone) if new.phone else None,
            member_id=new.member_id,
        )
        async with self.uow.write() as store:
            if await store.account_by_username(username) is not None:
                raise Clash(f"username {username!r} is taken (用户名已存在)")
            await store.add_account(account)
            await store.add_audit(
                self._audit("account.created", actor, account.id, account.org, role=account.role)
            )
        return account

    async def list_accounts(self, actor: Actor, after: str | None, limit: int) -> list[Account]:
        """Accounts inside the caller's subtree, by id."""
        require_grant(actor, "viewer", actor.org)
        async with self.uow.read() as store:
            return await store.accounts(area_prefix(actor.org), after, limit)

    async def get(self, actor: Actor, account_id: str) -> Account:
        """One account inside the caller's subtree."""
        require_grant(actor, "viewer", actor.org)
        async with self.uow.read() as store:
            account = await store.account_by_id(account_id)
        if account is None:
            raise Missing("no such account")
        require_manage(actor, "viewer", account.org)
        return account

    async def update(self, actor: Actor, account_id: str, change: AccountChange) -> Account:
        """Disable, re-role or re-scope an account the caller could have created."""
        now = self.clock()
        async with self.uow.write() as store:
            account = await store.account_by_id(account_id)
            if account is None:
                raise Missing("no such account")
            require_manage(actor, account.role, account.org)
            role = change.role or account.role
            org = change.org or account.org
            require_grant(actor, role, org)
            if account.subject == actor.sub and (
                role != account.role or org != account.org or change.status == "disabled"
            ):
                raise NotAllowed("nobody changes their own role, scope or status")
            if role == "member" and not account.member_id:
                raise BadField("role", "a member account needs the member's id")
            audits = []
            if role != account.role:
                audits.append(
                    self._audit("role.changed", actor, account.id, org, old=account.role, new=role)
                )
            if org != account.org:
                audits.append(
                    self._audit("scope.changed", actor, account.id, org, old=account.org, new=org)
                )
            if change.status and change.status != account.status:
                audits.append(
                    self._audit(
                        "status.changed",
                        actor,
                        account.id,
                        org,
                        old=account.status,
                        new=change.status,
                    )
                )
                account.status = change.status
            if role != account.role or org != account.org or account.status != "active":
                # The next refresh must carry the new grant (or none at all), and the
                # website's sessions end now: their access tokens carry the old grant.
                await store.revoke_account_refresh(account.id, now)
                await store.drop_account_web_sessions(account.id)
            account.role, account.org = role, org
            if change.display_name:
                account.display_name = change.display_name
            account.updated_at = now
            await store.save_account(account)
            for entry in audits:
                await store.add_audit(entry)
        return account

    async def unlock(self, actor: Actor, account_id: str) -> Account:
        """Lift a lock-out before its time."""
        async with self.uow.write() as store:
            account = await store.account_by_id(account_id)
            if account is None:
                raise Missing("no such account")
            require_manage(actor, account.role, account.org)
            account.failed_logins = 0
            account.locked_until = None
            account.updated_at = self.clock()
            await store.save_account(account)
            await store.add_audit(self._audit("account.unlocked", actor, account.id, account.org))
        return account

    async def issue_reset_code(self, actor: Actor, account_id: str) -> ResetCode:
        """A one-time code with which the account's owner sets a new password."""
        code = new_code()
        expires_at = self.clock() + self.policy.reset_code_ttl
        async with self.uow.write() as store:
            account = await store.account_by_id(account_id)
            if account is None:
                raise Missing("no such account")
            require_manage(actor, account.role, account.org)
            account.reset_code_hash = digest(code)
            account.reset_code_expires_at = expires_at
            await store.save_account(account)
            await store.add_audit(self._audit("reset_code.issued", actor, account.id, account.org))
        return ResetCode(code, expires_at)

    async def audit_log(self, actor: Actor, after: str | None, limit: int) -> list[AuditEntry]:
        """The audit records of the caller's subtree, oldest first."""
        require_grant(actor, "viewer", actor.org)
        async with self.uow.read() as store:
            return await store.audit(area_prefix(actor.org), after, limit)

    async def own_account(self, actor: Actor) -> Account:
        """The caller's own account (a staff token's sub is the account id)."""
        async with self.uow.read() as store:
            account = await store.account_by_id(actor.sub)
        if account is None:
            raise Missing("this token belongs to no account of the portal")
        return account

    async def start_totp(self, actor: Actor) -> tuple[str, str]:
        """A new TOTP secret (not yet required) and its otpauth:// URI for an app."""
        account = await self.own_account(actor)
        if not outranks(account.role, SECOND_FACTOR_FROM):
            raise NotAllowed("a second factor is offered to org admins and above")
        secret = self.second_factor.new_secret()
        async with self.uow.write() as store:
            fresh = await store.account_by_id(account.id)
            assert fresh is not None
            fresh.totp_secret = self.second_factor.seal(account.id, secret)
            fresh.totp_enabled = False
            await store.save_account(fresh)
        return secret, self.second_factor.provisioning_uri(secret, account.username)

    async def confirm_totp(self, actor: Actor, code: str) -> None:
        """Require the second factor from now on, once a code from the app matches."""
        account = await self.own_account(actor)
        if not account.totp_secret or not self.second_factor.verify(
            account.id, account.totp_secret, code
        ):
            raise NotSignedIn("code: wrong one-time code (动态口令错误)")
        async with self.uow.write() as store:
            fresh = await store.account_by_id(account.id)
            assert fresh is not None
            fresh.totp_enabled = True
            await store.save_account(fresh)
            await store.add_audit(self._audit("totp.enabled", actor, fresh.id, fresh.org))

    async def ensure_admin(self, password: str) -> bool:
        """The platform admin `admin` exists (created with `password` if not); True if made."""
        async with self.uow.read() as store:
            if await store.account_by_username(ADMIN_USERNAME) is not None:
                return False
        system = Actor("system", "platform_admin", ROOT_AREA)
        try:
            await self.create(
                system,
                NewAccount(ADMIN_USERNAME, password, "平台管理员", "platform_admin", ROOT_AREA),
            )
        except Clash:
            return False  # another replica made it first
        return True

    async def create_client(self, actor: Actor, name: str, role: str, org: str) -> NewClient:
        """A client with a role and scope the caller may grant; its secret is shown once."""
        require_grant(actor, role, org)
        if role == "platform_admin":
            raise NotAllowed("a system client never gets the platform admin role")
        secret = new_secret()
        client = ApiClient(
            client_id=f"cli_{uuid.uuid4().hex}",
            name=name,
            role=role,
            org=org,
            secret_hash=digest(secret),
            created_by=actor.sub,
            created_at=self.clock(),
        )
        async with self.uow.write() as store:
            await store.add_client(client)
            await store.add_audit(
                self._audit("client.created", actor, client.client_id, org, role=role)
            )
        return NewClient(client, secret)

    async def clients(self, actor: Actor, after: str | None, limit: int) -> list[ApiClient]:
        """Clients inside the caller's subtree."""
        require_grant(actor, "viewer", actor.org)
        async with self.uow.read() as store:
            return await store.clients(area_prefix(actor.org), after, limit)

    async def revoke_client(self, actor: Actor, client_id: str) -> None:
        """Revoke a client: its next token request fails (tokens it holds run out soon)."""
        async with self.uow.write() as store:
            client = await store.client_by_id(client_id)
            if client is None:
                raise Missing("no such client")
            require_manage(actor, client.role, client.org)
            if client.revoked_at is None:
                client.revoked_at = self.clock()
                await store.save_client(client)
                await store.add_audit(
                    self._audit("client.revoked", actor, client.client_id, client.org)
                )
