"""Idempotency keys: a POST retried with the same key and body gets the first answer again.

The answer is stored in the same transaction as the change it reports (callers add `row(...)`
to their writes), so a crash after the commit still finds it, and two concurrent retries
cannot both store: the second one's insert breaks the primary key and it replays the first.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, delete, select

from grassroots.kit.clock import as_utc, utcnow
from grassroots.kit.db import Database
from grassroots.kit.problems import Invalid, ProblemError
from grassroots.kit.tables import idempotency_keys

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
DEFAULT_TTL = timedelta(hours=24)


@dataclass(frozen=True)
class StoredAnswer:
    """The first answer to a key: status code and JSON body."""

    status_code: int
    body: str


class KeyReused(ProblemError):
    """422: the key came back with a different request."""

    def __init__(self) -> None:
        super().__init__(
            422,
            f"this {HEADER} was used with a different request; use a new key",
            type_="https://grassroots.example.org/problems/idempotency-key-reused",
            errors=[{"field": HEADER, "message": "used with a different request", "pointer": ""}],
        )


class AlreadyAnswered(Exception):
    """Another request with the same key stored its answer first (raised to replay it)."""

    def __init__(self, answer: StoredAnswer) -> None:
        super().__init__("answered before")
        self.answer = answer


def check_key(key: str) -> str:
    """A key as clients send it (1–200 visible ASCII characters); 422 naming the header."""
    if not 1 <= len(key) <= 200 or not all(33 <= ord(c) < 127 for c in key):
        raise Invalid(HEADER, "must be 1 to 200 visible ASCII characters, e.g. a UUID")
    return key


def fingerprint(method: str, path: str, body: bytes) -> str:
    """What makes two requests the same request."""
    digest = hashlib.sha256()
    for part in (method.upper().encode(), path.encode(), body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


@dataclass(frozen=True)
class IdempotentCall:
    """One call made with a key: where it belongs and what it said."""

    scope: str
    key: str
    fingerprint: str


class IdempotencyKeys:
    """The answers a service keeps per (scope, key), for `ttl` (24 hours by default)."""

    def __init__(self, db: Database, ttl: timedelta = DEFAULT_TTL) -> None:
        self.db = db
        self.ttl = ttl

    async def find(self, call: IdempotentCall, now: datetime | None = None) -> StoredAnswer | None:
        """The stored answer of `call`'s key, or None (an expired one is dropped); 422 when
        the key was used with another request."""
        now = now or utcnow()
        async with self.db.read_only() as session:
            row = (
                await session.execute(
                    select(idempotency_keys).where(
                        idempotency_keys.c.scope == call.scope, idempotency_keys.c.key == call.key
                    )
                )
            ).first()
        if row is None:
            return None
        if as_utc(row.created_at) < now - self.ttl:
            async with self.db.transaction() as session:
                await session.execute(
                    delete(idempotency_keys).where(
                        idempotency_keys.c.scope == call.scope,
                        idempotency_keys.c.key == call.key,
                        idempotency_keys.c.created_at == row.created_at,
                    )
                )
            return None
        if row.fingerprint != call.fingerprint:
            raise KeyReused()
        return StoredAnswer(row.status_code, row.body)

    def row(
        self, call: IdempotentCall, answer: StoredAnswer, now: datetime | None = None
    ) -> tuple[Table, dict[str, Any]]:
        """The row that keeps `answer`, for the transaction that makes the change."""
        return idempotency_keys, {
            "scope": call.scope,
            "key": call.key,
            "fingerprint": call.fingerprint,
            "status_code": answer.status_code,
            "body": answer.body,
            "created_at": now or utcnow(),
        }

    async def purge_expired(self, now: datetime | None = None) -> int:
        """Forget answers older than the time-to-live; how many went."""
        cutoff = (now or utcnow()) - self.ttl
        async with self.db.transaction() as session:
            result = await session.execute(
                delete(idempotency_keys).where(idempotency_keys.c.created_at < cutoff)
            )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]
