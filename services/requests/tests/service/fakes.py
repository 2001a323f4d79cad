"""In-memory stand-ins for the repository and the outbox, for use-case tests without I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any, cast

from grassroots.contracts.events.base import EventData
from grassroots.requests.adapters.repository import RequestFilter
from grassroots.requests.domain.request import Request
from grassroots.requests.service.context import RequestsContext


@dataclass
class FakeOutbox:
    """Keeps every added event, in order."""

    added: list[tuple[EventData, str, str, str | None]] = field(default_factory=list)

    async def add(
        self,
        session: Any,
        data: EventData,
        *,
        area_code: str,
        aggregate_id: str,
        actor: str | None = None,
        causation_id: str | None = None,
    ) -> None:
        self.added.append((data, area_code, aggregate_id, actor))


@dataclass
class FakeRepository:
    """Requests by id, with the version guard of the real `save`; every write is kept."""

    rows: dict[str, dict[str, Any]] = field(default_factory=dict)
    history: list[dict[str, Any]] = field(default_factory=list)
    reads_logged: list[dict[str, Any]] = field(default_factory=list)
    filters: list[RequestFilter] = field(default_factory=list)
    member_writes: list[tuple[str, int, dict[str, Any]]] = field(default_factory=list)

    def store(self, row: dict[str, Any]) -> None:
        self.rows[row["id"]] = dict(row)

    async def get_for_update(self, session: Any, request_id: str) -> Request | None:
        row = self.rows.get(request_id)
        return Request(row) if row is not None else None

    async def find_request(self, session: Any, request_id: str) -> dict[str, Any] | None:
        row = self.rows.get(request_id)
        return dict(row) if row is not None else None

    async def save(self, session: Any, req: Request) -> bool:
        stored = self.rows[req.id]
        if stored["version"] != req.loaded_version:
            return False
        stored.update(req.changed)
        self.history.extend(req.history)
        req.loaded_version = req.row["version"]
        req.changed = {}
        req.history = []
        return True

    async def requests_page(
        self, session: Any, wanted: RequestFilter, *, before_id: str | None, limit: int, now: Any
    ) -> list[dict[str, Any]]:
        self.filters.append(wanted)
        return [dict(r) for r in self.rows.values()][:limit]

    async def record_personal_data_read(self, session: Any, request_id: str, **read: Any) -> None:
        self.reads_logged.append({"request_id": request_id, **read})

    async def upsert_member(
        self, session: Any, member_id: str, version: int, values: dict[str, Any], at: Any
    ) -> None:
        self.member_writes.append((member_id, version, values))

    async def change_member(
        self, session: Any, member_id: str, version: int, values: dict[str, Any], at: Any
    ) -> None:
        self.member_writes.append((member_id, version, values))


class PlainCipher:
    """Leaves values as they are (the real one seals them)."""

    def decrypt(self, value: Any, *, record_id: str, field: str) -> Any:
        return value


def context(outbox: FakeOutbox) -> RequestsContext:
    """A context with only what these use cases touch: the outbox and the cipher."""
    return cast(
        RequestsContext,
        SimpleNamespace(runtime=SimpleNamespace(outbox=outbox), cipher=PlainCipher()),
    )
