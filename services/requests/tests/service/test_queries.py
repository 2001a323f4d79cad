"""Cadres' reads over an in-memory repository: filters, scope and the logged contact read."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from grassroots.kit.auth import Principal
from grassroots.kit.problems import Forbidden, Invalid, NotFound
from grassroots.requests.domain.machine import Status
from grassroots.requests.service import queries

from ..domain.test_request import VILLAGE, stored
from .fakes import FakeOutbox, FakeRepository, context

SESSION: Any = object()
CADRE = Principal(sub="cadre-1", role="cadre", org=VILLAGE)
ELSEWHERE = Principal(sub="cadre-2", role="cadre", org="110102001001")


@pytest.fixture
def repo(monkeypatch: pytest.MonkeyPatch) -> FakeRepository:
    fake = FakeRepository()
    monkeypatch.setattr(queries, "repository", fake)
    return fake


async def test_a_due_time_without_offset_is_refused_before_any_query(repo: FakeRepository) -> None:
    query = queries.RequestQuery(due_before=datetime(2031, 1, 1, 12, 0))
    with pytest.raises(Invalid, match="due_before"):
        await queries.list_requests(SESSION, CADRE, query, after=None, limit=10)
    assert repo.filters == []


async def test_the_list_is_scoped_and_its_statuses_sorted_once(repo: FakeRepository) -> None:
    statuses = [Status.RESOLVED, Status.ACCEPTED, Status.RESOLVED]
    query = queries.RequestQuery(statuses=statuses)
    await queries.list_requests(SESSION, CADRE, query, after=None, limit=10)
    [wanted] = repo.filters
    assert wanted.area_prefix == CADRE.area_prefix
    assert wanted.statuses == ["accepted", "resolved"]


async def test_a_contact_read_is_logged_inside_scope_only(repo: FakeRepository) -> None:
    repo.store(stored(citizen_name_enc="Wang", citizen_phone_enc="13800000000"))
    ctx = context(FakeOutbox())
    with pytest.raises(Forbidden):
        await queries.read_contact(SESSION, ctx, ELSEWHERE, "r-1", "callback")
    with pytest.raises(NotFound):
        await queries.read_contact(SESSION, ctx, CADRE, "r-404", "callback")
    assert repo.reads_logged == []
    contact = await queries.read_contact(SESSION, ctx, CADRE, "r-1", "callback")
    assert contact == {"name": "Wang", "phone": "13800000000"}
    [read] = repo.reads_logged
    assert read["reader"] == "cadre-1" and read["purpose"] == "callback"
