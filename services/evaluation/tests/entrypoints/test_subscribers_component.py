"""A scripted month over real NATS and PostgreSQL: indicators, ranking, order, rebuild."""

from __future__ import annotations

import asyncio
import csv
import io
import os
import random
import shutil
import subprocess
import sys
import zipfile
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from datetime import datetime, timedelta
from typing import Any
from xml.parsers import expat

import nats
import openpyxl
import pytest
from PIL import Image
from sqlalchemy import select
from uuid6 import uuid7

from grassroots.contracts.envelope import CloudEvent
from grassroots.contracts.events import members as m
from grassroots.contracts.events import requests as r
from grassroots.contracts.events.base import EventData
from grassroots.contracts.streams import REQUESTS
from grassroots.contracts.timezone import platform_zone
from grassroots.evaluation.adapters.orm import (
    READ_MODELS,
    UNIT_MONTH_COUNTS,
    point_items,
    request_facts,
    visits,
)
from grassroots.evaluation.adapters.render import cjk_font
from grassroots.evaluation.domain.facts import RATINGS, fold
from grassroots.evaluation.domain.indicators import count_requests
from grassroots.evaluation.service.rebuild import rebuild
from grassroots.kit.db import AsyncSession
from grassroots.kit.messaging import ensure_streams
from grassroots.kit.tables import org_units
from grassroots.kit.testing.servers import NatsServer
from grassroots.kit.testing.services import (
    DatabaseFactory,
    RunningService,
    auth,
    eventually,
)

LOCAL_TZ = platform_zone()

pytestmark = pytest.mark.component

COUNTY = "230321000000"
UNITS = [
    # (id, area, tier, parent)
    ("county", COUNTY, "county", None),
    ("town-a", "230321100000", "township", "county"),
    ("town-b", "230321102000", "township", "county"),
    ("town-c", "230321104000", "township", "county"),
    ("village-a1", "230321100201", "village", "town-a"),
    ("village-b1", "230321102201", "village", "town-b"),
]
AREA = {u[0]: u[1] for u in UNITS}


def local(day: int, hour: int, minute: int = 0, second: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, second, tzinfo=LOCAL_TZ)


def org_events() -> list[EventData]:
    return [
        m.OrgUnitCreated(
            org_unit_id=uid,
            name=f"单位 {uid}",
            area_code=area,
            tier=tier,  # type: ignore[arg-type]
            kind="committee" if tier != "village" else "branch",
            domain="rural",
            parent_id=parent,
            version=1,
            occurred_at=local(1, 8),
        )
        for uid, area, tier, parent in UNITS
    ]


class Script:
    """Builds the events of requests, one after the other, with versions."""

    def __init__(self) -> None:
        self.events: list[EventData] = []

    def request(self, rid: str, unit: str, received: datetime, due_hours: float) -> _Request:
        return _Request(self, rid, unit, received, received + timedelta(hours=due_hours))


class _Request:
    def __init__(
        self, script: Script, rid: str, unit: str, received: datetime, due: datetime
    ) -> None:
        self.script, self.rid, self.unit, self.due, self.version = script, rid, unit, due, 1
        self.at = received
        self._add(
            r.RequestSubmitted, received, status="submitted", channel="window", received_at=received
        )

    def _add(self, model: type[EventData], at: datetime, **extra: Any) -> _Request:
        self.script.events.append(
            model(  # type: ignore[call-arg]
                request_id=self.rid,
                org_unit_id=extra.pop("unit", self.unit),
                area_code=AREA[self.unit],
                service_code="S01",
                due_at=self.due,
                version=self.version,
                occurred_at=at,
                **extra,
            )
        )
        self.version += 1
        return self

    def then(self, hours: float, name: str, **extra: Any) -> _Request:
        self.at = self.at + timedelta(hours=hours)
        models: dict[str, type[EventData]] = {
            "accepted": r.RequestAccepted,
            "escalated": r.RequestEscalated,
            "explained": r.RequestExplained,
            "resolved": r.RequestResolved,
            "feedback": r.FeedbackGiven,
        }
        model = models[name]
        status = {"feedback": "resolved"}.get(name, name)
        if name == "escalated":
            parent = {u[0]: u[3] for u in UNITS}[self.unit]
            extra.update(from_org_unit_id=self.unit, cause="manual", unit=parent)
            self._add(model, self.at, status=status, **extra)
            self.unit = str(parent)  # the township holds it from now on
            return self
        return self._add(model, self.at, status=status, **extra)


def scripted_month() -> list[EventData]:
    """November 2026 in two townships (hand-computed results in the tests below)."""
    s = Script()
    # Township A: r1 and r2 at its village, r3 at the township on the month's last second.
    s.request("r1", "village-a1", local(2, 10), 72).then(2, "accepted").then(
        20, "resolved", handler_member_id="m-a1"
    ).then(1, "feedback", rating="satisfied")
    s.request("r2", "village-a1", local(5, 9), 72).then(30, "accepted").then(1, "escalated").then(
        10, "resolved"
    ).then(1, "feedback", rating="basically_satisfied")
    s.request("r3", "town-a", local(30, 23, 59, 59), 48).then(1, "accepted").then(2, "explained")
    # Received one second later: December, not November.
    s.request("r4", "town-a", local(1, 0, 0, 0, month=12), 48).then(1, "accepted")
    # Township B: both answered within the hour; r6 resolved after its due time.
    s.request("r5", "village-b1", local(10, 9), 24).then(1, "accepted").then(5, "resolved").then(
        1, "feedback", rating="satisfied"
    )
    s.request("r6", "village-b1", local(12, 9), 24).then(1, "accepted").then(40, "resolved").then(
        1, "feedback", rating="unsatisfied"
    )
    visits = [
        r.VisitLogged(
            visit_id=f"v{i}",
            visitor_member_id="m-a1",
            org_unit_id="village-a1",
            area_code=AREA["village-a1"],
            kind="home",
            visited_at=local(3 + i, 15),
            version=1,
            occurred_at=local(3 + i, 15),
        )
        for i in range(4)
    ]
    return s.events + visits


def envelope(data: EventData, event_id: str | None = None) -> CloudEvent:
    area = data.area_code  # type: ignore[attr-defined]
    return CloudEvent(
        id=event_id or str(uuid7()),
        source="/grassroots/test",
        type=data.event_type(),
        subject=getattr(data, "request_id", None) or getattr(data, "org_unit_id", "x"),
        data=data.model_dump(mode="json"),
        areacode=area,
    )


async def publish(url: str, events: list[tuple[EventData, CloudEvent]]) -> None:
    nc = await nats.connect(url)
    js = nc.jetstream()
    await ensure_streams(js)
    for data, event in events:
        await js.publish(
            data.subject_for(event.areacode),
            event.to_json_bytes(),
            headers={"Nats-Msg-Id": event.id},
        )
    await nc.close()


async def wait_projected(service: RunningService, expected_requests: int) -> None:
    """Wait until every scripted event is applied (each request at its last version)."""
    last = {
        e.request_id: e.version  # type: ignore[attr-defined]
        for e in scripted_month()
        if isinstance(e, r._RequestEvent)
    }
    assert len(last) == expected_requests

    async def ready() -> bool:
        async with service.runtime.db.read_only() as session:
            units = (await session.execute(select(org_units.c.id))).all()
            facts = dict(
                (
                    await session.execute(
                        select(request_facts.c.request_id, request_facts.c.last_version).where(
                            request_facts.c.received_at.is_not(None)
                        )
                    )
                ).all()
            )
            visit_count = len((await session.execute(select(visits.c.visit_id))).all())
        return len(units) == len(UNITS) and facts == last and visit_count == 4

    await eventually(ready)


async def snapshot(service: RunningService) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    async with service.runtime.db.read_only() as session:
        for table in (*READ_MODELS, point_items, org_units):
            key = list(table.primary_key.columns)
            rows = (await session.execute(select(table).order_by(*key))).all()
            out[table.name] = [
                {k: v for k, v in row._mapping.items() if k != "updated_at"} for row in rows
            ]
    return out


async def nothing_to_wait_for(session: AsyncSession) -> bool:
    return True


@pytest.fixture
async def evaluation(
    seeded_evaluation: Callable[..., AbstractAsyncContextManager[RunningService]],
) -> AsyncIterator[RunningService]:
    # Each test publishes its own events, in its own order.
    async with seeded_evaluation((), nothing_to_wait_for) as service:
        yield service


ADMIN = auth("org_admin", COUNTY)


async def check_hand_computed(service: RunningService) -> None:
    client = service.client
    town_a = (await client.get("/v1/orgs/town-a/indicators?period=2026-11", headers=ADMIN)).json()
    assert town_a["units_included"] == 2
    assert town_a["counts"] == {
        "received": 3,
        "accepted_on_time": 2,  # r1 (2 h) and r3 (1 h); r2 took 30 h
        "resolved": 2,
        "resolved_on_time": 2,
        "escalated": 1,
        "explained": 1,
        "feedback_count": 2,
        "satisfied": 1,
        "basically_satisfied": 1,
        "unsatisfied": 0,
        "visits": 4,
        "visit_quota": 10,
        "posts_claimed": 0,
        "check_ins": 0,
    }
    assert town_a["rates"]["response_rate"] == pytest.approx(2 / 3)
    assert town_a["rates"]["satisfaction_rate"] == pytest.approx(0.95)
    december = await client.get("/v1/orgs/town-a/indicators?period=2026-12", headers=ADMIN)
    assert december.json()["counts"]["received"] == 1  # r4, received at 00:00:00 local
    county = (await client.get("/v1/orgs/county/indicators?period=2026-Q4", headers=ADMIN)).json()
    assert county["counts"]["received"] == 6
    ranking = (await client.get("/v1/rankings?parent=county&period=2026-11", headers=ADMIN)).json()
    rows = [(i["org_unit_id"], i["rank"], i["score"], i["status"]) for i in ranking["items"]]
    # Both have fewer than 5 answers, so satisfaction is left out (re-weighted):
    # B: 100 × (0.1 × 1 + 0.5 × 1) / 0.6 = 100; A: 100 × (0.6 × 2/3) / 0.6 = 66.67.
    assert rows == [
        ("town-b", 1, 100.0, "insufficient_sample"),
        ("town-a", 2, 66.67, "insufficient_sample"),
        ("town-c", None, None, "no_requests"),
    ]


async def test_a_scripted_month_gives_the_hand_computed_indicators_and_ranking(
    evaluation: RunningService, nats_server: NatsServer
) -> None:
    events = [*org_events(), *scripted_month()]
    await publish(nats_server.url, [(e, envelope(e)) for e in events])
    await wait_projected(evaluation, expected_requests=6)
    await check_hand_computed(evaluation)
    client = evaluation.client
    assert (await client.get("/v1/orgs/town-a/indicators?period=2026-13", headers=ADMIN)).json()[
        "errors"
    ][0]["field"] == "period"
    outside = auth("org_admin", "230322000000")
    assert (
        await client.get("/v1/orgs/town-a/indicators?period=2026-11", headers=outside)
    ).status_code == 403
    assert (
        await client.get("/v1/orgs/nowhere/indicators?period=2026-11", headers=ADMIN)
    ).status_code == 404
    # Publishing freezes the ranking and emits the contract event through the outbox.
    body = {"parent": "county", "period": "2026-11"}
    assert (
        await client.post("/v1/rankings/publish", json=body, headers=auth("cadre", COUNTY))
    ).status_code == 403
    published = await client.post("/v1/rankings/publish", json=body, headers=ADMIN)
    assert published.status_code == 201, published.text
    assert (await client.post("/v1/rankings/publish", json=body, headers=ADMIN)).status_code == 409
    nc = await nats.connect(nats_server.url)
    js = nc.jetstream()
    sub = await js.pull_subscribe("gr.evaluation.v1.published.>", durable="check")
    msgs = await sub.fetch(1, timeout=10)
    event = CloudEvent.from_json_bytes(msgs[0].data)
    await nc.close()
    assert event.type == "gr.evaluation.published.v1"
    assert [(e["org_unit_id"], e["rank"]) for e in event.data["entries"]] == [
        ("town-b", 1),
        ("town-a", 2),
        ("town-c", None),
    ]
    frozen = (await client.get("/v1/rankings?parent=county&period=2026-11", headers=ADMIN)).json()
    assert frozen["published"] is True
    assert [i["score"] for i in frozen["items"]] == [100.0, 66.67, None]


async def test_events_twice_and_out_of_order_give_the_same_result(
    evaluation: RunningService, nats_server: NatsServer
) -> None:
    events = [*org_events(), *scripted_month()]
    envelopes = [(e, envelope(e)) for e in events]
    # Each event twice: once re-sent upstream under a new id, once redelivered with its own id
    # (a different Nats-Msg-Id gets past JetStream's de-duplication to reach the inbox).
    resent = [(e, envelope(e)) for e in events]
    redelivered = [(e, ev.model_copy()) for e, ev in envelopes]
    shuffled = envelopes + resent
    random.Random(6).shuffle(shuffled)
    await publish(nats_server.url, shuffled)
    nc = await nats.connect(nats_server.url)
    js = nc.jetstream()
    for data, event in redelivered[:10]:
        await js.publish(
            data.subject_for(event.areacode),
            event.to_json_bytes(),
            headers={"Nats-Msg-Id": event.id + "-again"},
        )
    await nc.close()
    await wait_projected(evaluation, expected_requests=6)
    await check_hand_computed(evaluation)
    # The stored facts equal a pure fold of the ordered stream, field by field.
    ordered = fold(
        [
            (e.event_type().split(".")[2], e.model_dump())
            for e in events
            if isinstance(e, r._RequestEvent)
        ]
    )
    async with evaluation.runtime.db.read_only() as session:
        rows = {
            row.request_id: row._mapping
            for row in (await session.execute(select(request_facts))).all()
        }
    assert set(rows) == set(ordered)
    for rid, facts in ordered.items():
        assert rows[rid]["received_unit_id"] == facts.received_unit_id
        assert rows[rid]["response_seconds"] == facts.response_seconds
        assert rows[rid]["resolved"] == facts.resolved
        assert rows[rid]["resolved_on_time"] == facts.resolved_on_time
        assert rows[rid]["rating"] == facts.rating
        assert rows[rid]["last_version"] == facts.last_version


async def test_a_rebuild_by_replay_equals_the_live_read_model(
    evaluation: RunningService, nats_server: NatsServer, databases: DatabaseFactory
) -> None:
    events = [*org_events(), *scripted_month()]
    await publish(nats_server.url, [(e, envelope(e)) for e in events])
    await wait_projected(evaluation, expected_requests=6)
    live = await snapshot(evaluation)
    assert live["ev_request_facts"] and live["ev_visits"] and live["ev_point_items"]
    report = await rebuild(evaluation.runtime.db, nats_server.url, batch_size=7)
    assert report.events == len(events)
    rebuilt = await snapshot(evaluation)
    for table, rows in live.items():
        assert rebuilt[table] == rows, table
    await check_hand_computed(evaluation)
    # The operator's command does the same from outside the process.
    env = {
        **os.environ,
        "GR_EVALUATION_DATABASE_URL": evaluation.runtime.settings.database_url,
        "GR_NATS_URL": nats_server.url,
        "GR_LOG_JSON": "false",
    }
    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "grassroots.evaluation", "rebuild"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert f"rebuilt from {len(events)} events" in done.stdout
    again = await snapshot(evaluation)
    for table, rows in live.items():
        assert again[table] == rows, table


def random_month(requests: int, seed: int) -> list[EventData]:
    """Many requests with random lives over the scripted units (for batch-size effects)."""
    rng = random.Random(seed)
    s = Script()
    units = ["village-a1", "village-b1", "town-a", "town-b", "town-c"]
    for n in range(requests):
        received = local(rng.randint(1, 30), rng.randint(0, 23), rng.randint(0, 59))
        life = s.request(f"q{n}", rng.choice(units), received, rng.choice([24, 48, 72]))
        life.then(rng.uniform(0.1, 40), "accepted")
        if rng.random() < 0.2 and life.unit.startswith("village"):
            life.then(rng.uniform(1, 30), "escalated")
        if rng.random() < 0.15:
            life.then(rng.uniform(1, 10), "explained")
        if rng.random() < 0.8:
            handler = {"handler_member_id": f"m{n % 7}"} if rng.random() < 0.5 else {}
            life.then(rng.uniform(1, 90), "resolved", **handler)
            if rng.random() < 0.7:
                life.then(1, "feedback", rating=rng.choice(list(RATINGS)))
    return s.events


async def test_batches_of_any_size_give_the_fold_of_the_stream_live_and_rebuilt(
    evaluation: RunningService, nats_server: NatsServer
) -> None:
    events = [*org_events(), *random_month(400, seed=11)]
    envelopes = [(e, envelope(e)) for e in events]
    shuffled = envelopes + [(e, envelope(e)) for e in random.Random(3).sample(events, 300)]
    random.Random(4).shuffle(shuffled)
    await publish(nats_server.url, shuffled)
    requests = [e for e in events if isinstance(e, r._RequestEvent)]

    async def projected() -> bool:
        # Every delivered message acknowledged, i.e. applied (or found to be a duplicate).
        nc = await nats.connect(nats_server.url)
        try:
            info = await nc.jetstream().consumer_info(
                REQUESTS.name, "evaluation_requests_projection"
            )
        finally:
            await nc.close()
        return not info.num_pending and not info.num_ack_pending

    await eventually(projected, timeout=60)
    live = await snapshot(evaluation)
    ordered = fold([(e.event_type().split(".")[2], e.model_dump()) for e in requests])
    facts = {row["request_id"]: row for row in live["ev_request_facts"]}
    for rid, expected in ordered.items():
        row = facts[rid]
        for name in ("received_unit_id", "received_month", "resolution_version", "resolved"):
            assert row[name] == getattr(expected, name), (rid, name)
        for name in ("escalated", "explained", "rating", "rating_version", "last_version"):
            assert row[name] == getattr(expected, name), (rid, name)
        for name in ("received_at", "responded_at", "resolved_at", "resolved_due_at"):
            assert row[name] == getattr(expected, name), (rid, name)
        assert row["response_seconds"] == expected.response_seconds
        assert row["resolved_on_time"] == expected.resolved_on_time
    # The monthly counts kept by deltas equal the counts of the final facts.
    by_key: dict[tuple[str, str], list[Any]] = {}
    for f in ordered.values():
        by_key.setdefault((str(f.received_unit_id), str(f.received_month)), []).append(f)
    kept = {
        (c["unit_id"], c["month"]): {k: v for k, v in c.items() if k not in ("unit_id", "month")}
        for c in live["ev_unit_month_counts"]
    }
    expected_counts = {
        key: {k: v for k, v in count_requests(fs).as_dict().items() if k in UNIT_MONTH_COUNTS}
        for key, fs in by_key.items()
    }
    assert kept == expected_counts
    for size in (250, 5000):
        report = await rebuild(evaluation.runtime.db, nats_server.url, batch_size=size)
        assert report.events == len(shuffled)
        rebuilt = await snapshot(evaluation)
        for table, rows in live.items():
            assert rebuilt[table] == rows, (size, table)


def svg_root(content: bytes) -> str:
    """The root tag of an SVG document (our own output, parsed without entity expansion)."""
    parser = expat.ParserCreate(namespace_separator="}")
    tags: list[str] = []
    parser.StartElementHandler = lambda name, _attrs: tags.append(name)
    parser.Parse(content, True)
    return "{" + tags[0] if "}" in tags[0] else tags[0]


async def test_exports_charts_and_metrics(
    evaluation: RunningService, nats_server: NatsServer
) -> None:
    events = [*org_events(), *scripted_month()]
    await publish(nats_server.url, [(e, envelope(e)) for e in events])
    await wait_projected(evaluation, expected_requests=6)
    client = evaluation.client
    query = "parent=county&period=2026-11"
    response = await client.get(f"/v1/rankings/export?{query}&format=csv", headers=ADMIN)
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [(row["排名"], row["区划代码"], row["得分"], row["状态"]) for row in rows] == [
        ("1", "230321102000", "100.0", "样本不足"),
        ("2", "230321100000", "66.67", "样本不足"),
        ("", "230321104000", "", "无诉求"),
    ]
    xlsx = await client.get(f"/v1/rankings/export?{query}&format=xlsx", headers=ADMIN)
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet["A1"].value == "排名" and sheet["B2"].value == "单位 town-b"
    assert sheet["E3"].value == 66.67
    indicators = await client.get(
        "/v1/orgs/town-a/indicators/export?period=2026-11&format=xlsx", headers=ADMIN
    )
    book = openpyxl.load_workbook(io.BytesIO(indicators.content))
    assert book.sheetnames == ["指标", "诉求明细"]
    table = list(book["指标"].values)
    assert [row[0] for row in table[1:]] == ["单位 town-a", "单位 village-a1"]
    assert table[1][2] == "2026年11月"
    received = table[0].index("受理数")
    assert [row[received] for row in table[1:]] == [3, 2]
    # The second sheet lists the requests behind those counts, one row each.
    detail = list(book["诉求明细"].values)
    assert detail[0][0] == "诉求编号" and len(detail) - 1 == 3
    # The chart draws Chinese with the font installed with the package (no system fonts).
    assert cjk_font() in ("Noto Sans CJK SC", "Noto Sans CJK TC")
    png = await client.get(f"/v1/rankings/chart?{query}&format=png", headers=ADMIN)
    assert png.headers["content-type"] == "image/png"
    image = Image.open(io.BytesIO(png.content))
    image.verify()
    assert image.format == "PNG" and image.size[0] > 300
    svg = await client.get(f"/v1/rankings/chart?{query}&format=svg", headers=ADMIN)
    assert svg_root(svg.content) == "{http://www.w3.org/2000/svg}svg"
    trend = await client.get("/v1/orgs/county/trend?period=2026-Q4&format=svg", headers=ADMIN)
    assert svg_root(trend.content).endswith("svg")
    trend_png = await client.get("/v1/orgs/county/trend?period=2026&format=png", headers=ADMIN)
    assert trend_png.content.startswith(b"\x89PNG\r\n\x1a\n")
    bad = await client.get(f"/v1/rankings/chart?{query}&format=gif", headers=ADMIN)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "format"
    await _exports_of_a_hostile_unit_name_stay_text(evaluation, nats_server, query)
    await client.post(
        "/v1/rankings/publish", json={"parent": "county", "period": "2026-11"}, headers=ADMIN
    )
    text = (await client.get("/metrics")).text
    assert "gr_evaluation_projection_lag_seconds{" in text
    assert 'gr_evaluation_published_total{kind="ranking"}' in text
    promtool = shutil.which("promtool")
    assert promtool, "promtool is needed: apt-get install prometheus"
    checked = subprocess.run(
        [promtool, "check", "metrics"], input=text, capture_output=True, text=True, check=False
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "town-a" not in text


async def _exports_of_a_hostile_unit_name_stay_text(
    evaluation: RunningService, nats_server: NatsServer, query: str
) -> None:
    """A unit renamed `=HYPERLINK(...)`: no export carries it as a live formula."""
    hostile = '=HYPERLINK("http://evil.example","点我")'
    renamed = m.OrgUnitUpdated(
        org_unit_id="town-b",
        name=hostile,
        area_code=AREA["town-b"],
        tier="township",
        kind="committee",
        domain="rural",
        parent_id="county",
        version=2,
        occurred_at=local(3, 8),
    )
    await publish(nats_server.url, [(renamed, envelope(renamed))])

    async def applied() -> bool:
        async with evaluation.runtime.db.read_only() as session:
            name = await session.scalar(select(org_units.c.name).where(org_units.c.id == "town-b"))
        return name == hostile

    await eventually(applied)
    for path in (
        f"/v1/rankings/export?{query}",
        "/v1/orgs/county/indicators/export?period=2026-11",
    ):
        exported = await evaluation.client.get(f"{path}&format=csv", headers=ADMIN)
        cells = [
            c for row in csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))) for c in row
        ]
        assert "'" + hostile in cells and hostile not in cells, path
        book = await evaluation.client.get(f"{path}&format=xlsx", headers=ADMIN)
        with zipfile.ZipFile(io.BytesIO(book.content)) as archive:
            assert "<f>" not in archive.read("xl/worksheets/sheet1.xml").decode(), path
        values = list(openpyxl.load_workbook(io.BytesIO(book.content)).active.values)  # type: ignore[union-attr]
        assert hostile in {v for row in values for v in row}, path
