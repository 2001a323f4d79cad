"""The use cases' Store and UnitOfWork over SQLAlchemy (SQLite or PostgreSQL)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy import Table, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from grassroots.kit.db import Database, dialect_insert
from grassroots.portal.adapters.orm import (
    accounts,
    api_clients,
    audit,
    client_failures,
    web_sessions,
)
from grassroots.portal.adapters.orm import refresh_tokens as refresh_table
from grassroots.portal.domain.accounts import Account, ApiClient, AuditEntry, RefreshToken
from grassroots.portal.domain.lockout import ClientFailures
from grassroots.portal.domain.websessions import WebSession

_ACCOUNT_COLUMNS = {"phone": "phone_sealed", "totp_secret": "totp_sealed"}


def _account_row(account: Account) -> dict[str, Any]:
    row = asdict(account)
    for field, column in _ACCOUNT_COLUMNS.items():
        row[column] = row.pop(field)
    return row


def _account(row: Any) -> Account:
    values = dict(row._mapping)
    for field, column in _ACCOUNT_COLUMNS.items():
        values[field] = values.pop(column)
    return Account(**values)


def _in_subtree(table: Table, column: str, prefix: str) -> Any:
    return table.c[column].startswith(prefix, autoescape=True)


class SqlStore:
    """The Store protocol on one session."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def account_by_id(self, account_id: str) -> Account | None:
        row = (
            await self.session.execute(select(accounts).where(accounts.c.id == account_id))
        ).first()
        return _account(row) if row else None

    async def account_by_username(self, username: str) -> Account | None:
        query = select(accounts).where(accounts.c.username == username.strip().lower())
        row = (await self.session.execute(query)).first()
        return _account(row) if row else None

    async def add_account(self, account: Account) -> None:
        await self.session.execute(insert(accounts).values(_account_row(account)))

    async def save_account(self, account: Account) -> None:
        row = _account_row(account)
        await self.session.execute(update(accounts).where(accounts.c.id == account.id).values(row))

    async def accounts(self, prefix: str, after: str | None, limit: int) -> list[Account]:
        query = select(accounts).where(_in_subtree(accounts, "org", prefix))
        if after:
            query = query.where(accounts.c.id > after)
        rows = await self.session.execute(query.order_by(accounts.c.id).limit(limit))
        return [_account(row) for row in rows]

    async def client_failures(self, client_key: str) -> ClientFailures | None:
        query = select(client_failures).where(client_failures.c.client_key == client_key)
        row = (await self.session.execute(query)).first()
        return ClientFailures(**row._mapping) if row else None

    async def save_client_failures(self, failures: ClientFailures) -> None:
        values = asdict(failures)
        upsert = dialect_insert(self.session)(client_failures).values(values)
        await self.session.execute(
            upsert.on_conflict_do_update(index_elements=["client_key"], set_=values)
        )

    async def add_refresh(self, token: RefreshToken) -> None:
        await self.session.execute(insert(refresh_table).values(asdict(token)))

    async def refresh_by_hash(self, token_hash: str) -> RefreshToken | None:
        query = select(refresh_table).where(refresh_table.c.token_hash == token_hash)
        row = (await self.session.execute(query)).first()
        return RefreshToken(**row._mapping) if row else None

    async def claim_refresh(self, token_hash: str, now: datetime) -> bool:
        # One statement, so two concurrent refreshes with one token cannot both win.
        result = await self.session.execute(
            update(refresh_table)
            .where(
                refresh_table.c.token_hash == token_hash,
                refresh_table.c.used_at.is_(None),
                refresh_table.c.revoked_at.is_(None),
            )
            .values(used_at=now)
        )
        return bool(getattr(result, "rowcount", 0))

    async def revoke_family(self, family_id: str, now: datetime) -> None:
        await self.session.execute(
            update(refresh_table)
            .where(refresh_table.c.family_id == family_id, refresh_table.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )

    async def revoke_account_refresh(self, account_id: str, now: datetime) -> None:
        await self.session.execute(
            update(refresh_table)
            .where(refresh_table.c.account_id == account_id, refresh_table.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )

    async def add_client(self, client: ApiClient) -> None:
        await self.session.execute(insert(api_clients).values(asdict(client)))

    async def client_by_id(self, client_id: str) -> ApiClient | None:
        query = select(api_clients).where(api_clients.c.client_id == client_id)
        row = (await self.session.execute(query)).first()
        return ApiClient(**row._mapping) if row else None

    async def save_client(self, client: ApiClient) -> None:
        await self.session.execute(
            update(api_clients)
            .where(api_clients.c.client_id == client.client_id)
            .values(asdict(client))
        )

    async def clients(self, prefix: str, after: str | None, limit: int) -> list[ApiClient]:
        query = select(api_clients).where(_in_subtree(api_clients, "org", prefix))
        if after:
            query = query.where(api_clients.c.client_id > after)
        rows = await self.session.execute(query.order_by(api_clients.c.client_id).limit(limit))
        return [ApiClient(**row._mapping) for row in rows]

    async def add_audit(self, entry: AuditEntry) -> None:
        await self.session.execute(insert(audit).values(asdict(entry)))

    async def audit(self, prefix: str, after: str | None, limit: int) -> list[AuditEntry]:
        query = select(audit).where(_in_subtree(audit, "area_code", prefix))
        if after:
            query = query.where(audit.c.id > after)
        rows = await self.session.execute(query.order_by(audit.c.id).limit(limit))
        return [AuditEntry(**row._mapping) for row in rows]

    async def add_web_session(self, web: WebSession) -> None:
        await self.session.execute(insert(web_sessions).values(_web_row(web)))

    async def web_session(self, id_hash: str) -> WebSession | None:
        query = select(web_sessions).where(web_sessions.c.id_hash == id_hash)
        row = (await self.session.execute(query)).first()
        return _web(row) if row else None

    async def save_web_session(self, web: WebSession) -> None:
        values = _web_row(web)
        await self.session.execute(
            update(web_sessions).where(web_sessions.c.id_hash == web.id_hash).values(values)
        )

    async def drop_web_session(self, id_hash: str) -> None:
        await self.session.execute(delete(web_sessions).where(web_sessions.c.id_hash == id_hash))

    async def drop_account_web_sessions(self, account_id: str) -> int:
        done = await self.session.execute(
            delete(web_sessions).where(web_sessions.c.account_id == account_id)
        )
        return int(getattr(done, "rowcount", 0) or 0)

    async def drop_expired_web_sessions(self, now: datetime) -> int:
        done = await self.session.execute(
            delete(web_sessions).where(web_sessions.c.expires_at <= now)
        )
        return int(getattr(done, "rowcount", 0) or 0)


_WEB_COLUMNS = {"access_token": "access_sealed", "refresh_token": "refresh_sealed"}


def _web_row(web: WebSession) -> dict[str, Any]:
    row = asdict(web)
    for field, column in _WEB_COLUMNS.items():
        row[column] = row.pop(field)
    return row


def _web(row: Any) -> WebSession:
    values = dict(row._mapping)
    for field, column in _WEB_COLUMNS.items():
        values[field] = values.pop(column)
    return WebSession(**values)


class SqlUnitOfWork:
    """Transactions of the service's database, committed when the block ends well."""

    def __init__(self, db: Database) -> None:
        self.db = db

    @asynccontextmanager
    async def write(self) -> AsyncIterator[SqlStore]:
        async with self.db.transaction() as session:
            yield SqlStore(session)

    @asynccontextmanager
    async def read(self) -> AsyncIterator[SqlStore]:
        async with self.db.read_only() as session:
            yield SqlStore(session)
