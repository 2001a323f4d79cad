"""Key rotation end to end: `python -m grassroots.requests reseal` over the service's database."""

from __future__ import annotations

import asyncio
import json
import os
import sys

import pytest
from sqlalchemy import select

from grassroots.kit.sealing import KeyRing, development_key, new_key
from grassroots.kit.testing.services import RunningService
from grassroots.requests.adapters.crypto import DEVELOPMENT_PURPOSE
from grassroots.requests.adapters.orm import requests

from ..conftest import CITIZEN, submit

pytestmark = pytest.mark.component


async def test_reseal_moves_every_contact_to_the_new_key(
    service: RunningService, database_url: str
) -> None:
    rid = (await submit(service))["id"]
    settings = service.runtime.settings
    # The development key, now named, stays in the ring beside the new active key.
    old = development_key(settings.jwt_secret, DEVELOPMENT_PURPOSE, env=settings.env)
    new = new_key()
    env = {
        **os.environ,
        "GR_REQUESTS_DATABASE_URL": database_url,
        "GR_JWT_SECRET": settings.jwt_secret,
        "GR_REQUESTS_DATA_KEY": old,
        "GR_REQUESTS_DATA_KEYS": json.dumps({"2027": new}),
        "GR_REQUESTS_DATA_KEY_ID": "2027",
        "GR_LOG_JSON": "false",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "grassroots.requests",
        "reseal",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    assert "requests.citizen_phone_enc: 1 value(s) re-sealed with key '2027'" in out.decode()
    async with service.runtime.db.read_only() as session:
        row = (await session.execute(select(requests).where(requests.c.id == rid))).one()
    only_new = KeyRing({"2027": new}, "2027")
    assert (
        only_new.open(row.citizen_phone_enc, record_id=rid, field="citizen_phone")
        == (CITIZEN["phone"])
    )
    assert (
        only_new.open(row.citizen_name_enc, record_id=rid, field="citizen_name")
        == (CITIZEN["name"])
    )
