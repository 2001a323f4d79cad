"""Every timestamp a request answers or publishes keeps its instant and carries an offset."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from grassroots.kit.testing.services import DatabaseFactory, RunningService, settings_for_tests
from grassroots.requests.config import RequestsSettings
from grassroots.requests.main import SPEC

from ..conftest import VILLAGE_CADRE, submit

pytestmark = pytest.mark.component

APPOINTMENT = {"start": "2026-12-05T19:30:00+08:00", "end": "2026-12-05T20:30:00+08:00"}


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_url(
    request: pytest.FixtureRequest, databases: DatabaseFactory, tmp_path: Path
) -> str:
    """The service's database on SQLite (the `make run` default) and on PostgreSQL."""
    if request.param == "postgresql":
        return await databases.fresh(SPEC)
    url = f"sqlite+aiosqlite:///{tmp_path / 'requests.db'}"
    settings = settings_for_tests(RequestsSettings, requests_database_url=url)
    await asyncio.to_thread(SPEC.migrate, settings)
    return url


def timestamps(value: Any, path: str = "") -> dict[str, str]:
    """Every string in an answer that parses as a date-time, by its path."""
    found: dict[str, str] = {}
    if isinstance(value, dict):
        for key, item in value.items():
            found |= timestamps(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found |= timestamps(item, f"{path}[{index}]")
    elif isinstance(value, str) and len(value) >= 19 and value[10:11] == "T":
        found[path] = value
    return found


async def test_an_appointment_reads_back_at_the_same_instant_with_every_offset(
    service: RunningService,
) -> None:
    created = await submit(service, appointment=APPOINTMENT)
    accepted = await service.client.post(
        f"/v1/requests/{created['id']}/accept", headers=VILLAGE_CADRE
    )
    assert accepted.status_code == 200, accepted.text
    answer = await service.client.get(f"/v1/requests/{created['id']}", headers=VILLAGE_CADRE)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    start = datetime.fromisoformat(body["appointment"]["start"])
    assert start == datetime.fromisoformat(APPOINTMENT["start"])
    listed = await service.client.get("/v1/requests", headers=VILLAGE_CADRE)
    found = timestamps(body) | timestamps(listed.json(), "list")
    assert {".received_at", ".due_at", ".appointment.start"} <= set(found)
    naive = {p: v for p, v in found.items() if datetime.fromisoformat(v).tzinfo is None}
    assert not naive, json.dumps(naive)
