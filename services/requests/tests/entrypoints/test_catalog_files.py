"""A county's catalogue from a sheet as people keep it, and back out in Chinese."""

from __future__ import annotations

import csv
import io
import zipfile

import pytest
from openpyxl import Workbook, load_workbook

from grassroots.kit.testing.services import RunningService, auth

from ..conftest import ADMIN, COUNTY

pytestmark = pytest.mark.component

HEADER = ["事项编码", "事项名称", "类别", "办理时限", "所需材料", "上门服务"]


def sheet_bytes(rows: list[list[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["鸡东县为民服务全程代理事项目录"])
    sheet.merge_cells("A1:F1")
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def test_a_catalogue_sheet_fills_the_county_and_exports_in_chinese(
    service: RunningService,
) -> None:
    rows: list[list[object]] = [
        ["LOW-INCOME", "低保申请代办", "社会救助", "5个工作日", "身份证、户口簿；收入证明", "是"],
        ["WATER", "自来水抢修", "公共设施", "4小时", "", "否"],
        ["PERMIT", "宅基地审批代办", "土地", "P5D", "申请表", ""],
        ["BAD LIMIT", "时限有误", "其他", "尽快", "", ""],
        ["WATER", "重复编码", "其他", "1天", "", ""],
        ["=CMD", '=HYPERLINK("http://evil.example")', "其他", "2天", "", ""],
    ]
    content = sheet_bytes(rows)
    upload = {"file": ("目录.xlsx", content)}
    dry = await service.client.post("/v1/catalog/import?dry_run=true", files=upload, headers=ADMIN)
    assert dry.status_code == 200, dry.text
    assert dry.json()["created"] == 3
    listed = await service.client.get(f"/v1/catalog?county={COUNTY}&limit=500")
    before = {i["code"] for i in listed.json()["items"]}
    assert not {"LOW-INCOME", "WATER", "PERMIT"} & before

    response = await service.client.post("/v1/catalog/import", files=upload, headers=ADMIN)
    result = response.json()
    assert (result["county_area"], result["created"], result["rows_read"]) == (COUNTY, 3, 6)
    rejected = {r["row"]: r["errors"][0] for r in result["rejected"]}
    assert set(rejected) == {4, 5, 6}
    assert rejected[4]["column"] == "办理时限" and rejected[4]["message_zh"].startswith("办理时限")
    assert rejected[5]["column"] == "事项编码" and "repeats row 2" in rejected[5]["message"]
    assert rejected[6]["column"] == "事项编码"

    def item(code: str) -> dict[str, object]:
        return next(i for i in listed_after if i["code"] == code)

    listed_after = (await service.client.get(f"/v1/catalog?county={COUNTY}&limit=500")).json()[
        "items"
    ]
    low_income = item("LOW-INCOME")
    assert (low_income["time_limit"], low_income["calendar"]) == ("P5D", "workdays")
    assert low_income["materials"] == ["身份证", "户口簿", "收入证明"]
    assert low_income["door_to_door"] is True
    assert (item("WATER")["time_limit"], item("WATER")["calendar"]) == ("PT4H", "natural")
    assert item("PERMIT")["time_limit"] == "P5D"

    exported = await service.client.get(f"/v1/catalog/export?county={COUNTY}")
    table = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert table[0][:4] == ["事项编码", "事项名称", "类别", "办理时限"]
    by_code = {r[0]: r for r in table[1:]}
    assert by_code["LOW-INCOME"][3] == "5个工作日" and by_code["WATER"][3] == "4小时"

    # The export goes back in unchanged; one edited row is the only change.
    edited = io.StringIO()
    by_code["WATER"][3] = "2小时"
    csv.writer(edited).writerows([table[0], *by_code.values()])
    again = await service.client.post(
        "/v1/catalog/import",
        files={"file": ("目录.csv", edited.getvalue().encode("gbk"))},
        headers=ADMIN,
    )
    assert (again.json()["updated"], again.json()["created"]) == (1, 0), again.text

    english = await service.client.get(f"/v1/catalog/export?county={COUNTY}&format=xlsx&lang=en")
    with zipfile.ZipFile(io.BytesIO(english.content)) as archive:
        assert "<f>" not in archive.read("xl/worksheets/sheet1.xml").decode()
    header = next(load_workbook(io.BytesIO(english.content)).active.iter_rows(values_only=True))  # type: ignore[union-attr]
    assert header[:2] == ("code", "name")

    above = await service.client.post(
        "/v1/catalog/import", files=upload, headers=auth("org_admin", org="230300000000")
    )
    assert above.status_code == 422 and above.json()["errors"][0]["field"] == "county_area"
    viewer = await service.client.post("/v1/catalog/import", files=upload, headers=auth("viewer"))
    assert viewer.status_code == 403
