"""The edge owns the transaction: a route's `Session` commits on return, rolls back on a raise."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import Column, String, Table, func, insert, select

from grassroots.kit.db import Database, ReadSession, Session, new_metadata
from grassroots.kit.problems import Conflict, install_problem_handlers

metadata = new_metadata()
notes = Table("notes", metadata, Column("id", String(8), primary_key=True))


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[Database]:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'sessions.db'}")
    async with db.engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    yield db
    await db.dispose()


def app_over(database: Database) -> FastAPI:
    app = FastAPI()
    app.state.runtime = SimpleNamespace(db=database)
    install_problem_handlers(app)

    @app.post("/notes/{note_id}", status_code=201)
    async def add_note(note_id: str, session: Session) -> dict[str, str]:
        await session.execute(insert(notes).values(id=note_id))
        if note_id == "refused":
            raise Conflict("the route refused after writing")
        return {"id": note_id}

    @app.get("/notes")
    async def count_notes(session: ReadSession) -> dict[str, int]:
        return {"count": int(await session.scalar(select(func.count()).select_from(notes)) or 0)}

    return app


async def stored(database: Database) -> list[str]:
    async with database.read_only() as session:
        return list((await session.execute(select(notes.c.id).order_by(notes.c.id))).scalars())


async def test_a_route_that_returns_commits_its_writes(database: Database) -> None:
    transport = httpx.ASGITransport(app=app_over(database))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        answer = await client.post("/notes/kept")
        # Read on another connection: the route's work is committed.
        assert answer.status_code == 201
        assert await stored(database) == ["kept"]
        assert (await client.get("/notes")).json() == {"count": 1}


async def test_a_route_that_raises_leaves_nothing_behind(database: Database) -> None:
    transport = httpx.ASGITransport(app=app_over(database))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        answer = await client.post("/notes/refused")
        assert answer.status_code == 409
        assert answer.headers["content-type"].startswith("application/problem+json")
    assert await stored(database) == []
