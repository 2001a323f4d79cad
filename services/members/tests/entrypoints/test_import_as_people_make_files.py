"""Imports of files made the way people make them, the round trip, the template and jobs."""

from __future__ import annotations

import asyncio
import csv
import io
import zipfile
from datetime import date, datetime
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from grassroots.kit.testing.services import RunningService, auth
from grassroots.members.adapters.orm import members as members_table
from grassroots.members.domain.identity import make_id_number

pytestmark = pytest.mark.component

Tree = dict[str, dict[str, Any]]
ADMIN = auth("org_admin", org="230321000000")
HEADER = [
    "姓名",
    "性别",
    "出生日期",
    "学历",
    "身份证号",
    "手机号",
    "所在党组织",
    "人员类别",
    "入党时间",
    "特长",
]


def person(serial: int, born: date, *, female: bool = False) -> str:
    return make_id_number(born, serial, female=female)


async def count_members(members: RunningService) -> int:
    async with members.runtime.db.read_only() as session:
        return int(await session.scalar(select(func.count()).select_from(members_table)) or 0)


def gbk_csv(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows([HEADER, *rows])
    return buffer.getvalue().encode("gbk")


async def upload(
    members: RunningService, name: str, content: bytes, query: str = ""
) -> dict[str, Any]:
    response = await members.client.post(
        f"/v1/members/import{query}", files={"file": (name, content)}, headers=ADMIN
    )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def test_a_gbk_csv_with_chinese_headers_labels_mixed_dates_and_a_repeated_id(
    members: RunningService, tree: Tree
) -> None:
    wang = person(1, date(1980, 2, 2), female=True)
    rows = [
        # The branch by its name, the date as 1980年2月2日.
        [
            "王芳",
            "女",
            "1980年2月2日",
            "本科",
            wang,
            "13800000001",
            "东升村支部",
            "正式党员",
            "2005年7月1日",
            "电工、农机维修",
        ],
        # The community by its 12-digit area code, the date as 1980/2/2.
        [
            "李强",
            "男",
            "1975/3/4",
            "高中",
            person(2, date(1975, 3, 4)),
            "13800000002",
            "230321100001",
            "预备党员",
            "2026/3/1",
            "法律援助；护理",
        ],
        [
            "赵敏",
            "女",
            "1990.10.01",
            "大专",
            person(3, date(1990, 10, 1), female=True),
            "",
            "东升村支部",
            "积极分子",
            "",
            "",
        ],
        # The same ID number as the first row.
        [
            "王芳芳",
            "女",
            "1980-02-02",
            "硕士",
            wang,
            "",
            "东升村支部",
            "正式党员",
            "2005-07-01",
            "",
        ],
        [
            "钱进",
            "男",
            "1970-01-01",
            "初中",
            person(5, date(1970, 1, 1)),
            "",
            "不存在的支部",
            "正式党员",
            "2000-07-01",
            "",
        ],
    ]
    content = gbk_csv(rows)

    dry = await upload(members, "党员名单.csv", content, "?dry_run=true")
    assert await count_members(members) == 0
    assert dry["dry_run"] is True and dry["accepted"] == 3

    result = await upload(members, "党员名单.csv", content)
    assert result["rejected"] == dry["rejected"] and result["created"] == dry["created"]
    assert await count_members(members) == 3
    assert result["rows_read"] == 5 and result["created"] == 3
    rejected = {r["row"]: r["errors"][0] for r in result["rejected"]}
    assert set(rejected) == {4, 5}
    assert rejected[4]["column"] == "身份证号" and rejected[4]["field"] == "id_number"
    assert "repeats row 1" in rejected[4]["message"]
    assert rejected[4]["message_zh"] == "与文件中前面的行身份证号重复"
    assert rejected[5]["column"] == "所在党组织" and "不存在的支部" in rejected[5]["message"]
    assert rejected[5]["message_zh"] == "找不到该名称的党组织"

    understood = {p["row"]: p["values"] for p in result["preview"]}
    assert understood[1]["gender"] == "female" and understood[1]["birth_date"] == "1980-02-02"
    assert understood[1]["education"] == "bachelor" and understood[1]["stage"] == "full"
    assert understood[1]["org_unit_id"] == tree["village"]["id"]
    assert understood[1]["skills"] == ["电工", "农机维修"]
    assert understood[2]["org_unit_id"] == tree["community"]["id"]
    assert understood[2]["birth_date"] == "1975-03-04" and understood[2]["stage"] == "probationary"
    assert understood[2]["skills"] == ["法律咨询", "养老护理"]
    assert understood[3]["education"] == "associate" and understood[3]["stage"] == "activist"


async def test_an_xlsx_with_a_title_row_merged_headers_and_excel_date_cells(
    members: RunningService, tree: Tree
) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "花名册"
    sheet.append(["鸡东县东升村党员花名册"])
    sheet.merge_cells("A1:H1")
    sheet.append(
        [
            "序号",
            "姓名",
            "性别",
            "身份证号码",
            "联系方式",
            None,
            "党组织名称",
            "党员类型",
            "入党日期",
        ]
    )
    sheet.append([None, None, None, None, "手机", "联系电话", None, None, None])
    for column in "ABCDGHI":
        sheet.merge_cells(f"{column}2:{column}3")
    sheet.merge_cells("E2:F2")
    sheet.append(
        [
            1,
            "孙丽",
            "女",
            person(11, date(1982, 5, 6), female=True),
            None,
            "13900000011",
            "东升村支部",
            "正式党员",
            datetime(2008, 7, 1),
        ]
    )
    sheet.append(
        [
            2,
            "周伟",
            "男",
            person(12, date(1985, 6, 7)),
            13900000012,
            None,
            "东升村支部",
            "正式党员",
            datetime(2010, 7, 1),
        ]
    )
    for row in (4, 5):
        sheet[f"I{row}"].number_format = "yyyy年m月d日"
    out = io.BytesIO()
    book.save(out)
    result = await upload(members, "花名册.xlsx", out.getvalue(), "?sheet=花名册")
    assert result["rejected"] == [] and result["created"] == 2, result
    assert result["columns"]["手机"] == "phone" and result["columns"]["联系电话"] == "phone"
    listed = (await members.client.get("/v1/members", headers=ADMIN)).json()["items"]
    by_name = {m["name"]: m for m in listed}
    assert (
        by_name["孙丽"]["joined_at"] == "2008-07-01" and by_name["孙丽"]["phone"] == "139****0011"
    )
    assert by_name["周伟"]["phone"] == "139****0012"


async def test_export_edit_two_rows_import_changes_exactly_two_members(
    members: RunningService, tree: Tree
) -> None:
    rows = [
        [
            f"党员{i}",
            "男",
            "",
            "初中",
            person(20 + i, date(1960 + i, 1, 1)),
            f"1370000002{i}",
            "东升村支部",
            "正式党员",
            "2000-07-01",
            "电工",
        ]
        for i in range(5)
    ]
    rows.append(
        [
            '=HYPERLINK("http://evil.example","点我")',
            "男",
            "",
            "初中",
            person(30, date(1961, 2, 2)),
            "",
            "东升村支部",
            "正式党员",
            "2000-07-01",
            "",
        ]
    )
    assert (await upload(members, "m.csv", gbk_csv(rows)))["created"] == 6
    village = tree["village"]["id"]
    export = await members.client.get(f"/v1/members/export?org_unit={village}", headers=ADMIN)
    assert export.status_code == 200
    text = export.content.decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(text)))
    header, data = table[0], table[1:]
    assert header[:3] == ["编号", "姓名", "性别"] and "身份证号" in header
    names = header.index("姓名")
    assert any(r[names].startswith("'=HYPERLINK") for r in data)
    assert {r[header.index("学历")] for r in data} == {"初中"}
    data[1][header.index("工作单位")] = "县供电公司"
    data[3][header.index("特长")] = "电工、种植"
    edited = io.StringIO()
    csv.writer(edited).writerows([header, *data])
    result = await upload(members, "edited.csv", edited.getvalue().encode("utf-8-sig"))
    assert (result["created"], result["updated"], result["unchanged"]) == (0, 2, 4), result
    assert result["rejected"] == []
    async with members.runtime.db.read_only() as session:
        versions = dict(
            (await session.execute(select(members_table.c.id, members_table.c.version))).all()
        )
    assert sorted(versions.values()) == [1, 1, 1, 1, 2, 2]
    assert versions[data[1][0]] == 2 and versions[data[3][0]] == 2
    changed = (await members.client.get(f"/v1/members/{data[3][0]}", headers=ADMIN)).json()
    assert changed["skills"] == ["电工", "种植技术"]
    assert (await members.client.get(f"/v1/members/{data[1][0]}", headers=ADMIN)).json()[
        "work_unit"
    ] == "县供电公司"
    # The injected name came back as the same text, not as a formula.
    assert '=HYPERLINK("http://evil.example","点我")' in {
        m["name"] for m in (await members.client.get("/v1/members", headers=ADMIN)).json()["items"]
    }

    english = await members.client.get(
        f"/v1/members/export?org_unit={village}&format=xlsx&lang=en", headers=ADMIN
    )
    with zipfile.ZipFile(io.BytesIO(english.content)) as archive:
        assert "<f>" not in archive.read("xl/worksheets/sheet1.xml").decode()
    sheet = load_workbook(io.BytesIO(english.content)).active
    assert sheet is not None and sheet["A1"].value == "id" and sheet["B1"].value == "name"


async def test_a_template_with_chinese_headers_and_an_import_job_with_progress(
    members: RunningService, tree: Tree
) -> None:
    for fmt in ("csv", "xlsx"):
        template = await members.client.get(
            f"/v1/members/import/template?format={fmt}", headers=ADMIN
        )
        assert template.status_code == 200
        if fmt == "csv":
            lines = list(csv.reader(io.StringIO(template.content.decode("utf-8-sig"))))
        else:
            sheet = load_workbook(io.BytesIO(template.content)).active
            assert sheet is not None
            lines = [[str(c or "") for c in r] for r in sheet.iter_rows(values_only=True)]
        assert lines[0][:3] == ["姓名", "性别", "出生日期"] and len(lines) == 2
        assert lines[1][lines[0].index("人员类别")] == "正式党员"

    rows = [
        [
            f"党员{i}",
            "",
            "",
            "",
            person(100 + i, date(1960 + i % 40, 1 + i % 12, 1)),
            "",
            "东升村支部",
            "正式党员",
            "2001-07-01",
            "",
        ]
        for i in range(30)
    ]
    rows[7][4] = rows[7][4][:17] + ("0" if rows[7][4][17] != "0" else "1")
    response = await members.client.post(
        "/v1/members/import/jobs", files={"file": ("m.csv", gbk_csv(rows))}, headers=ADMIN
    )
    assert response.status_code == 202, response.text
    job = response.json()
    assert job["status"] == "running"
    for _ in range(200):
        job = (
            await members.client.get(f"/v1/members/import/jobs/{job['id']}", headers=ADMIN)
        ).json()
        if job["status"] != "running":
            break
        await asyncio.sleep(0.05)
    assert (job["status"], job["rows_read"], job["accepted"], job["rejected"]) == (
        "done",
        30,
        29,
        1,
    )
    assert job["result"]["rejected"][0]["row"] == 8
    assert await count_members(members) == 29
    other = auth("org_admin", org="230322000000")
    assert (
        await members.client.get(f"/v1/members/import/jobs/{job['id']}", headers=other)
    ).status_code == 404
