"""Import of 10,000 rows with 3 bad ones, and masked exports (CSV and XLSX), over PostgreSQL."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from grassroots.kit.testing.services import RunningService, auth
from grassroots.members.adapters.orm import members as members_table
from grassroots.members.domain.identity import make_id_number

pytestmark = pytest.mark.component

Tree = dict[str, dict[str, Any]]
COLUMNS = ["name", "gender", "id_number", "phone", "org_unit_id", "stage", "joined_at", "skills"]


def rows(unit_ids: list[str], count: int) -> list[list[str]]:
    """`count` valid rows spread over the units; ID numbers and phones are unique."""
    out = []
    for i in range(count):
        born = date(1950 + i % 50, 1 + i % 12, 1 + i % 28)
        female = i % 3 == 0
        out.append(
            [
                f"党员{i}",
                "female" if female else "male",
                make_id_number(born, i, female=female, region=f"2303{21 + i % 2:02d}"),
                f"136{i:08d}",
                unit_ids[i % len(unit_ids)],
                "full",
                "2001-07-01",
                "修农机、电工" if i % 2 else "法律援助;护理",
            ]
        )
    return out


def as_csv(header: list[str], data: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(data)
    return buffer.getvalue().encode("utf-8-sig")


async def test_a_10000_row_import_names_exactly_the_3_bad_rows(
    members: RunningService, tree: Tree
) -> None:
    data = rows([tree["village"]["id"], tree["community"]["id"]], 10_000)
    # Row numbers are 1-based data rows: list index + 1.
    data[41][2] = data[41][2][:17] + ("1" if data[41][2][17] != "1" else "2")  # check digit
    data[4999][1] = "female" if data[4999][1] == "male" else "male"  # gender mismatch
    data[9876][2] = data[9876][2][:10] + "1332" + data[9876][2][14:]  # 13th month
    response = await members.client.post(
        "/v1/members/import",
        files={"file": ("members.csv", as_csv(COLUMNS, data), "text/csv")},
        headers=auth("org_admin", org="230321000000"),
    )
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["accepted"] == 9_997
    assert [r["row"] for r in result["rejected"]] == [42, 5000, 9877]
    assert [r["errors"][0]["field"] for r in result["rejected"]] == [
        "id_number",
        "gender",
        "id_number",
    ]
    async with members.runtime.db.read_only() as session:
        assert await session.scalar(select(func.count()).select_from(members_table)) == 9_997
    listed = (await members.client.get("/v1/members?limit=1&skill=农机维修", headers=auth())).json()
    assert listed["items"][0]["skills"] == ["农机维修", "电工"]

    again = await members.client.post(
        "/v1/members/import",
        files={"file": ("members.csv", as_csv(COLUMNS, data[:5]), "text/csv")},
        headers=auth("org_admin", org="230321000000"),
    )
    assert again.json()["accepted"] == 0
    assert {e["message"] for r in again.json()["rejected"] for e in r["errors"]} == {
        "already registered"
    }

    export = await members.client.get(
        f"/v1/members/export?org_unit={tree['county']['id']}&format=csv&lang=en", headers=auth()
    )
    assert export.status_code == 200
    exported = list(csv.DictReader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert len(exported) == 9_997
    plain = {r[2] for r in data} | {r[3] for r in data}
    body = export.content.decode("utf-8-sig")
    assert not any(value in body for value in list(plain)[:2000])
    first = exported[0]
    assert first["id_number"][6:14] == "********" and first["phone"][3:7] == "****"


async def test_xlsx_import_and_masked_xlsx_export(members: RunningService, tree: Tree) -> None:
    data = rows([tree["village"]["id"]], 5)
    data[2][5] = "leader"  # not a stage
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(COLUMNS)
    for row in data:
        sheet.append(row)
    upload = io.BytesIO()
    workbook.save(upload)
    response = await members.client.post(
        "/v1/members/import",
        files={"file": ("members.xlsx", upload.getvalue(), "application/octet-stream")},
        headers=auth("org_admin"),
    )
    assert response.status_code == 200, response.text
    assert response.json()["accepted"] == 4
    rejected = response.json()["rejected"]
    assert [(r["row"], [e["field"] for e in r["errors"]]) for r in rejected] == [(3, ["stage"])]
    assert rejected[0]["errors"][0]["column"] == "stage"
    export = await members.client.get(
        f"/v1/members/export?org_unit={tree['village']['id']}&format=xlsx&lang=en", headers=auth()
    )
    assert export.status_code == 200
    sheet_rows = list(load_workbook(io.BytesIO(export.content)).active.iter_rows(values_only=True))  # type: ignore[union-attr]
    header, values = sheet_rows[0], sheet_rows[1:]
    assert len(values) == 4
    text = repr(values)
    assert all(r[2] not in text and r[3] not in text for r in data)
    id_column = header.index("id_number")
    assert all("********" in str(v[id_column]) for v in values)


async def test_a_bad_file_is_refused_naming_the_file(members: RunningService, tree: Tree) -> None:
    bad_header = as_csv(["name", "favourite_colour"], [["x", "y"]])
    response = await members.client.post(
        "/v1/members/import",
        files={"file": ("m.csv", bad_header, "text/csv")},
        headers=auth("org_admin"),
    )
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "file"
    cadre = await members.client.post(
        "/v1/members/import",
        files={"file": ("m.csv", as_csv(COLUMNS, []), "text/csv")},
        headers=auth("cadre"),
    )
    assert cadre.status_code == 403
