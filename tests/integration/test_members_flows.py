"""Members' events across services: a renamed unit reaches the requests replica; a transfer
between counties lands on both counties' subjects; contacts stay on the private stream."""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Any

import nats
import pytest
from sqlalchemy import select

from grassroots.kit.tables import org_units as replica
from grassroots.kit.testing.servers import NatsServer
from grassroots.kit.testing.services import (
    DatabaseFactory,
    RunningService,
    auth,
    eventually,
    run_service,
)
from grassroots.members.domain.identity import make_id_number
from grassroots.members.main import SPEC as MEMBERS
from grassroots.requests.main import SPEC as REQUESTS

pytestmark = pytest.mark.integration

PERSONAL = re.compile(rb"(?<![0-9A-Za-z])(\d{17}[0-9Xx]|1[3-9]\d{9})(?![0-9A-Za-z])")


async def unit(service: RunningService, body: dict[str, Any]) -> str:
    response = await service.client.post("/v1/org-units", json=body, headers=auth())
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def stream_messages(url: str, stream: str, subject: str) -> list[tuple[str, bytes]]:
    """Everything a stream holds on `subject`, read by an ephemeral consumer."""
    client = await nats.connect(url)
    try:
        js = client.jetstream()
        sub = await js.pull_subscribe(subject, stream=stream)
        out: list[tuple[str, bytes]] = []
        while True:
            try:
                batch = await sub.fetch(200, timeout=1)
            except nats.errors.TimeoutError:
                return out
            for message in batch:
                out.append((message.subject, message.data))
                await message.ack()
    finally:
        await client.close()


async def test_member_events_cross_services_and_counties(
    databases: DatabaseFactory, nats_server: NatsServer
) -> None:
    urls = {spec.name: await databases.fresh(spec) for spec in (MEMBERS, REQUESTS)}
    async with (
        run_service(MEMBERS, database_url=urls["members"], nats_url=nats_server.url) as members,
        run_service(REQUESTS, database_url=urls["requests"], nats_url=nats_server.url) as reqs,
    ):
        jidong = await unit(
            members,
            {
                "name": "鸡东县委",
                "area_code": "230321000000",
                "tier": "county",
                "kind": "committee",
                "domain": "organ",
            },
        )
        village = await unit(
            members,
            {
                "name": "东升村支部",
                "area_code": "230321100201",
                "tier": "village",
                "kind": "branch",
                "domain": "rural",
                "parent_id": jidong,
            },
        )
        other = await unit(
            members,
            {
                "name": "密山市委",
                "area_code": "230382000000",
                "tier": "county",
                "kind": "committee",
                "domain": "organ",
            },
        )
        renamed = await members.client.patch(
            f"/v1/org-units/{village}", json={"name": "东升村党支部"}, headers=auth()
        )
        assert renamed.status_code == 200

        async def replicated() -> bool:
            async with reqs.runtime.db.read_only() as session:
                row = (
                    await session.execute(select(replica).where(replica.c.id == village))
                ).first()
            return row is not None and row.name == "东升村党支部" and row.version == 2

        await eventually(replicated)

        body = {
            "name": "王建国",
            "id_number": make_id_number(date(1975, 5, 6), 12),
            "phone": "13904510012",
            "org_unit_id": village,
            "stage": "full",
            "joined_at": "2000-07-01",
            "skills": ["电工"],
        }
        member = (await members.client.post("/v1/members", json=body, headers=auth())).json()
        letter = (
            await members.client.post(
                f"/v1/members/{member['id']}/transfers",
                json={"to_org_unit_id": other, "reason": "工作调动"},
                headers=auth("org_admin", "230321000000"),
            )
        ).json()
        accepted = await members.client.post(
            f"/v1/transfers/{letter['id']}/accept", headers=auth("org_admin", "230382000000")
        )
        assert accepted.status_code == 200

        async def drained() -> bool:
            return await members.runtime.relay_backlog() == 0

        await eventually(drained)
    public = await stream_messages(nats_server.url, "GR_MEMBERS", "gr.members.v1.>")
    subjects = [s for s, _ in public]
    assert "gr.members.v1.member_registered.23.03.21.100.201" in subjects
    assert "gr.members.v1.transfer_status_changed.23.03.21.100.201" in subjects
    assert "gr.members.v1.member_transferred.23.03.82.000.000" in subjects
    assert [m for _, d in public for m in PERSONAL.findall(d)] == []
    transferred = [json.loads(d) for s, d in public if ".member_transferred." in s]
    assert transferred[0]["data"]["from_org_unit_id"] == village
    private = await stream_messages(nats_server.url, "GR_NOTIFY", "gr.notify.v1.>")
    contacts = [json.loads(d)["data"] for s, d in private if ".contact_upserted." in s]
    assert [c["org_unit_id"] for c in contacts] == [village, other]
    assert all(c["phone"] == body["phone"] for c in contacts)
