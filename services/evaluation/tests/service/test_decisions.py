"""Who may decide a bonus or a points item, and that it is decided once: the use cases against
in-memory stores, without a database or HTTP."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

import pytest

from grassroots.evaluation.domain.indicators import CountRules
from grassroots.evaluation.domain.topics import TopicRules
from grassroots.evaluation.domain.tree import Unit
from grassroots.evaluation.service import access, bonus, points
from grassroots.evaluation.service.deps import Deps
from grassroots.kit.auth import Principal, Role
from grassroots.kit.db import AsyncSession
from grassroots.kit.outbox import Outbox
from grassroots.kit.problems import Conflict, Forbidden, NotFound

COUNTY = "230321000000"
UNITS = {
    "county": Unit("county", "县", COUNTY, None),
    "town": Unit("town", "镇", "230321100000", "county"),
    "village": Unit("village", "村", "230321100201", "town"),
}
NOW = datetime(2026, 11, 3, 9, tzinfo=UTC)
SESSION = cast(AsyncSession, None)  # the fakes below never touch it
DEPS = Deps(
    outbox=Outbox(source="/grassroots/test"),
    rules=CountRules(),
    appeal_window_workdays=5,
    is_workday=lambda day: day.weekday() < 5,
    base_points=60.0,
    cadre_subsidy_per_year=24000.0,
    pay_base_share=0.6,
    pay_duties=frozenset({"secretary"}),
    topic_rules=TopicRules(),
)


class FakeStore:
    """An ItemStore over a dict."""

    def __init__(self) -> None:
        self.rows: dict[str, dict[str, Any]] = {}

    async def add(self, session: AsyncSession, row: dict[str, Any]) -> bool:
        self.rows[row["id"]] = dict(row)
        return True

    async def get(
        self, session: AsyncSession, item_id: str, *, for_update: bool = False
    ) -> dict[str, Any] | None:
        row = self.rows.get(item_id)
        return None if row is None else dict(row)

    async def change(self, session: AsyncSession, item_id: str, values: dict[str, Any]) -> None:
        self.rows[item_id].update(values)


@pytest.fixture(autouse=True)
def tree(monkeypatch: pytest.MonkeyPatch) -> None:
    async def find_unit(session: AsyncSession, org_unit_id: str) -> Unit | None:
        return UNITS.get(org_unit_id)

    monkeypatch.setattr(access, "find_unit", find_unit)


@pytest.fixture
def store(monkeypatch: pytest.MonkeyPatch) -> FakeStore:
    fake = FakeStore()
    monkeypatch.setattr(bonus, "bonus_store", fake)
    monkeypatch.setattr(points, "points_store", fake)
    return fake


def who(role: Role, sub: str, org: str = COUNTY) -> Principal:
    return Principal(sub=sub, role=role, org=org)


def proposed(item_id: str, unit: str, by: str) -> dict[str, Any]:
    return {"id": item_id, "org_unit_id": unit, "status": "proposed", "proposed_by": by}


async def test_a_points_item_is_decided_once_and_never_by_its_proposer(store: FakeStore) -> None:
    store.rows["p1"] = proposed("p1", "village", by="admin-1")
    with pytest.raises(Forbidden, match="proposer cannot approve"):
        await points.decide_points(SESSION, DEPS, who("org_admin", "admin-1"), "p1", "approve")
    assert store.rows["p1"]["status"] == "proposed"
    decided = await points.decide_points(SESSION, DEPS, who("org_admin", "admin-2"), "p1", "reject")
    assert (decided["status"], decided["decided_by"]) == ("rejected", "admin-2")
    with pytest.raises(Conflict, match="points item is already rejected"):
        await points.decide_points(SESSION, DEPS, who("org_admin", "admin-2"), "p1", "approve")


async def test_deciding_needs_an_org_admin_in_scope(store: FakeStore) -> None:
    store.rows["p1"] = proposed("p1", "village", by="cadre-1")
    with pytest.raises(Forbidden):
        await points.decide_points(SESSION, DEPS, who("cadre", "cadre-2"), "p1", "approve")
    other_county = who("org_admin", "admin-9", org="230322000000")
    with pytest.raises(Forbidden):
        await points.decide_points(SESSION, DEPS, other_county, "p1", "approve")
    with pytest.raises(NotFound, match="no points item p2"):
        await points.decide_points(SESSION, DEPS, who("org_admin", "admin-2"), "p2", "approve")
    assert store.rows["p1"]["status"] == "proposed"


async def test_a_bonus_is_decided_by_the_parent_and_the_top_unit_has_none(
    store: FakeStore,
) -> None:
    store.rows["b1"] = proposed("b1", "village", by="cadre-1")
    store.rows["b2"] = proposed("b2", "county", by="cadre-1")
    village_admin = who("org_admin", "admin-v", org="230321100201")
    with pytest.raises(Forbidden):  # the village's own admin does not cover its parent
        await bonus.decide_bonus(SESSION, DEPS, village_admin, "b1", "approve")
    decided = await bonus.decide_bonus(SESSION, DEPS, who("org_admin", "admin-c"), "b1", "approve")
    assert decided["status"] == "approved"
    with pytest.raises(Conflict, match="bonus item is already approved"):
        await bonus.decide_bonus(SESSION, DEPS, who("org_admin", "admin-c"), "b1", "reject")
    with pytest.raises(Conflict, match="without a parent"):
        await bonus.decide_bonus(SESSION, DEPS, who("org_admin", "admin-c"), "b2", "approve")
