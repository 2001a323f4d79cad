"""Website sessions: sign in with a password, act with the account's tokens, sign out.

The browser holds only a random session id in an httpOnly cookie; the portal keeps the
access and refresh tokens (sealed) and swaps the access token before it runs out.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from datetime import timedelta

from grassroots.portal.domain.accounts import Account
from grassroots.portal.domain.websessions import WebSession
from grassroots.portal.service.ports import Clock, TokenSeals, UnitOfWork
from grassroots.portal.service.signin import SignIn, TokenPair
from grassroots.portal.service.tokens import digest, new_secret

ACCESS = "web_access"
REFRESH = "web_refresh"


@dataclass(frozen=True)
class SignedIn:
    """The person behind a session, and the token the website calls the services with."""

    session_id: str
    account_id: str
    username: str
    display_name: str
    role: str
    org: str
    member_id: str | None
    access_token: str
    csrf_token: str


class WebSessions:
    """Opens, continues and closes website sessions on top of the sign-in use cases."""

    def __init__(
        self,
        uow: UnitOfWork,
        signin: SignIn,
        seals: TokenSeals,
        clock: Clock,
        *,
        idle: timedelta,
        refresh_ttl: timedelta,
    ) -> None:
        self.uow = uow
        self.signin = signin
        self.seals = seals
        self.clock = clock
        self.idle = idle
        self.refresh_ttl = refresh_ttl
        # One refresh at a time per session in this process: a second refresh with the same
        # refresh token would look like theft and end the session.
        self._refreshing: dict[str, asyncio.Lock] = {}

    async def open(
        self, username: str, password: str, totp_code: str | None, client_addr: str
    ) -> SignedIn:
        """Check the credentials (lock-out and audit as for the API) and open a session."""
        pair = await self.signin.login(username, password, totp_code, client_addr)
        raw = new_secret()
        id_hash = digest(raw)
        now = self.clock()
        web = WebSession(
            id_hash=id_hash,
            account_id="",
            csrf_token=new_secret(),
            access_token=self.seals.seal(id_hash, ACCESS, pair.access.access_token),
            access_expires_at=now + timedelta(seconds=pair.access.expires_in),
            refresh_token=self.seals.seal(id_hash, REFRESH, pair.refresh_token),
            created_at=now,
            last_seen_at=now,
            expires_at=min(now + self.idle, now + self.refresh_ttl),
        )
        async with self.uow.write() as store:
            account = await store.account_by_username(username)
            assert account is not None  # the sign-in just succeeded
            web = replace(web, account_id=account.id)
            await store.add_web_session(web)
            await store.drop_expired_web_sessions(now)
        return _signed_in(raw, web, account, pair.access.access_token)

    async def current(self, raw: str | None, client_addr: str) -> SignedIn | None:
        """The session of a cookie value, its access token fresh; None when it has ended."""
        if not raw or len(raw) > 200:
            return None
        id_hash = digest(raw)
        async with self.uow.read() as store:
            web = await store.web_session(id_hash)
            account = await store.account_by_id(web.account_id) if web else None
        now = self.clock()
        if web is None or web.expired(now) or account is None or account.status != "active":
            return None
        if web.needs_fresh_access(now):
            fresh = await self._refresh(id_hash, client_addr)
            if fresh is None:
                return None
            web = fresh
        elif now - web.last_seen_at > timedelta(minutes=1):
            # The idle end moves at most once a minute, not with every request.
            web = web.seen(now, self.idle, web.created_at + self.refresh_ttl)
            async with self.uow.write() as store:
                await store.save_web_session(web)
        access = self.seals.open(id_hash, ACCESS, web.access_token)
        return _signed_in(raw, web, account, access)

    async def close(self, raw: str | None) -> None:
        """Sign out: the session and its tokens are forgotten."""
        if raw:
            async with self.uow.write() as store:
                await store.drop_web_session(digest(raw))

    async def _refresh(self, id_hash: str, client_addr: str) -> WebSession | None:
        lock = self._refreshing.setdefault(id_hash, asyncio.Lock())
        try:
            async with lock:
                async with self.uow.read() as store:
                    web = await store.web_session(id_hash)
                now = self.clock()
                if web is None or web.expired(now):
                    return None
                if not web.needs_fresh_access(now):
                    return web  # another request of this session refreshed it meanwhile
                refresh = self.seals.open(id_hash, REFRESH, web.refresh_token)
                try:
                    pair: TokenPair = await self.signin.refresh(refresh, client_addr)
                except Exception:
                    async with self.uow.write() as store:
                        await store.drop_web_session(id_hash)
                    return None
                fresh = replace(
                    web.seen(now, self.idle, web.created_at + self.refresh_ttl),
                    access_token=self.seals.seal(id_hash, ACCESS, pair.access.access_token),
                    access_expires_at=now + timedelta(seconds=pair.access.expires_in),
                    refresh_token=self.seals.seal(id_hash, REFRESH, pair.refresh_token),
                )
                async with self.uow.write() as store:
                    await store.save_web_session(fresh)
                return fresh
        finally:
            if not lock.locked():
                self._refreshing.pop(id_hash, None)


def _signed_in(raw: str, web: WebSession, account: Account, access: str) -> SignedIn:
    return SignedIn(
        session_id=raw,
        account_id=account.id,
        username=account.username,
        display_name=account.display_name,
        role=account.role,
        org=account.org,
        member_id=account.member_id,
        access_token=access,
        csrf_token=web.csrf_token,
    )
