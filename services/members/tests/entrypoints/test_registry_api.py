"""The member registry over PostgreSQL and a real NATS: masking, encryption, scope, rules."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import func, select, text, update

from grassroots.kit.testing.services import RunningService, auth, eventually
from grassroots.members.adapters.orm import members as members_table
from grassroots.members.adapters.orm import pii_reads, transfers

pytestmark = pytest.mark.component

Tree = dict[str, dict[str, Any]]
MASKED_ID = r"^\d{6}\*{8}[\dX]{4}$"


async def register(service: RunningService, body: dict[str, Any]) -> dict[str, Any]:
    response = await service.client.post("/v1/members", json=body, headers=auth())
    assert response.status_code == 201, response.text
    member: dict[str, Any] = response.json()
    return member


def assert_masked(member: dict[str, Any], body: dict[str, Any]) -> None:
    assert member["id_number"] == body["id_number"][:6] + "********" + body["id_number"][-4:]
    assert member["phone"] == body["phone"][:3] + "****" + body["phone"][-4:]
    dumped = json.dumps(member)
    assert body["id_number"] not in dumped and body["phone"] not in dumped


async def test_answers_are_masked_and_the_database_holds_ciphertext(
    members: RunningService, tree: Tree, new_member: Any
) -> None:
    body = new_member(tree["village"]["id"], 1)
    created = await register(members, body)
    assert_masked(created, body)
    assert created["skills"] == ["农机维修", "电工"]
    assert created["gender"] == "male" and created["birth_date"] == "1961-02-02"
    got = (await members.client.get(f"/v1/members/{created['id']}", headers=auth())).json()
    assert_masked(got, body)
    listed = (await members.client.get("/v1/members", headers=auth())).json()["items"]
    assert_masked(listed[0], body)
    patched = await members.client.patch(
        f"/v1/members/{created['id']}", json={"phone": "13700001111"}, headers=auth()
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["phone"] == "137****1111"
    async with members.runtime.db.read_only() as session:
        row = (
            await session.execute(
                text("SELECT m::text FROM members m WHERE id = :id"), {"id": created["id"]}
            )
        ).scalar_one()
        enc = (
            await session.execute(
                select(members_table.c.id_number_enc).where(members_table.c.id == created["id"])
            )
        ).scalar_one()
    assert body["id_number"] not in row and "13700001111" not in row
    assert body["phone"] not in row
    assert enc.startswith("v1:dev1:")


async def test_bad_id_numbers_are_named_and_change_nothing(
    members: RunningService, tree: Tree, new_member: Any
) -> None:
    good = new_member(tree["village"]["id"], 2)
    wrong_check = {
        **good,
        "id_number": good["id_number"][:17] + ("0" if good["id_number"][17] != "0" else "1"),
    }
    response = await members.client.post("/v1/members", json=wrong_check, headers=auth())
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in response.json()["errors"]] == ["id_number"]
    mismatch = {**good, "gender": "female", "phone": "123"}
    response = await members.client.post("/v1/members", json=mismatch, headers=auth())
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {"gender", "phone"}
    async with members.runtime.db.read_only() as session:
        assert await session.scalar(select(func.count()).select_from(members_table)) == 0
    await register(members, good)
    again = await members.client.post("/v1/members", json=good, headers=auth())
    assert again.status_code == 409


async def test_out_of_scope_reads_and_writes_are_refused(
    members: RunningService, tree: Tree, new_member: Any
) -> None:
    created = await register(members, new_member(tree["village"]["id"], 3))
    other_county = auth("org_admin", org="230322000000")
    assert (
        await members.client.get(f"/v1/members/{created['id']}", headers=other_county)
    ).status_code == 403
    listed = (await members.client.get("/v1/members", headers=other_county)).json()
    assert listed["items"] == []
    for path in (
        f"/v1/stats/structure?org_unit={tree['county']['id']}",
        f"/v1/members/export?org_unit={tree['county']['id']}",
        f"/v1/members?org_unit={tree['county']['id']}",
    ):
        assert (await members.client.get(path, headers=other_county)).status_code == 403, path
    write = await members.client.post(
        "/v1/members", json=new_member(tree["village"]["id"], 4), headers=other_county
    )
    assert write.status_code == 403
    other_member = auth("member", org="230321100201", sub="someone-else")
    assert (
        await members.client.get(f"/v1/members/{created['id']}", headers=other_member)
    ).status_code == 403
    own = auth("member", org="230321100201", sub=created["id"])
    assert (
        await members.client.get(f"/v1/members/{created['id']}", headers=own)
    ).status_code == 200
    assert (await members.client.get("/v1/members")).status_code == 401


async def test_unmasked_reads_need_org_admin_a_reason_and_are_audited(
    members: RunningService, tree: Tree, new_member: Any
) -> None:
    body = new_member(tree["village"]["id"], 5)
    created = await register(members, body)
    path = f"/v1/members/{created['id']}/reveal"
    cadre = auth("cadre", org=tree["county"]["area_code"])
    assert (
        await members.client.post(path, json={"reason": "联系核实"}, headers=cadre)
    ).status_code == 403
    admin = auth("org_admin", org=tree["county"]["area_code"], sub="admin-7")
    no_reason = await members.client.post(path, json={}, headers=admin)
    assert no_reason.status_code == 422 and no_reason.json()["errors"][0]["field"] == "reason"
    reads_before = REGISTRY.get_sample_value("gr_members_pii_reads_total") or 0.0
    revealed = await members.client.post(
        path, json={"reason": "组织关系转接核实身份"}, headers=admin
    )
    assert revealed.status_code == 200
    assert revealed.json()["id_number"] == body["id_number"]
    assert revealed.json()["phone"] == body["phone"]
    assert REGISTRY.get_sample_value("gr_members_pii_reads_total") == reads_before + 1
    async with members.runtime.db.read_only() as session:
        reads = (await session.execute(select(pii_reads))).all()
    assert [(r.reader, r.reason) for r in reads] == [("admin-7", "组织关系转接核实身份")]
    trail = (await members.client.get("/v1/audit/pii-reads", headers=admin)).json()["items"]
    assert trail[0]["member_id"] == created["id"]


async def test_transfers_accept_once_and_revoked_letters_cannot_be_accepted(
    members: RunningService, tree: Tree, new_member: Any
) -> None:
    created = await register(members, new_member(tree["village"]["id"], 6))
    sender = auth("org_admin", org=tree["county"]["area_code"])
    receiver = auth("org_admin", org=tree["other"]["area_code"])
    issued = await members.client.post(
        f"/v1/members/{created['id']}/transfers",
        json={"to_org_unit_id": tree["other_village"]["id"], "reason": "工作调动"},
        headers=sender,
    )
    assert issued.status_code == 201, issued.text
    letter = issued.json()
    assert letter["status"] == "issued"
    assert (await members.client.get(f"/v1/members/{created['id']}", headers=auth())).json()[
        "org_unit_id"
    ] == tree["village"]["id"]
    wrong_side = await members.client.post(f"/v1/transfers/{letter['id']}/accept", headers=sender)
    assert wrong_side.status_code == 403
    incoming = (
        await members.client.get("/v1/transfers?direction=incoming", headers=receiver)
    ).json()
    assert [t["id"] for t in incoming["items"]] == [letter["id"]]
    accepted = await members.client.post(f"/v1/transfers/{letter['id']}/accept", headers=receiver)
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    twice = await members.client.post(f"/v1/transfers/{letter['id']}/accept", headers=receiver)
    assert twice.status_code == 409
    moved = (await members.client.get(f"/v1/members/{created['id']}", headers=auth())).json()
    assert moved["org_unit_id"] == tree["other_village"]["id"]
    # The next letter goes back; the (new) sending side revokes it before acceptance.
    back = await members.client.post(
        f"/v1/members/{created['id']}/transfers",
        json={"to_org_unit_id": tree["village"]["id"], "reason": "返乡"},
        headers=receiver,
    )
    assert back.status_code == 201
    revoked = await members.client.post(
        f"/v1/transfers/{back.json()['id']}/revoke", headers=receiver
    )
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"
    late = await members.client.post(f"/v1/transfers/{back.json()['id']}/accept", headers=sender)
    assert late.status_code == 409
    overdue = (await members.client.get("/v1/transfers?overdue=true", headers=auth())).json()
    assert overdue["items"] == []


async def test_lifecycle_moves_are_enforced(
    members: RunningService, tree: Tree, new_member: Any
) -> None:
    body = new_member(tree["village"]["id"], 7, stage="activist", joined_at=None)
    created = await register(members, body)
    path = f"/v1/members/{created['id']}"
    too_early = await members.client.post(f"{path}/stage", json={"to": "candidate"}, headers=auth())
    assert too_early.status_code == 409
    skip = await members.client.post(f"{path}/stage", json={"to": "full"}, headers=auth())
    assert skip.status_code == 409
    older = new_member(
        tree["village"]["id"], 8, stage="activist", stage_since="2020-01-01", joined_at=None
    )
    veteran = await register(members, older)
    moved = await members.client.post(
        f"/v1/members/{veteran['id']}/stage", json={"to": "candidate"}, headers=auth()
    )
    assert moved.status_code == 200 and moved.json()["stage"] == "candidate"
    exited = await members.client.post(f"{path}/exit", json={"reason": "voluntary"}, headers=auth())
    assert exited.status_code == 200 and exited.json()["status"] == "exited"
    again = await members.client.post(f"{path}/exit", json={"reason": "deceased"}, headers=auth())
    assert again.status_code == 409
    bad_reason = await members.client.post(
        f"/v1/members/{veteran['id']}/exit", json={"reason": "bored"}, headers=auth()
    )
    assert bad_reason.status_code == 422


async def test_floating_checkin_posts_commitments_and_structure(
    members: RunningService, tree: Tree, new_member: Any
) -> None:
    floater = await register(members, new_member(tree["village"]["id"], 9))
    worker = await register(
        members, new_member(tree["village"]["id"], 10, in_service=True, duties=["supervisor"])
    )
    await register(members, new_member(tree["village"]["id"], 11, education="bachelor"))
    out = await members.client.post(
        f"/v1/members/{floater['id']}/flow-out",
        json={
            "destination": "广东省深圳市宝安区某电子厂",
            "destination_area": "440300000000",
            "reason": "务工",
            "expected_return": "2030-01-01",
        },
        headers=auth(),
    )
    assert out.status_code == 200 and out.json()["floating"] is True
    assert (
        await members.client.post(
            f"/v1/members/{floater['id']}/flow-out",
            json={"destination": "x", "reason": "y"},
            headers=auth(),
        )
    ).status_code == 409
    by_dest = (
        await members.client.get("/v1/members/floating/by-destination", headers=auth())
    ).json()
    assert by_dest == [{"destination_area": "440300000000", "members": 1}]
    listed = (
        await members.client.get(
            "/v1/members/floating?destination_area=440300000000", headers=auth()
        )
    ).json()["items"]
    assert [m["member_id"] for m in listed] == [floater["id"]]
    async with members.runtime.db.read_only() as session:
        dump = (
            await session.execute(text("SELECT string_agg(f::text, '') FROM floating_spells f"))
        ).scalar_one()
    assert "深圳" not in dump
    lost = await members.client.post(
        f"/v1/members/{floater['id']}/lost-contact", json={"lost": True}, headers=auth()
    )
    assert lost.json()["lost_contact"] is True

    own = auth("member", org="230321100201", sub=worker["id"])
    checkin = await members.client.post(
        f"/v1/members/{worker['id']}/community-checkin",
        json={"community_org_unit_id": tree["community"]["id"]},
        headers=own,
    )
    assert (
        checkin.status_code == 200
        and checkin.json()["community_org_unit_id"] == tree["community"]["id"]
    )
    not_in_service = await members.client.post(
        f"/v1/members/{floater['id']}/community-checkin",
        json={"community_org_unit_id": tree["community"]["id"]},
        headers=auth(),
    )
    assert not_in_service.status_code == 409
    post = await members.client.post(
        f"/v1/members/{worker['id']}/posts", json={"title": "政策宣传员"}, headers=own
    )
    assert post.status_code == 201 and post.json()["org_unit_id"] == tree["community"]["id"]
    commitment = await members.client.post(
        f"/v1/members/{worker['id']}/commitments",
        json={"text": "每月走访困难户两户", "due": "2030-12-31"},
        headers=own,
    )
    assert commitment.status_code == 201
    listed = await members.client.get(f"/v1/members/{worker['id']}/commitments", headers=own)
    assert len(listed.json()["items"]) == 1

    stats = await members.client.get(
        f"/v1/stats/structure?org_unit={tree['county']['id']}&as_of=2026-11-22", headers=auth()
    )
    assert stats.status_code == 200, stats.text
    result = stats.json()
    assert result["total"] == 3
    assert result["by_stage"]["full"] == 3
    assert result["by_education"] == {
        **dict.fromkeys(result["by_education"], 0),
        "junior_high": 2,
        "bachelor": 1,
    }
    assert result["floating"] == 1 and result["lost_contact"] == 1
    assert result["floating_ratio"] == round(1 / 3, 4)
    # Born 1969-10-10, 1970-11-11 and 1971-12-12: aged 57, 56 and 54 on the date asked.
    assert result["age_bands"]["56_60"] == 2 and result["age_bands"]["46_55"] == 1
    assert result["aged_over_45_ratio"] == 1.0 and result["age_bands"]["36_45"] == 0
    back = await members.client.post(f"/v1/members/{floater['id']}/flow-return", headers=auth())
    assert back.json()["floating"] is False and back.json()["lost_contact"] is False
    village_stats = (
        await members.client.get(
            f"/v1/stats/structure?org_unit={tree['community']['id']}", headers=auth()
        )
    ).json()
    assert village_stats["total"] == 0


async def test_events_carry_states_and_contacts_go_to_notify_only(
    members: RunningService, tree: Tree, new_member: Any, published: Any
) -> None:
    body = new_member(tree["village"]["id"], 12, duties=["handler"])
    created = await register(members, body)
    await members.client.patch(
        f"/v1/members/{created['id']}", json={"public_name_consent": True}, headers=auth()
    )

    async def relayed() -> bool:
        return await members.runtime.relay_backlog() == 0 and len(published.on("gr.notify.")) >= 2

    await eventually(relayed)
    registered = [
        json.loads(d) for s, d in published.on("gr.members.v1.member_registered.23.03.21.100.201")
    ]
    assert registered[0]["data"]["duties"] == ["handler"]
    assert registered[0]["data"]["version"] == 1
    contacts = [
        json.loads(d)["data"] for _, d in published.on("gr.notify.v1.contact_upserted.23.03.21")
    ]
    assert contacts[0]["phone"] == body["phone"]
    assert contacts[0]["recipient_id"] == f"member:{created['id']}"
    assert contacts[-1]["public_name_consent"] is True
    erased = await members.client.delete(f"/v1/members/{created['id']}", headers=auth())
    assert erased.status_code == 204

    async def erased_sent() -> bool:
        return bool(published.on("gr.notify.v1.contact_erased."))

    await eventually(erased_sent)
    gone = (await members.client.get(f"/v1/members/{created['id']}", headers=auth())).json()
    assert gone["status"] == "erased" and gone["id_number"] is None and gone["phone"] is None


async def test_overdue_letters_are_listed_refused_and_closed(
    members: RunningService, tree: Tree, new_member: Any
) -> None:
    created = await register(members, new_member(tree["village"]["id"], 13))
    letter = (
        await members.client.post(
            f"/v1/members/{created['id']}/transfers",
            json={"to_org_unit_id": tree["other_village"]["id"], "reason": "外出"},
            headers=auth(),
        )
    ).json()
    assert letter["valid_until"] == str(date.fromisoformat(letter["issued_on"]) + timedelta(90))
    async with members.runtime.db.transaction() as session:
        await session.execute(
            update(transfers)
            .where(transfers.c.id == letter["id"])
            .values(valid_until=date.today() - timedelta(days=1))
        )
    overdue = (await members.client.get("/v1/transfers?overdue=true", headers=auth())).json()
    assert [(t["id"], t["overdue"]) for t in overdue["items"]] == [(letter["id"], True)]
    receiver = auth("org_admin", org=tree["other"]["area_code"])
    late = await members.client.post(f"/v1/transfers/{letter['id']}/accept", headers=receiver)
    assert late.status_code == 409 and "expired" in late.json()["detail"]
    assert (
        await members.client.post(f"/v1/transfers/{letter['id']}/expire", headers=receiver)
    ).status_code == 403
    closed = await members.client.post(f"/v1/transfers/{letter['id']}/expire", headers=auth())
    assert closed.status_code == 200 and closed.json()["status"] == "expired"
    assert (await members.client.get("/v1/transfers?overdue=true", headers=auth())).json()[
        "items"
    ] == []


async def test_the_community_registers_check_ins_of_members_working_elsewhere(
    members: RunningService, tree: Tree, new_member: Any
) -> None:
    worker = await register(members, new_member(tree["other_village"]["id"], 14, in_service=True))
    community_cadre = auth("cadre", org=tree["community"]["area_code"])
    checked = await members.client.post(
        f"/v1/members/{worker['id']}/community-checkin",
        json={"community_org_unit_id": tree["community"]["id"]},
        headers=community_cadre,
    )
    assert checked.status_code == 200, checked.text
    elsewhere = await members.client.post(
        f"/v1/members/{worker['id']}/community-checkin",
        json={"community_org_unit_id": tree["village"]["id"]},
        headers=auth("cadre", org=tree["village"]["area_code"]),
    )
    assert elsewhere.status_code == 422  # a rural village branch is not a community
    stranger = await members.client.post(
        f"/v1/members/{worker['id']}/posts",
        json={"title": "x"},
        headers=community_cadre,
    )
    assert stranger.status_code == 403


async def test_letters_past_their_validity_are_closed_by_the_sweeper(
    members: RunningService, tree: Tree, new_member: Any, published: Any
) -> None:
    from grassroots.members.service.sweeper import expire_overdue_letters

    letters = []
    for serial in (21, 22):
        created = await register(members, new_member(tree["village"]["id"], serial))
        response = await members.client.post(
            f"/v1/members/{created['id']}/transfers",
            json={"to_org_unit_id": tree["other_village"]["id"], "reason": "外出务工"},
            headers=auth(),
        )
        assert response.status_code == 201, response.text
        letters.append(response.json())
    overdue, current = letters
    async with members.runtime.db.transaction() as session:
        await session.execute(
            update(transfers)
            .where(transfers.c.id == overdue["id"])
            .values(valid_until=date.today() - timedelta(days=1))
        )
    deps = members.app.state.deps
    assert await expire_overdue_letters(members.runtime, deps) == 1
    assert await expire_overdue_letters(members.runtime, deps) == 0  # closed once
    closed = (await members.client.get(f"/v1/transfers/{overdue['id']}", headers=auth())).json()
    assert closed["status"] == "expired"
    still = (await members.client.get(f"/v1/transfers/{current['id']}", headers=auth())).json()
    assert still["status"] == "issued"

    def expired_events() -> list[dict[str, Any]]:
        found = []
        for _subject, payload in published.on("gr.members.v1.transfer_status_changed."):
            data = json.loads(payload)["data"]
            if data["status"] == "expired":
                found.append(data)
        return found

    async def announced() -> bool:
        return bool(expired_events())

    await eventually(announced)
    assert [e["transfer_id"] for e in expired_events()] == [overdue["id"]]
