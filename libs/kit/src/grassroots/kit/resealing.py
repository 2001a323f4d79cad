"""After a key rotation: re-seal stored values under the active key, a batch at a time.

`python -m grassroots.<service> reseal` runs this over the columns the service names in its
`ServiceSpec`. Each batch is one transaction, and a value is replaced only if it is still the
one that was read, so the service can keep running (a concurrent write wins).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import LargeBinary, Table, select, update

from grassroots.kit.db import Database
from grassroots.kit.sealing import KeyRing


@dataclass(frozen=True)
class SealedColumn:
    """A column of sealed values: the field bound into them and the column of the record id."""

    table: Table
    column: str
    field: str
    record_id: str = "id"

    @property
    def name(self) -> str:
        """`table.column`."""
        return f"{self.table.name}.{self.column}"


async def reseal_column(db: Database, ring: KeyRing, sealed: SealedColumn, batch: int = 500) -> int:
    """Re-seal every value of the column not sealed with the active key; values changed."""
    key, value = sealed.table.c[sealed.record_id], sealed.table.c[sealed.column]
    as_bytes = isinstance(value.type, LargeBinary)
    after: Any = None
    changed = 0
    while True:
        query = select(key, value).where(value.is_not(None)).order_by(key).limit(batch)
        if after is not None:
            query = query.where(key > after)
        async with db.transaction() as session:
            rows = (await session.execute(query)).all()
            for record_id, stored in rows:
                fresh = ring.reseal(stored, record_id=str(record_id), field=sealed.field)
                if fresh is None:
                    continue
                result = await session.execute(
                    update(sealed.table)
                    .where(key == record_id, value == stored)
                    .values({sealed.column: fresh.encode() if as_bytes else fresh})
                )
                changed += result.rowcount  # type: ignore[attr-defined]
        if len(rows) < batch:
            return changed
        after = rows[-1][0]


async def reseal_columns(
    db: Database, ring: KeyRing, columns: Sequence[SealedColumn], batch: int = 500
) -> dict[str, int]:
    """Re-seal each column in turn; values changed per `table.column`."""
    return {column.name: await reseal_column(db, ring, column, batch) for column in columns}
