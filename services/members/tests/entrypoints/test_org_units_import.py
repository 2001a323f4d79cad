"""A county's branch list imported in one go: parents first whatever the row order."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from grassroots.kit.testing.services import RunningService, auth

from ..conftest import make_unit

pytestmark = pytest.mark.component

ADMIN = auth("org_admin", org="230321000000")


def branch_list(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["鸡东县党组织名单"])
    writer.writerow(["名称", "区划代码", "层级", "类型", "领域", "上级"])
    writer.writerows(rows)
    return buffer.getvalue().encode("gbk")


async def test_a_branch_list_builds_the_tree_parents_first(members: RunningService) -> None:
    county = await make_unit(members, "鸡东县委", "230321000000", "county", domain="organ")
    rows = [
        # Children before their parents, parents named by name or by area code.
        ["东升村党支部", "230321100201", "村", "党支部", "农村", "鸡东镇党委"],
        ["城东社区党支部", "230321100001", "社区", "党支部", "社区", "230321100000"],
        ["鸡东镇党委", "230321100000", "乡镇", "党委", "农村", "230321000000"],
        ["孤儿支部", "230321100202", "村", "党支部", "农村", "没有的镇"],
        ["错层支部", "230321100203", "大队", "党支部", "农村", "鸡东镇党委"],
    ]
    content = branch_list(rows)
    response = await members.client.post(
        "/v1/org-units/import?dry_run=true", files={"file": ("单位.csv", content)}, headers=ADMIN
    )
    assert response.status_code == 200, response.text
    dry = response.json()
    assert dry["created"] == 3
    listed = await members.client.get("/v1/org-units?limit=100", headers=ADMIN)
    assert [u["id"] for u in listed.json()["items"]] == [county["id"]]

    response = await members.client.post(
        "/v1/org-units/import", files={"file": ("单位.csv", content)}, headers=ADMIN
    )
    result = response.json()
    assert result["created"] == 3 and result["rows_read"] == 5
    rejected = {r["row"]: r["errors"][0] for r in result["rejected"]}
    assert set(rejected) == {4, 5}
    assert rejected[4]["column"] == "上级" and "没有的镇" in rejected[4]["message"]
    assert rejected[4]["message_zh"].startswith("找不到上级")
    assert rejected[5]["column"] == "层级"
    units: dict[str, Any] = {u["area_code"]: u for u in result["units"]}
    town = units["230321100000"]
    assert town["parent_id"] == county["id"]
    assert units["230321100201"]["parent_id"] == town["id"]
    assert units["230321100001"]["parent_id"] == town["id"]
    community = await members.client.get(
        f"/v1/org-units/{units['230321100001']['id']}", headers=ADMIN
    )
    assert community.json()["domain"] == "community" and community.json()["kind"] == "branch"
    again = await members.client.post(
        "/v1/org-units/import", files={"file": ("单位.csv", content)}, headers=ADMIN
    )
    assert again.json()["created"] == 0
