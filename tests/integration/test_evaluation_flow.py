"""Members builds the tree, request events arrive, evaluation ranks and publishes."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import nats
import pytest
from uuid6 import uuid7

from grassroots.contracts.envelope import CloudEvent
from grassroots.contracts.events import requests as r
from grassroots.contracts.events.base import EventData
from grassroots.evaluation.main import SPEC as EVALUATION
from grassroots.kit.messaging import ensure_streams
from grassroots.kit.testing.servers import NatsServer
from grassroots.kit.testing.services import (
    DatabaseFactory,
    RunningService,
    auth,
    eventually,
    run_service,
)
from grassroots.members.main import SPEC as MEMBERS

pytestmark = pytest.mark.integration

COUNTY = "230321000000"
LOCAL = datetime.fromisoformat("2026-10-15T09:00:00+08:00")


async def create_tree(members: RunningService) -> dict[str, dict[str, Any]]:
    base = {"kind": "committee", "domain": "rural"}
    county = await members.client.post(
        "/v1/org-units",
        json={**base, "name": "中共鸡东县委员会", "area_code": COUNTY, "tier": "county"},
        headers=auth(),
    )
    units = {"county": county.json()}
    for key, code in (("east", "230321100000"), ("west", "230321102000")):
        created = await members.client.post(
            "/v1/org-units",
            json={
                **base,
                "name": f"乡镇 {key}",
                "area_code": code,
                "tier": "township",
                "parent_id": units["county"]["id"],
            },
            headers=auth(),
        )
        assert created.status_code == 201, created.text
        units[key] = created.json()
    return units


def lifecycle(rid: str, unit: dict[str, Any], accept_hours: float, rating: str) -> list[EventData]:
    common: dict[str, Any] = {
        "request_id": rid,
        "org_unit_id": unit["id"],
        "area_code": unit["area_code"],
        "service_code": "S01",
        "due_at": LOCAL + timedelta(days=2),
    }
    return [
        r.RequestSubmitted(
            **common,
            status="submitted",
            channel="proxy_point",
            received_at=LOCAL,
            version=1,
            occurred_at=LOCAL,
        ),
        r.RequestAccepted(
            **common,
            status="accepted",
            version=2,
            occurred_at=LOCAL + timedelta(hours=accept_hours),
        ),
        r.RequestResolved(
            **common, status="resolved", version=3, occurred_at=LOCAL + timedelta(hours=30)
        ),
        r.FeedbackGiven(
            **common,
            status="resolved",
            version=4,
            rating=rating,  # type: ignore[arg-type]
            occurred_at=LOCAL + timedelta(hours=31),
        ),
    ]


async def test_members_tree_request_events_ranking_and_publication(
    databases: DatabaseFactory, nats_server: NatsServer
) -> None:
    members_url, evaluation_url = await databases.fresh(MEMBERS), await databases.fresh(EVALUATION)
    async with (
        run_service(MEMBERS, database_url=members_url, nats_url=nats_server.url) as members,
        run_service(EVALUATION, database_url=evaluation_url, nats_url=nats_server.url) as ev,
    ):
        units = await create_tree(members)
        events = [
            *lifecycle("r-east-1", units["east"], 2, "satisfied"),
            *lifecycle("r-east-2", units["east"], 30, "basically_satisfied"),
            *lifecycle("r-west-1", units["west"], 1, "satisfied"),
        ]
        nc = await nats.connect(nats_server.url)
        js = nc.jetstream()
        await ensure_streams(js)
        for data in events:
            event = CloudEvent(
                id=str(uuid7()),
                source="/grassroots/requests",
                type=data.event_type(),
                subject=data.request_id,  # type: ignore[attr-defined]
                data=data.model_dump(mode="json"),
                areacode=data.area_code,  # type: ignore[attr-defined]
            )
            await js.publish(
                data.subject_for(event.areacode),
                event.to_json_bytes(),
                headers={"Nats-Msg-Id": event.id},
            )
        headers = auth("org_admin", COUNTY)
        county_id = units["county"]["id"]

        async def projected() -> bool:
            response = await ev.client.get(
                f"/v1/orgs/{county_id}/indicators?period=2026-10", headers=headers
            )
            return response.status_code == 200 and response.json()["counts"]["feedback_count"] == 3

        await eventually(projected)
        ranking = (
            await ev.client.get(f"/v1/rankings?parent={county_id}&period=2026-10", headers=headers)
        ).json()
        # Three answers in all, under the minimum of 5, so satisfaction is left out:
        # west: 100 × (0.1 + 0.5) / 0.6 = 100; east: 100 × (0.05 + 0.5) / 0.6 = 91.67.
        assert [(i["name"], i["rank"], i["score"], i["status"]) for i in ranking["items"]] == [
            ("乡镇 west", 1, 100.0, "insufficient_sample"),
            ("乡镇 east", 2, 91.67, "insufficient_sample"),
        ]
        published = await ev.client.post(
            "/v1/rankings/publish", json={"parent": county_id, "period": "2026-10"}, headers=headers
        )
        assert published.status_code == 201
        sub = await js.pull_subscribe(
            "gr.evaluation.v1.published.23.03.21.000.000", durable="board"
        )
        message = (await sub.fetch(1, timeout=10))[0]
        board = CloudEvent.from_json_bytes(message.data)
        await nc.close()
        assert board.data["parent_org_unit_id"] == county_id
        assert [(e["org_unit_id"], e["rank"], e["grade"]) for e in board.data["entries"]] == [
            (units["west"]["id"], 1, "excellent"),
            (units["east"]["id"], 2, "excellent"),
        ]
