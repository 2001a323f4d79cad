"""Use cases against in-memory fakes of their repositories: role and area checks, the answers."""

from __future__ import annotations

import base64
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest

from grassroots.contracts.area import ROOT_AREA
from grassroots.contracts.events.base import EventData
from grassroots.kit.auth import Principal
from grassroots.kit.problems import Conflict, Forbidden, Invalid, NotFound
from grassroots.kit.sealing import KeyRing
from grassroots.members.service import keys, org_units, registry, shared, transfers, vocabulary
from grassroots.members.service.commands import AliasIn, DecisionIn, OrgUnitIn
from grassroots.members.service.deps import Deps

COUNTY = "230321000000"
TOWN = "230321100000"
OTHER_COUNTY = "230322000000"
SESSION: Any = object()  # the fakes never touch it


def key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


@dataclass
class FakeOutbox:
    """Keeps what the use case records."""

    added: list[tuple[EventData, str, str, str | None]] = field(default_factory=list)

    async def add(
        self, session: Any, data: EventData, *, area_code: str, aggregate_id: str, actor: str
    ) -> None:
        self.added.append((data, area_code, aggregate_id, actor))


def deps(outbox: FakeOutbox | None = None, prefix: str = "") -> Deps:
    return Deps(
        outbox=outbox or FakeOutbox(),  # type: ignore[arg-type]
        cipher=KeyRing({"k1": key()}, "k1", "index"),
        deployment_prefix=prefix,
    )


def unit_row(unit_id: str, area_code: str, **more: Any) -> SimpleNamespace:
    values = {
        "id": unit_id,
        "name": unit_id,
        "area_code": area_code,
        "tier": "county" if area_code.endswith("000000") else "township",
        "kind": "committee",
        "domain": "organ",
        "parent_id": None,
        "path": f"/{unit_id}/",
        "version": 1,
        **more,
    }
    return SimpleNamespace(**values, _mapping=values)


class FakeUnits:
    """The unit repository over a dict."""

    def __init__(self, *rows: SimpleNamespace) -> None:
        self.rows = {r.id: r for r in rows}
        self.added: list[dict[str, Any]] = []

    async def unit(self, session: Any, unit_id: str, *, for_update: bool = False) -> Any:
        return self.rows.get(unit_id)

    async def unit_named(
        self, session: Any, name: str, parent_id: str | None, *, excluding: str | None = None
    ) -> str | None:
        for row in self.rows.values():
            if row.name == name and row.parent_id == parent_id and row.id != excluding:
                return str(row.id)
        return None

    async def add_unit(self, session: Any, values: dict[str, Any]) -> None:
        self.added.append(values)


@pytest.fixture
def county_units(monkeypatch: pytest.MonkeyPatch) -> FakeUnits:
    units = FakeUnits(unit_row("county", COUNTY), unit_row("other", OTHER_COUNTY))
    monkeypatch.setattr(org_units, "repo", units)
    monkeypatch.setattr(shared, "units", units)
    return units


async def test_creating_a_unit_records_it_and_its_event(county_units: FakeUnits) -> None:
    outbox = FakeOutbox()
    admin = Principal(sub="admin-1", role="org_admin", org=COUNTY)
    body = OrgUnitIn(
        name="城关镇党委",
        area_code=TOWN,
        tier="township",
        kind="committee",
        domain="organ",
        parent_id="county",
    )
    created = await org_units.create_org_unit(SESSION, deps(outbox), admin, body)
    assert created["path"] == f"/county/{created['id']}/"
    assert county_units.added == [created]
    (event, area, aggregate, actor) = outbox.added[0]
    assert (event.event_type(), area, aggregate, actor) == (
        "gr.members.org_unit_created.v1",
        TOWN,
        created["id"],
        "admin-1",
    )


async def test_a_unit_outside_the_deployment_or_the_token_is_refused(
    county_units: FakeUnits,
) -> None:
    body = OrgUnitIn(name="镇", area_code=TOWN, tier="township", kind="committee", domain="organ")
    root = Principal(sub="a", role="platform_admin", org=ROOT_AREA)
    with pytest.raises(Forbidden, match="deployment"):
        await org_units.create_org_unit(SESSION, deps(prefix="2302"), root, body)
    elsewhere = Principal(sub="a", role="org_admin", org=OTHER_COUNTY)
    with pytest.raises(Forbidden):
        await org_units.create_org_unit(SESSION, deps(), elsewhere, body)
    cadre = Principal(sub="a", role="cadre", org=COUNTY)
    with pytest.raises(Forbidden):
        await org_units.create_org_unit(SESSION, deps(), cadre, body)
    assert county_units.added == []


async def test_a_unit_named_twice_under_one_parent_is_a_conflict(county_units: FakeUnits) -> None:
    county_units.rows["town"] = unit_row("town", TOWN, name="城关镇党委", parent_id="county")
    body = OrgUnitIn(
        name="城关镇党委",
        area_code="230321101000",
        tier="township",
        kind="committee",
        domain="organ",
        parent_id="county",
    )
    admin = Principal(sub="a", role="org_admin", org=COUNTY)
    with pytest.raises(Conflict, match="town"):
        await org_units.create_org_unit(SESSION, deps(), admin, body)


async def test_a_unit_out_of_scope_reads_as_forbidden_and_an_unknown_one_as_missing(
    county_units: FakeUnits,
) -> None:
    viewer = Principal(sub="v", role="viewer", org=COUNTY)
    assert (await org_units.get_org_unit(SESSION, deps(), viewer, "county"))["id"] == "county"
    with pytest.raises(Forbidden):
        await org_units.get_org_unit(SESSION, deps(), viewer, "other")
    with pytest.raises(NotFound):
        await org_units.get_org_unit(SESSION, deps(), viewer, "nowhere")


class FakeAliases:
    def __init__(self) -> None:
        self.stored: list[tuple[str, str, str]] = []

    async def put_county_alias(self, session: Any, county: str, alias: str, skill: str) -> None:
        self.stored.append((county, alias, skill))


async def test_an_alias_is_cleaned_and_kept_only_for_a_county(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    aliases = FakeAliases()
    monkeypatch.setattr(vocabulary, "repo", aliases)
    admin = Principal(sub="a", role="org_admin", org=COUNTY)
    answer = await vocabulary.put_alias(
        SESSION, deps(), admin, AliasIn(county_area=COUNTY, alias=" 电 工 ", skill="电工")
    )
    assert aliases.stored == [(COUNTY, answer["alias"], answer["skill"])]
    assert answer["county_area"] == COUNTY and answer["skill"] == "电工"
    with pytest.raises(Invalid):
        await vocabulary.put_alias(
            SESSION, deps(), admin, AliasIn(county_area=TOWN, alias="a", skill="b")
        )
    with pytest.raises(Forbidden):
        await vocabulary.put_alias(
            SESSION,
            deps(),
            Principal(sub="c", role="cadre", org=COUNTY),
            AliasIn(county_area=COUNTY, alias="a", skill="b"),
        )
    assert len(aliases.stored) == 1


class FakeReads:
    def __init__(self, count: int) -> None:
        self.rows: list[dict[str, Any]] = [{"id": i, "member_id": "m"} for i in range(1, count + 1)]
        self.asked: dict[str, Any] = {}

    async def pii_reads_page(
        self,
        session: Any,
        *,
        area_prefix: str,
        member_id: str | None,
        after: int | None,
        limit: int,
    ) -> list[dict[str, Any]]:
        self.asked = {"area_prefix": area_prefix, "member_id": member_id}
        return [r for r in self.rows if after is None or r["id"] > after][: limit + 1]


async def test_the_audit_trail_pages_inside_the_token_and_only_for_org_admins(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reads = FakeReads(3)
    monkeypatch.setattr(registry, "repo", reads)
    admin = Principal(sub="a", role="org_admin", org=COUNTY)
    items, after = await registry.list_pii_reads(
        SESSION, deps(), admin, member_id=None, limit=2, after=None
    )
    assert ([i["id"] for i in items], after) == ([1, 2], 2)
    assert reads.asked == {"area_prefix": "230321", "member_id": None}
    items, after = await registry.list_pii_reads(
        SESSION, deps(), admin, member_id="m", limit=2, after=2
    )
    assert ([i["id"] for i in items], after) == ([3], None)
    with pytest.raises(Forbidden):
        await registry.list_pii_reads(
            SESSION,
            deps(),
            Principal(sub="c", role="cadre", org=COUNTY),
            member_id=None,
            limit=2,
            after=None,
        )


class FakeLetters:
    def __init__(self, row: SimpleNamespace) -> None:
        self.row = row
        self.decided: list[dict[str, Any]] = []

    async def letter(self, session: Any, transfer_id: str, *, for_update: bool = False) -> Any:
        return self.row if transfer_id == self.row.id else None

    async def decide_letter(self, session: Any, transfer_id: str, values: dict[str, Any]) -> None:
        self.decided.append(values)


@pytest.mark.parametrize(
    ("action", "side"), [("accept", "receiving"), ("reject", "receiving"), ("revoke", "sending")]
)
async def test_only_the_deciding_side_may_decide_a_letter(
    monkeypatch: pytest.MonkeyPatch, action: str, side: str
) -> None:
    units = FakeUnits(unit_row("from", COUNTY), unit_row("to", OTHER_COUNTY))
    monkeypatch.setattr(shared, "units", units)
    letters = FakeLetters(
        SimpleNamespace(id="t1", from_org_unit_id="from", to_org_unit_id="to", member_id="m")
    )
    monkeypatch.setattr(transfers, "repo", letters)
    wrong = Principal(
        sub="a", role="org_admin", org=COUNTY if side == "receiving" else OTHER_COUNTY
    )
    with pytest.raises(Forbidden, match=f"only the {side} organisation may {action}"):
        await transfers.decide_transfer(SESSION, deps(), wrong, "t1", action, DecisionIn())  # type: ignore[arg-type]
    with pytest.raises(NotFound):
        await transfers.decide_transfer(SESSION, deps(), wrong, "t2", action, DecisionIn())  # type: ignore[arg-type]
    assert letters.decided == []


class FakeDatabase:
    def __init__(self) -> None:
        self.transactions = 0

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Any]:
        self.transactions += 1
        yield SESSION


async def test_reencryption_goes_batch_by_batch_over_every_sealed_table(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    batches = {"members": [1000, 3, 0], "floating_spells": [2, 0]}
    seen: list[tuple[str, ...]] = []

    async def reseal_rows(session: Any, ring: KeyRing, columns: Any) -> int:
        table = columns[0].table.name
        seen.append(tuple(c.column for c in columns))
        return batches[table].pop(0)

    monkeypatch.setattr(keys, "reseal_rows", reseal_rows)
    db = FakeDatabase()
    root = Principal(sub="p", role="platform_admin", org=ROOT_AREA)
    answer = await keys.reencrypt_personal_data(db, deps(), root)  # type: ignore[arg-type]
    assert answer == {"reencrypted": 1005, "active_key_id": "k1"}
    assert db.transactions == 5
    assert seen[0] == ("id_number_enc", "phone_enc") and seen[-1] == ("destination_enc",)
    with pytest.raises(Forbidden):
        await keys.reencrypt_personal_data(
            db,  # type: ignore[arg-type]
            deps(),
            Principal(sub="o", role="org_admin", org=ROOT_AREA),
        )
    assert db.transactions == 5
