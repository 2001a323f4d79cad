"""Schemes, bonus points, review, points, surveys and pay through the HTTP API."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from grassroots.contracts.events import members as m
from grassroots.contracts.events import requests as r
from grassroots.contracts.events.base import EventData
from grassroots.contracts.timezone import platform_zone
from grassroots.evaluation.adapters.orm import members, point_items, request_facts
from grassroots.kit.db import AsyncSession
from grassroots.kit.tables import org_units
from grassroots.kit.testing.services import (
    RunningService,
    auth,
)

LOCAL_TZ = platform_zone()

pytestmark = pytest.mark.component

COUNTY = "230321000000"
ADMIN = auth("org_admin", COUNTY, sub="county-admin")
CADRE = auth("cadre", COUNTY, sub="county-cadre")
T0 = datetime(2026, 11, 10, 9, 0, tzinfo=LOCAL_TZ)
UNITS = [
    ("county", COUNTY, "county", None),
    ("town-a", "230321100000", "township", "county"),
    ("town-b", "230321102000", "township", "county"),
    ("village-a1", "230321100201", "village", "town-a"),
]


def world() -> list[tuple[EventData, str]]:
    out: list[tuple[EventData, str]] = []
    for uid, area, tier, parent in UNITS:
        unit = m.OrgUnitCreated(
            org_unit_id=uid,
            name=f"单位 {uid}",
            area_code=area,
            tier=tier,  # type: ignore[arg-type]
            kind="committee",
            domain="rural",
            parent_id=parent,
            version=1,
            occurred_at=T0,
        )
        out.append((unit, area))
    # mem-4's transfer to the village (version 2) is delivered before its registration
    # elsewhere (version 1): the higher version's unit must win.
    transfer = m.MemberTransferred(
        member_id="mem-4",
        org_unit_id="village-a1",
        transfer_id="t1",
        from_org_unit_id="town-b",
        version=2,
        occurred_at=T0,
    )
    registered_elsewhere = m.MemberRegistered(
        member_id="mem-4", org_unit_id="town-b", stage="probationary", version=1, occurred_at=T0
    )
    out += [(transfer, "230321100201"), (registered_elsewhere, "230321102000")]
    for member_id, duties in (("sec-1", ["secretary"]), ("mem-2", []), ("mem-3", ["handler"])):
        reg = m.MemberRegistered(
            member_id=member_id,
            org_unit_id="village-a1",
            stage="full",
            duties=duties,
            version=1,
            occurred_at=T0,
        )
        out.append((reg, "230321100201"))
    out.append(
        (
            m.PostClaimed(
                member_id="mem-2",
                org_unit_id="village-a1",
                post_id="p1",
                title="环境卫生监督岗",
                version=2,
                occurred_at=T0,
            ),
            "230321100201",
        )
    )
    base: dict[str, Any] = {
        "org_unit_id": "village-a1",
        "area_code": "230321100201",
        "service_code": "S01",
        "due_at": T0 + timedelta(days=3),
    }
    for i, rating in enumerate(["satisfied", "unsatisfied"]):
        rid = f"req-{i}"
        out += [
            (
                r.RequestSubmitted(
                    request_id=rid,
                    status="submitted",
                    channel="window",
                    received_at=T0,
                    version=1,
                    occurred_at=T0,
                    **base,
                ),
                "230321100201",
            ),
            (
                r.RequestAccepted(
                    request_id=rid,
                    status="accepted",
                    version=2,
                    occurred_at=T0 + timedelta(hours=1),
                    **base,
                ),
                "230321100201",
            ),
            (
                r.RequestResolved(
                    request_id=rid,
                    status="resolved",
                    version=3,
                    handler_member_id="mem-3",
                    occurred_at=T0 + timedelta(hours=5),
                    **base,
                ),
                "230321100201",
            ),
            (
                r.FeedbackGiven(
                    request_id=rid,
                    status="resolved",
                    version=4,
                    rating=rating,  # type: ignore[arg-type]
                    occurred_at=T0 + timedelta(hours=6),
                    **base,
                ),
                "230321100201",
            ),
        ]
    return out


async def caught_up(session: AsyncSession) -> bool:
    units = await session.scalar(select(func.count()).select_from(org_units))
    people = await session.scalar(select(func.count()).select_from(members))
    rated = await session.scalar(select(func.count()).where(request_facts.c.rating.is_not(None)))
    auto = await session.scalar(select(func.count()).where(point_items.c.source == "auto"))
    staged = await session.scalar(select(func.count()).where(members.c.stage != ""))
    return (units, people, staged, rated, auto) == (len(UNITS), 4, 4, 2, 3)


@pytest.fixture
async def evaluation(
    seeded_evaluation: Callable[..., AbstractAsyncContextManager[RunningService]],
) -> AsyncIterator[RunningService]:
    async with seeded_evaluation(world(), caught_up) as service:
        yield service


async def test_schemes_are_versioned_per_county_and_validated(evaluation: RunningService) -> None:
    client = evaluation.client
    listed = (await client.get(f"/v1/schemes?county={COUNTY}", headers=ADMIN)).json()
    assert [(s["name"], s["version"]) for s in listed["items"]] == [("three-rates", 1)]
    body = {
        "county_area_code": COUNTY,
        "name": "resolution-first",
        "weights": {"resolution_rate": 1.0},
        "deductions": [{"indicator": "escalated", "points_each": 1, "cap": 5}],
    }
    assert (await client.post("/v1/schemes", json=body, headers=CADRE)).status_code == 403
    first = await client.post("/v1/schemes", json=body, headers=ADMIN)
    second = await client.post("/v1/schemes", json=body, headers=ADMIN)
    assert (first.json()["version"], second.json()["version"]) == (1, 2)
    bad = await client.post(
        "/v1/schemes", json={**body, "weights": {"happiness": 1}}, headers=ADMIN
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "weights"
    not_county = await client.post(
        "/v1/schemes", json={**body, "county_area_code": "230321100000"}, headers=ADMIN
    )
    assert not_county.json()["errors"][0]["field"] == "county_area_code"
    ranking = (
        await client.get(
            "/v1/rankings?parent=county&period=2026-11&scheme=resolution-first", headers=ADMIN
        )
    ).json()
    assert ranking["scheme_version"] == 2
    assert ranking["items"][0]["org_unit_id"] == "town-a" and ranking["items"][0]["score"] == 100.0
    missing = await client.get(
        "/v1/rankings?parent=county&period=2026-11&scheme=nope", headers=ADMIN
    )
    assert missing.status_code == 404


async def test_bonus_points_need_the_parents_approval_and_count_in_the_score(
    evaluation: RunningService,
) -> None:
    client = evaluation.client
    town_cadre = auth("cadre", "230321100000", sub="town-cadre")
    proposal = await client.post(
        "/v1/bonus",
        json={"org_unit_id": "town-a", "period": "2026-11", "points": 2, "reason": "创新工作"},
        headers=town_cadre,
    )
    assert proposal.status_code == 201
    bonus_id = proposal.json()["id"]
    # The township itself cannot approve: the decision belongs to the county (its parent).
    town_admin = auth("org_admin", "230321100000")
    assert (
        await client.post(f"/v1/bonus/{bonus_id}/approve", headers=town_admin)
    ).status_code == 403
    before = (await client.get("/v1/rankings?parent=county&period=2026-11", headers=ADMIN)).json()
    approved = await client.post(f"/v1/bonus/{bonus_id}/approve", headers=ADMIN)
    assert approved.json()["status"] == "approved"
    assert (await client.post(f"/v1/bonus/{bonus_id}/reject", headers=ADMIN)).status_code == 409
    after = (await client.get("/v1/rankings?parent=county&period=2026-11", headers=ADMIN)).json()
    # Two answers are under the minimum of 5, so satisfaction is left out:
    # 100 × (0.1 + 0.5) / 0.6 = 100, plus 2 bonus points.
    assert before["items"][0]["score"] == 100.0
    assert before["items"][0]["status"] == "insufficient_sample"
    assert after["items"][0]["score"] == 102.0 and after["items"][0]["bonus"] == 2.0


async def test_three_way_review_with_reweighting_and_the_cap(evaluation: RunningService) -> None:
    client = evaluation.client
    review = await client.post(
        "/v1/evaluations", json={"org_unit_id": "village-a1", "period": "2026"}, headers=CADRE
    )
    assert review.status_code == 201
    rid = review.json()["id"]
    again = await client.post(
        "/v1/evaluations", json={"org_unit_id": "village-a1", "period": "2026"}, headers=CADRE
    )
    assert again.status_code == 409
    member_token = auth("member", "230321100201", sub="sec-1")
    ok = await client.post(
        f"/v1/evaluations/{rid}/self",
        json={"member_id": "sec-1", "score": 95},
        headers=member_token,
    )
    assert ok.status_code == 201
    other = await client.post(
        f"/v1/evaluations/{rid}/self",
        json={"member_id": "mem-2", "score": 99},
        headers=member_token,
    )
    assert other.status_code == 403
    for rater, score in (("citizen-1", 90), ("citizen-2", 100)):
        response = await client.post(
            f"/v1/evaluations/{rid}/mass",
            json={"member_id": "sec-1", "score": score, "rater": rater},
            headers=auth("viewer", COUNTY),
        )
        assert response.status_code == 201
    twice = await client.post(
        f"/v1/evaluations/{rid}/mass",
        json={"member_id": "sec-1", "score": 10, "rater": "citizen-1"},
        headers=auth("viewer", COUNTY),
    )
    assert twice.status_code == 409
    for member_id, score in (("sec-1", 92), ("mem-2", 96), ("mem-3", 70)):
        await client.post(
            f"/v1/evaluations/{rid}/org",
            json={"member_id": member_id, "score": score},
            headers=CADRE,
        )
    out_of_range = await client.post(
        f"/v1/evaluations/{rid}/org", json={"member_id": "x", "score": 101}, headers=CADRE
    )
    assert out_of_range.json()["errors"][0]["field"] == "score"
    results = (await client.get(f"/v1/evaluations/{rid}/results", headers=CADRE)).json()
    by_member = {i["member_id"]: i for i in results["items"]}
    # sec-1: self 95, mass 95, org 92; unit missing → (19 + 38 + 18.4) / 0.8 = 94.25
    assert by_member["sec-1"]["total"] == 94.25
    assert by_member["mem-2"]["total"] == 96.0
    # Three reviewed: one excellent at most; mem-2 (96) keeps it, sec-1 becomes qualified.
    assert results["excellent_cap"] == 1
    assert (by_member["mem-2"]["grade"], by_member["sec-1"]["grade"]) == ("excellent", "qualified")
    assert by_member["sec-1"]["capped"] is True
    assert by_member["mem-3"]["grade"] == "basically_qualified"
    # The unit's reviews are listed, for the website's list of reviews.
    listed = await client.get("/v1/evaluations", params={"org_unit": "village-a1"}, headers=CADRE)
    assert listed.status_code == 200, listed.text
    assert [(r["id"], r["period"]) for r in listed.json()["items"]] == [(rid, "2026")]


async def test_points_leaderboard_with_automatic_and_approved_items(
    evaluation: RunningService,
) -> None:
    client = evaluation.client
    item = await client.post(
        "/v1/points",
        json={
            "member_id": "sec-1",
            "org_unit_id": "village-a1",
            "points": 10,
            "reason": "带头防汛",
            "month": "2026-11",
        },
        headers=ADMIN,
    )
    assert item.status_code == 201
    own = await client.post(f"/v1/points/{item.json()['id']}/approve", headers=ADMIN)
    assert own.status_code == 403  # the proposer cannot approve their own item
    other_admin = auth("org_admin", COUNTY, sub="second-admin")
    assert (
        await client.post(f"/v1/points/{item.json()['id']}/approve", headers=other_admin)
    ).status_code == 200
    board = (
        await client.get("/v1/points/leaderboard?org_unit=town-a&period=2026-Q4", headers=ADMIN)
    ).json()
    rows = [(e["member_id"], e["points"], e["stars"], e["rank"]) for e in board["items"]]
    # sec-1: 60 + 10; mem-3: 60 + 2 × 2 (two resolved requests); mem-2: 60 + 3 (post claimed).
    assert rows == [
        ("sec-1", 70.0, 2, 1),
        ("mem-3", 64.0, 1, 2),
        ("mem-2", 63.0, 1, 3),
        ("mem-4", 60.0, 1, 4),  # transferred in: counted here, not in town-b
    ]
    town_b = (
        await client.get("/v1/points/leaderboard?org_unit=town-b&period=2026-Q4", headers=ADMIN)
    ).json()
    assert town_b["items"] == []


async def test_surveys_one_vote_per_key_and_results_feed_a_scheme(
    evaluation: RunningService,
) -> None:
    client = evaluation.client
    survey = await client.post(
        "/v1/surveys",
        json={
            "org_unit_id": "town-a",
            "period": "2026-11",
            "title": "千人千企评机关",
            "questions": [{"code": "q1", "text": "办事效率"}, {"code": "q2", "text": "服务态度"}],
        },
        headers=CADRE,
    )
    assert survey.status_code == 201
    sid = survey.json()["id"]
    assert (await client.get(f"/v1/surveys/{sid}")).json()["title"] == "千人千企评机关"
    outsider = await client.post(f"/v1/surveys/{sid}/codes", json={"count": 3})
    assert outsider.status_code == 401
    codes = (
        await client.post(f"/v1/surveys/{sid}/codes", json={"count": 3}, headers=CADRE)
    ).json()["codes"]
    assert len(set(codes)) == 3
    answers = [
        (codes[0], {"q1": "satisfied", "q2": "satisfied"}),
        (codes[1].lower(), {"q1": "basically_satisfied", "q2": "unsatisfied"}),
    ]
    for code, body in answers:
        response = await client.post(
            f"/v1/surveys/{sid}/responses", json={"response_code": code, "answers": body}
        )
        assert response.status_code == 201
    twice = await client.post(
        f"/v1/surveys/{sid}/responses",
        json={"response_code": codes[0], "answers": {"q1": "unsatisfied"}},
    )
    assert twice.status_code == 409
    # Stuffing: made-up respondent keys are refused and change nothing.
    for i in range(30):
        made_up = await client.post(
            f"/v1/surveys/{sid}/responses",
            json={"response_code": f"91230321MA{i}", "answers": {"q1": "unsatisfied"}},
        )
        assert made_up.status_code == 403
        assert made_up.headers["content-type"].startswith("application/problem+json")
    unknown = await client.post(
        f"/v1/surveys/{sid}/responses",
        json={"response_code": codes[2], "answers": {"q9": "satisfied"}},
    )
    assert unknown.status_code == 422
    results = (await client.get(f"/v1/surveys/{sid}/results", headers=CADRE)).json()
    assert results["respondents"] == 2
    assert results["questions"]["q1"]["satisfaction_rate"] == pytest.approx(0.95)
    assert results["satisfaction_rate"] == pytest.approx((2 + 0.9) / 4)
    await client.post(
        "/v1/schemes",
        json={
            "county_area_code": COUNTY,
            "name": "with-survey",
            "weights": {"resolution_rate": 0.5, "survey_rate": 0.5},
        },
        headers=ADMIN,
    )
    ranking = (
        await client.get(
            "/v1/rankings?parent=county&period=2026-11&scheme=with-survey", headers=ADMIN
        )
    ).json()
    # 100 × (0.5 × 1 + 0.5 × 0.725) = 86.25
    assert ranking["items"][0]["score"] == 86.25


async def test_pay_counts_the_approved_bonus_the_ranking_counts(
    evaluation: RunningService,
) -> None:
    client = evaluation.client
    scheme = {
        "county_area_code": COUNTY,
        "name": "any-sample",
        "weights": {"response_rate": 0.1, "resolution_rate": 0.5, "satisfaction_rate": 0.4},
        "min_feedbacks": 0,
    }
    assert (await client.post("/v1/schemes", json=scheme, headers=ADMIN)).status_code == 201
    proposal = await client.post(
        "/v1/bonus",
        json={"org_unit_id": "village-a1", "period": "2026-11", "points": 3, "reason": "创新"},
        headers=CADRE,
    )
    await client.post(f"/v1/bonus/{proposal.json()['id']}/approve", headers=ADMIN)
    query = "period=2026-11&scheme=any-sample"
    ranking = (await client.get(f"/v1/rankings?parent=town-a&{query}", headers=ADMIN)).json()
    pay = (await client.get(f"/v1/pay?org_unit=village-a1&{query}", headers=ADMIN)).json()
    # 100 × (0.1 + 0.5 + 0.4 × 0.5) = 80, plus the 3 approved bonus points in both.
    assert ranking["items"][0]["score"] == pay["score"] == 83.0
    # 2,000 a month: 1,200 base, 800 × 0.83 performance.
    assert pay["items"][0]["performance_pay"] == 664.0


async def test_rankings_page_50_items_by_default(evaluation: RunningService) -> None:
    schema = (await evaluation.client.get("/openapi.json")).json()
    params = schema["paths"]["/v1/rankings"]["get"]["parameters"]
    limit = next(p for p in params if p["name"] == "limit")["schema"]
    assert (limit["default"], limit["maximum"]) == (50, 500)


async def test_pay_splits_60_40_scaled_by_the_score(evaluation: RunningService) -> None:
    response = await evaluation.client.get("/v1/pay?org_unit=village-a1&period=2026", headers=ADMIN)
    body = response.json()
    # Two answers are under the minimum sample: 100 from response and resolution.
    assert body["score"] == 100.0
    # Only the secretary holds a paid duty: 24000 × 0.6 = 14400 base; 9600 × 1.0 = 9600.
    assert [
        (i["member_id"], i["base_pay"], i["performance_pay"], i["total"]) for i in body["items"]
    ] == [("sec-1", 14400.0, 9600.0, 24000.0)]
    quarter = (
        await evaluation.client.get("/v1/pay?org_unit=village-a1&period=2026-Q4", headers=ADMIN)
    ).json()
    assert quarter["items"][0]["base_pay"] == 3600.0
    member = auth("member", COUNTY)
    assert (
        await evaluation.client.get("/v1/pay?org_unit=village-a1&period=2026", headers=member)
    ).status_code == 403
