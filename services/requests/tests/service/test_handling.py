"""Handling use cases over an in-memory repository and outbox: writes, guards and events."""

from __future__ import annotations

from typing import Any

import pytest

from grassroots.contracts.events.requests import RequestAccepted, RequestChased
from grassroots.kit.problems import Conflict, NotFound
from grassroots.requests.domain.machine import Action
from grassroots.requests.service import handling

from ..domain.test_request import NOW, VILLAGE, stored
from .fakes import FakeOutbox, FakeRepository, context

SESSION: Any = object()


@pytest.fixture
def repo(monkeypatch: pytest.MonkeyPatch) -> FakeRepository:
    fake = FakeRepository()
    monkeypatch.setattr(handling, "repository", fake)
    return fake


async def test_a_transition_is_saved_with_its_history_and_event(repo: FakeRepository) -> None:
    repo.store(stored())
    outbox = FakeOutbox()
    row = await handling.load_for_update(SESSION, "r-1")
    new_row = await handling.apply_transition(
        context(outbox), SESSION, row, Action.ACCEPT, actor="cadre-1", now=NOW
    )
    assert new_row["status"] == repo.rows["r-1"]["status"] == "accepted"
    assert [h["action"] for h in repo.history] == ["accept"]
    [(data, area_code, aggregate_id, actor)] = outbox.added
    assert isinstance(data, RequestAccepted) and data.version == 2
    assert (area_code, aggregate_id, actor) == (VILLAGE, "r-1", "cadre-1")


async def test_a_change_made_meanwhile_is_a_conflict_and_raises_no_event(
    repo: FakeRepository,
) -> None:
    repo.store(stored())
    outbox = FakeOutbox()
    row = await handling.load_for_update(SESSION, "r-1")
    repo.rows["r-1"]["version"] = 2
    with pytest.raises(Conflict, match="changed meanwhile"):
        await handling.apply_transition(
            context(outbox), SESSION, row, Action.ACCEPT, actor="cadre-1", now=NOW
        )
    assert outbox.added == [] and repo.history == []


async def test_an_illegal_transition_is_a_409_of_its_own_type(repo: FakeRepository) -> None:
    repo.store(stored(status="closed"))
    outbox = FakeOutbox()
    row = await handling.load_for_update(SESSION, "r-1")
    with pytest.raises(Conflict) as raised:
        await handling.apply_transition(
            context(outbox), SESSION, row, Action.ACCEPT, actor="cadre-1", now=NOW
        )
    assert raised.value.type.endswith("/illegal-transition")
    assert repo.rows["r-1"]["status"] == "closed" and outbox.added == []


async def test_an_unknown_request_is_a_404(repo: FakeRepository) -> None:
    with pytest.raises(NotFound):
        await handling.load_for_update(SESSION, "nope")


async def test_a_step_keeps_the_status_and_is_none_when_raced(repo: FakeRepository) -> None:
    repo.store(stored(status="in_progress", version=3))
    outbox = FakeOutbox()
    row = dict(repo.rows["r-1"])
    after = await handling.record_step(
        context(outbox), SESSION, row, "chased", actor="system", now=NOW, changes={"chased_at": NOW}
    )
    assert after is not None and after["status"] == "in_progress" and after["version"] == 4
    assert isinstance(outbox.added[0][0], RequestChased)
    # The same stale row again: the version moved on, so nothing is written.
    assert (
        await handling.record_step(context(outbox), SESSION, row, "chased", actor="s", now=NOW)
        is None
    )
    with pytest.raises(Conflict):
        await handling.record_step_or_conflict(
            context(outbox), SESSION, row, "chased", actor="s", now=NOW
        )
    assert len(outbox.added) == 1
