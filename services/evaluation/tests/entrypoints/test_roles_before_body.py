"""A caller whose role is too low for a write is refused (403) before its body is read, so an
invalid body tells it nothing (no 422 that shows the schema); no database is reached."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from grassroots.evaluation.config import EvaluationSettings
from grassroots.evaluation.main import SPEC
from grassroots.kit.testing.services import auth, settings_for_tests

COUNTY = "230321000000"
MEMBER = auth("member", COUNTY, sub="m-1")
CADRE = auth("cadre", COUNTY, sub="c-1")
INVALID = {"unexpected": True}


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    settings = settings_for_tests(
        EvaluationSettings,
        var_dir=tmp_path,
        nats_url="nats://127.0.0.1:1",
        evaluation_database_url=f"sqlite+aiosqlite:///{tmp_path / 'never-created.db'}",
    )
    transport = httpx.ASGITransport(app=SPEC.app_factory(settings))  # no lifespan: no database
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        yield http


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        ("/v1/schemes", CADRE),
        ("/v1/rankings/publish", CADRE),
        ("/v1/bonus", MEMBER),
        ("/v1/bonus/b-1/approve", CADRE),
        ("/v1/evaluations", MEMBER),
        ("/v1/evaluations/r-1/org", MEMBER),
        ("/v1/points", MEMBER),
        ("/v1/points/p-1/approve", CADRE),
        ("/v1/surveys", MEMBER),
        ("/v1/surveys/s-1/codes", MEMBER),
        ("/v1/exclusions", MEMBER),
        ("/v1/exclusions/e-1/approve", CADRE),
        ("/v1/appeals", MEMBER),
        ("/v1/appeals/a-1/uphold", CADRE),
        ("/v1/topics/t-1/mark", CADRE),
    ],
)
async def test_a_role_too_low_is_refused_before_the_body(
    client: httpx.AsyncClient, path: str, headers: dict[str, str]
) -> None:
    answer = await client.post(path, json=INVALID, headers=headers)
    assert answer.status_code == 403, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")


async def test_a_member_may_score_as_a_mass_rater_so_its_bad_body_is_a_422(
    client: httpx.AsyncClient,
) -> None:
    answer = await client.post("/v1/evaluations/r-1/mass", json=INVALID, headers=MEMBER)
    assert answer.status_code == 422
    assert {e["field"] for e in answer.json()["errors"]} == {"member_id", "score"}
