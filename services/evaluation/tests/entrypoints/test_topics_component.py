"""Topics over real NATS and PostgreSQL: masked descriptions from the submitted events,
grouped, marked as the month's topic and followed the month after."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from datetime import datetime

import pytest
from sqlalchemy import func, select

from grassroots.contracts.events import members as m
from grassroots.contracts.events import requests as r
from grassroots.contracts.events.base import EventData
from grassroots.contracts.timezone import platform_zone
from grassroots.evaluation.adapters.orm import request_texts
from grassroots.kit.db import AsyncSession
from grassroots.kit.masking import mask_free_text
from grassroots.kit.tables import org_units
from grassroots.kit.testing.services import (
    RunningService,
    auth,
)

pytestmark = pytest.mark.component

COUNTY = "230321000000"
ADMIN = auth("org_admin", COUNTY, sub="county-admin")
NOVEMBER = datetime(2026, 11, 9, 9, 0, tzinfo=platform_zone())
DECEMBER = datetime(2026, 12, 7, 9, 0, tzinfo=platform_zone())
VILLAGES = [f"230321100{v}" for v in range(201, 206)]
LIGHTS = [
    "村东头的路灯坏了，晚上一片漆黑，联系电话13812345678",
    "路灯不亮好几天了，晚上出门不安全",
    "主街路灯晚上不亮，老人摔倒了",
]
ONE_OFF = [
    "低保申请材料交了没人回复",
    "宅基地确权有异议",
    "医保报销比例不清楚",
    "户口迁移手续复杂",
    "邻居占用通道起纠纷",
    "房屋漏雨需要维修",
    "种粮补贴没有到账",
    "残疾证办理咨询",
    "工资拖欠要求帮助",
    "快递丢失找谁",
    "电梯故障困人",
    "燃气费用收错",
]


def submitted(rid: str, area: str, text: str, service: str, at: datetime) -> r.RequestSubmitted:
    return r.RequestSubmitted(
        request_id=rid,
        org_unit_id=f"v-{area}",
        area_code=area,
        service_code=service,
        status="submitted",
        channel="hotline",
        received_at=at,
        version=1,
        occurred_at=at,
        # What the requests service puts on the bus: the citizen's own name and numbers masked.
        public_description=mask_free_text(f"我叫李四，{text}", ["李四"]),
    )


def world() -> list[tuple[EventData, str]]:
    units = [("county", COUNTY, "county", None), ("town", "230321100000", "township", "county")]
    units += [(f"v-{area}", area, "village", "town") for area in VILLAGES]
    out: list[tuple[EventData, str]] = [
        (
            m.OrgUnitCreated(
                org_unit_id=uid,
                name=f"{area[-3:]}村" if tier == "village" else f"单位{uid}",
                area_code=area,
                tier=tier,  # type: ignore[arg-type]
                kind="committee",
                domain="rural",
                parent_id=parent,
                version=1,
                occurred_at=NOVEMBER,
            ),
            area,
        )
        for uid, area, tier, parent in units
    ]
    for month, count in ((NOVEMBER, 15), (DECEMBER, 16)):
        for i in range(count):
            area = VILLAGES[i % len(VILLAGES)]
            rid = f"light-{month.month}-{i}"
            out.append((submitted(rid, area, LIGHTS[i % 3], "S03", month), area))
        for i, text in enumerate(ONE_OFF):
            area = VILLAGES[i % len(VILLAGES)]
            out.append((submitted(f"one-{month.month}-{i}", area, text, f"S{i:02d}", month), area))
    return out


async def caught_up(session: AsyncSession) -> bool:
    units = await session.scalar(select(func.count()).select_from(org_units))
    texts = await session.scalar(select(func.count()).select_from(request_texts))
    return (units, texts) == (2 + len(VILLAGES), 15 + 16 + 2 * len(ONE_OFF))


@pytest.fixture
async def evaluation(
    seeded_evaluation: Callable[..., AbstractAsyncContextManager[RunningService]],
) -> AsyncIterator[RunningService]:
    async with seeded_evaluation(world(), caught_up) as service:
        yield service


async def test_a_recurring_problem_is_found_marked_and_followed(
    evaluation: RunningService,
) -> None:
    client = evaluation.client
    answer = (await client.get("/v1/topics?org_unit=county&period=2026-11", headers=ADMIN)).json()
    assert answer["requests"] == 15 + len(ONE_OFF)
    assert len(answer["items"]) == 1
    topic = answer["items"][0]
    assert "路灯" in topic["title"] and topic["size"] == 15
    assert [v["area_code"] for v in topic["villages"]] == VILLAGES
    assert topic["villages"][0]["name"] == "201村"
    assert topic["trend"][-1] == {"period": "2026-11", "size": 15}
    examples = " ".join(topic["examples"])
    assert examples and "13812345678" not in examples and "李四" not in examples
    viewer = auth("viewer", COUNTY)
    mark_body = {"org_unit": "county", "period": "2026-11"}
    denied = await client.post(f"/v1/topics/{topic['id']}/mark", json=mark_body, headers=viewer)
    assert denied.status_code == 403
    marked = await client.post(f"/v1/topics/{topic['id']}/mark", json=mark_body, headers=ADMIN)
    assert marked.status_code == 201 and marked.json()["marked"] is True
    again = await client.post(f"/v1/topics/{topic['id']}/mark", json=mark_body, headers=ADMIN)
    assert again.status_code == 409
    unknown = await client.post("/v1/topics/nope/mark", json=mark_body, headers=ADMIN)
    assert unknown.status_code == 404
    after = (await client.get("/v1/topics?org_unit=county&period=2026-11", headers=ADMIN)).json()
    assert after["month_topic"]["topic_id"] == topic["id"] and after["items"][0]["marked"]
    december = (await client.get("/v1/topics?org_unit=county&period=2026-12", headers=ADMIN)).json()
    assert december["items"][0]["trend"] == [
        {"period": "2026-09", "size": 0},
        {"period": "2026-10", "size": 0},
        {"period": "2026-11", "size": 15},
        {"period": "2026-12", "size": 16},
    ]
    followed = december["followed"][0]
    assert (followed["topic_id"], followed["size_then"]) == (topic["id"], 15)
    # Still there: the December requests sharing two of its three strongest words.
    assert 10 <= followed["size_now"] <= 16
    quarter = await client.get("/v1/topics?org_unit=county&period=2026-Q4", headers=ADMIN)
    assert quarter.status_code == 422 and quarter.json()["errors"][0]["field"] == "period"
    outside = auth("org_admin", "230322000000")
    assert (
        await client.get("/v1/topics?org_unit=county&period=2026-11", headers=outside)
    ).status_code == 403
