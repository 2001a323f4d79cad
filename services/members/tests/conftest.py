"""Fixtures of the members tests; every event they publish is scanned for personal data."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import nats
import pytest

from grassroots.kit.testing.servers import NatsServer
from grassroots.kit.testing.services import DatabaseFactory, RunningService, auth, run_service
from grassroots.members.domain.identity import make_id_number
from grassroots.members.main import SPEC

# Digit runs that look like an ID number or a mainland mobile number, not part of a longer
# token (UUIDs, area codes and timestamps never match).
ID_NUMBER = re.compile(rb"(?<![0-9A-Za-z])\d{17}[0-9Xx](?![0-9A-Za-z])")
PHONE = re.compile(rb"(?<![0-9A-Za-z])1[3-9]\d{9}(?![0-9A-Za-z])")


def personal_data_in(payload: bytes) -> list[bytes]:
    """ID numbers and phone numbers found in a message."""
    return ID_NUMBER.findall(payload) + PHONE.findall(payload)


@dataclass
class EventTap:
    """Every message published on `gr.>` while a test ran."""

    messages: list[tuple[str, bytes]] = field(default_factory=list)

    def on(self, prefix: str) -> list[tuple[str, bytes]]:
        """Messages whose subject starts with `prefix`."""
        return [(s, d) for s, d in self.messages if s.startswith(prefix)]


TAPS: dict[str, EventTap] = {}


@pytest.fixture
async def nats_server(nats_server: NatsServer) -> AsyncIterator[NatsServer]:
    """The plugin's server, with every publication captured and checked after the test."""
    client = await nats.connect(nats_server.url)
    tap = EventTap()

    async def record(message: Any) -> None:
        tap.messages.append((message.subject, message.data))

    await client.subscribe("gr.>", cb=record)
    await client.flush()
    TAPS[nats_server.url] = tap
    yield nats_server
    if client.is_connected:
        await client.flush()
    await client.close()
    leaks = [
        (subject, found)
        for subject, payload in tap.on("gr.members.")
        for found in personal_data_in(payload)
    ]
    assert leaks == [], f"personal data on gr.members: {leaks[:5]}"


@pytest.fixture
def published(nats_server: NatsServer) -> EventTap:
    """What this test's services published."""
    return TAPS[nats_server.url]


@pytest.fixture
def scan_for_personal_data() -> Callable[[bytes], list[bytes]]:
    """The scanner applied to every gr.members message (for tests of the scanner itself)."""
    return personal_data_in


COUNTY_A = "230321000000"
COUNTY_B = "230322000000"


async def make_unit(
    service: RunningService,
    name: str,
    area_code: str,
    tier: str,
    parent_id: str | None = None,
    domain: str = "rural",
) -> dict[str, Any]:
    """Create an org unit and return it."""
    body = {
        "name": name,
        "area_code": area_code,
        "tier": tier,
        "kind": "committee" if tier in {"county", "township"} else "branch",
        "domain": domain,
        "parent_id": parent_id,
    }
    response = await service.client.post("/v1/org-units", json=body, headers=auth())
    assert response.status_code == 201, response.text
    unit: dict[str, Any] = response.json()
    return unit


async def make_tree(service: RunningService) -> dict[str, dict[str, Any]]:
    """Two counties; county A has a township with a village and a community."""
    county = await make_unit(service, "鸡东县委", COUNTY_A, "county", domain="organ")
    town = await make_unit(service, "鸡东镇党委", "230321100000", "township", county["id"])
    village = await make_unit(service, "东升村支部", "230321100201", "village", town["id"])
    community = await make_unit(
        service, "城东社区支部", "230321100001", "village", town["id"], domain="community"
    )
    other = await make_unit(service, "鸡西某县委", COUNTY_B, "county", domain="organ")
    other_village = await make_unit(service, "某村支部", "230322100201", "village", other["id"])
    return {
        "county": county,
        "town": town,
        "village": village,
        "community": community,
        "other": other,
        "other_village": other_village,
    }


def member_body(unit_id: str, serial: int, **overrides: Any) -> dict[str, Any]:
    """A valid member for `unit_id`; `serial` makes the ID number and phone unique."""
    born = date(1960 + serial % 40, 1 + serial % 12, 1 + serial % 28)
    body: dict[str, Any] = {
        "name": f"党员{serial}",
        "id_number": make_id_number(born, serial),
        "phone": f"139{serial:08d}",
        "org_unit_id": unit_id,
        "stage": "full",
        "joined_at": "2010-07-01",
        "education": "junior_high",
        "skills": ["修农机", "电工"],
    }
    body.update(overrides)
    return body


MemberBody = Callable[..., dict[str, Any]]


@pytest.fixture
async def members(
    databases: DatabaseFactory, nats_server: NatsServer
) -> AsyncIterator[RunningService]:
    """The members service over a fresh PostgreSQL database and this test's NATS."""
    url = await databases.fresh(SPEC)
    async with run_service(SPEC, database_url=url, nats_url=nats_server.url) as service:
        yield service


@pytest.fixture
async def tree(members: RunningService) -> dict[str, dict[str, Any]]:
    """Two counties; county A has a township with a village and a community."""
    return await make_tree(members)


@pytest.fixture
def new_member() -> MemberBody:
    """Builds valid member bodies."""
    return member_body
