"""The members replica's use cases hand the repository exactly the member's public state."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from grassroots.contracts.events.members import MemberExited, MemberRegistered
from grassroots.requests.service import members

from .fakes import FakeRepository

SESSION: Any = object()
AT = datetime(2031, 3, 3, tzinfo=UTC)


@pytest.fixture
def repo(monkeypatch: pytest.MonkeyPatch) -> FakeRepository:
    fake = FakeRepository()
    monkeypatch.setattr(members, "repository", fake)
    return fake


async def test_a_registered_member_is_kept_active_with_skills(repo: FakeRepository) -> None:
    data = MemberRegistered(
        member_id="m-1",
        org_unit_id="u-village",
        stage="full",
        skills=["民政"],
        duties=[],
        version=3,
        occurred_at=AT,
    )
    await members.record_member_state(SESSION, data)
    [(member_id, version, values)] = repo.member_writes
    assert (member_id, version) == ("m-1", 3)
    assert values == {
        "org_unit_id": "u-village",
        "stage": "full",
        "skills": ["民政"],
        "duties": [],
        "active": True,
    }


async def test_an_exited_member_is_no_longer_a_candidate(repo: FakeRepository) -> None:
    await members.record_member_exit(
        SESSION,
        MemberExited(
            member_id="m-1", org_unit_id="u-village", reason="voluntary", version=4, occurred_at=AT
        ),
    )
    assert repo.member_writes == [("m-1", 4, {"active": False})]
