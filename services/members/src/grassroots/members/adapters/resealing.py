"""Re-sealing personal data after a key rotation, one batch of rows per call."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from grassroots.kit.resealing import SealedColumn
from grassroots.kit.sealing import KeyRing
from grassroots.members.adapters.orm import floating_spells, members


async def reseal_rows(
    session: AsyncSession, ring: KeyRing, columns: Sequence[SealedColumn], batch: int = 1000
) -> int:
    """Re-seal one batch of rows of a table whose sealed columns hold older keys; rows changed.

    A row is written only if every value it replaces is still the one that was read, so a
    concurrent write (always under the active key) wins and the row is not selected again.
    """
    table = columns[0].table
    key = table.c[columns[0].record_id]
    values = [table.c[c.column] for c in columns]
    current = ring.active_prefix
    stale = or_(*(and_(v.is_not(None), ~v.startswith(current)) for v in values))
    rows = (await session.execute(select(key, *values).where(stale).limit(batch))).all()
    changed = 0
    for row in rows:
        record_id = row[0]
        fresh: dict[str, Any] = {}
        unchanged = []
        for sealed, column, stored in zip(columns, values, row[1:], strict=True):
            if stored is None:
                continue
            resealed = ring.reseal(stored, record_id=str(record_id), field=sealed.field)
            if resealed is not None:
                fresh[sealed.column] = resealed
                unchanged.append(column == stored)
        if not fresh:
            continue
        result = await session.execute(
            update(table).where(key == record_id, *unchanged).values(fresh)
        )
        changed += result.rowcount  # type: ignore[attr-defined]
    return changed


# Every column of the service that holds sealed personal data, grouped by table; the
# `reseal` command and `POST /v1/admin/reencrypt` both go over these.
SEALED_TABLES: tuple[tuple[SealedColumn, ...], ...] = (
    (
        SealedColumn(members, "id_number_enc", "id_number"),
        SealedColumn(members, "phone_enc", "phone"),
    ),
    (SealedColumn(floating_spells, "destination_enc", "destination"),),
)
SEALED_COLUMNS: tuple[SealedColumn, ...] = tuple(c for table in SEALED_TABLES for c in table)
