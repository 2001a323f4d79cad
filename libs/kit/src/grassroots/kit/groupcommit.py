"""Group commit: many concurrent callers' inserts written in one transaction.

Under load most of a small write's cost is the round trips and the commit, not the rows. A
`GroupCommit` lets each caller hand in the rows of its unit of work and wait; whatever has
piled up while the previous transaction was in flight goes out together: one multi-row INSERT
per table, one commit. A caller returns only after its rows are committed, so the guarantee
is the same as its own transaction. When a shared transaction fails (say one caller's row
breaks a unique constraint) each caller of that batch is retried alone, so only the one at
fault sees the error.

With no load there is nothing to wait for: a lone caller's rows go out at once.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import JSON, Table, Text, TextClause, bindparam, insert, text
from sqlalchemy.dialects import postgresql

from grassroots.kit import metrics
from grassroots.kit.db import Database

log = logging.getLogger(__name__)

Rows = Sequence[tuple[Table, dict[str, Any]]]


@dataclass
class _Job:
    rows: Rows
    done: asyncio.Future[None] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class GroupCommit:
    """Batches callers' inserts into shared transactions; see the module's text."""

    def __init__(
        self, db: Database, *, name: str, max_batch: int = 200, max_parallel: int = 3
    ) -> None:
        self.db = db
        self.name = name
        self.max_batch = max_batch
        # SQLite has one writer: several transactions in flight only queue on its lock.
        self.max_parallel = 1 if db.is_sqlite else max_parallel
        self._pending: list[_Job] = []
        self._flushers: set[asyncio.Task[None]] = set()
        self._statements: dict[tuple[tuple[Table, tuple[str, ...]], ...], TextClause] = {}

    async def write(self, rows: Rows) -> None:
        """Insert `rows` (table, values) in order; return once they are committed."""
        job = _Job(rows)
        self._pending.append(job)
        if len(self._flushers) < self.max_parallel:
            task = asyncio.create_task(self._flush())
            self._flushers.add(task)
            task.add_done_callback(self._flushers.discard)
        # A caller that gives up (cancelled) cannot take back rows already on their way.
        await asyncio.shield(job.done)

    async def _flush(self) -> None:
        while self._pending:
            batch = self._pending[: self.max_batch]
            del self._pending[: self.max_batch]
            metrics.GROUP_COMMIT_BATCH.labels(self.name).observe(len(batch))
            try:
                await self._commit(batch)
            except asyncio.CancelledError as exc:
                for job in batch:
                    _settle(job, exc)
                raise
            except Exception as exc:
                if len(batch) == 1:
                    _settle(batch[0], exc)
                    continue
                log.info(
                    "group commit %s: a batch of %d failed, retrying one by one: %s",
                    self.name,
                    len(batch),
                    exc,
                )
                for job in batch:
                    try:
                        await self._commit([job])
                    except Exception as alone:
                        _settle(job, alone)
                    else:
                        _settle(job, None)
                continue
            for job in batch:
                _settle(job, None)

    async def _commit(self, batch: list[_Job]) -> None:
        # Rows of one table with the same columns go out as one multi-row INSERT, tables in
        # the order they first appear (so parents precede the rows that refer to them).
        groups: dict[tuple[Table, tuple[str, ...]], list[dict[str, Any]]] = {}
        for job in batch:
            for table, values in job.rows:
                groups.setdefault((table, tuple(values)), []).append(values)
        with metrics.GROUP_COMMIT_SECONDS.labels(self.name).time():
            if self.db.is_sqlite:
                async with self.db.transaction() as session:
                    for (table, _columns), rows in groups.items():
                        await session.execute(insert(table), rows)
                return
            statement = self._statement(tuple(groups))
            params: dict[str, list[Any]] = {}
            for t, ((_table, columns), rows) in enumerate(groups.items()):
                for c, column in enumerate(columns):
                    cells = [row[column] for row in rows]
                    if isinstance(_table.c[column].type, JSON):
                        cells = [None if v is None else json.dumps(v) for v in cells]
                    params[f"t{t}c{c}"] = cells
            await self.db.execute_autocommit(statement, params)

    def _statement(self, shape: tuple[tuple[Table, tuple[str, ...]], ...]) -> TextClause:
        """One PostgreSQL statement inserting every table's rows, for any number of rows.

        Each column travels as one array parameter and `unnest` turns the arrays back into
        rows, so the text (and the server's prepared plan) is the same whatever the batch's
        size. The other tables' inserts are data-modifying CTEs of the last one: a single
        statement is atomic by itself, so it needs no BEGIN/COMMIT round trips, and foreign
        keys are checked at its end, when all its rows are in.
        """
        cached = self._statements.get(shape)
        if cached is not None:
            return cached
        dialect = self.db.engine.dialect
        parts: list[str] = []
        binds = []
        for t, (table, columns) in enumerate(shape):
            arrays = []
            for c, name in enumerate(columns):
                column_type = table.c[name].type
                sql_type = column_type.compile(dialect=dialect)
                if isinstance(column_type, JSON):
                    # JSON travels as text: a list value would otherwise become an array dimension.
                    arrays.append(f"CAST(CAST(:t{t}c{c} AS TEXT[]) AS {sql_type}[])")
                    binds.append(bindparam(f"t{t}c{c}", type_=postgresql.ARRAY(Text())))
                    continue
                arrays.append(f"CAST(:t{t}c{c} AS {sql_type}[])")
                binds.append(bindparam(f"t{t}c{c}", type_=postgresql.ARRAY(column_type)))
            quoted = ", ".join(dialect.identifier_preparer.quote(name) for name in columns)
            parts.append(
                f"INSERT INTO {dialect.identifier_preparer.format_table(table)} ({quoted}) "
                f"SELECT * FROM unnest({', '.join(arrays)})"
            )
        *firsts, last = parts
        ctes = ", ".join(f"gc_{i} AS ({part})" for i, part in enumerate(firsts))
        statement = text(f"WITH {ctes} {last}" if ctes else last).bindparams(*binds)
        self._statements[shape] = statement
        return statement


def _settle(job: _Job, error: BaseException | None) -> None:
    if job.done.done():
        return
    if error is None:
        job.done.set_result(None)
    else:
        job.done.set_exception(error)
