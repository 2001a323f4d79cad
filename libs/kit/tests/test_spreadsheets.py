"""The spreadsheet module: formula-safe writing, and reading files as people save them."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime

import pytest
from openpyxl import Workbook, load_workbook

from grassroots.kit.problems import ProblemError
from grassroots.kit.spreadsheets import (
    CsvWriter,
    cell_text,
    csv_bytes,
    detect_encoding,
    neutralise,
    parse_date,
    read_table,
    xlsx_bytes,
)

HOSTILE = ['=HYPERLINK("http://evil.example","点我")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"]
KNOWN = {"姓名", "手机号", "联系电话", "出生日期", "所在党组织", "身份证号"}


def known(header: str) -> bool:
    return header in KNOWN


def test_csv_cells_that_would_run_as_formulas_are_neutralised() -> None:
    content = csv_bytes(["姓名"], [[v] for v in HOSTILE] + [[-5], ["王-芳"]])
    assert content.startswith("\ufeff".encode())
    lines = content.decode("utf-8-sig").splitlines()
    cells = [line.strip('"') for line in lines[1:]]
    assert all(c.startswith("'") for c in cells[:4]), cells
    assert cells[-2:] == ["-5", "王-芳"]  # numbers and inner dashes are left alone
    assert neutralise(3.5) == 3.5


def test_xlsx_never_holds_a_formula_cell() -> None:
    content = xlsx_bytes("名单", ["姓名"], [[v] for v in HOSTILE])
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet and "<f " not in sheet
    values = [r[0] for r in load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True)]  # type: ignore[union-attr]
    # The text itself is kept, as text (XML reads a lone CR back as a line feed).
    assert values[1:6] == HOSTILE[:5]


def test_the_encoding_is_found_from_the_bytes() -> None:
    text = "姓名,所在党组织\n王芳,东升村党支部\n"
    assert detect_encoding(text.encode("utf-8")) == "utf-8"
    assert detect_encoding(text.encode("utf-8-sig")) == "utf-8-sig"
    assert detect_encoding(text.encode("gbk")) == "gb18030"
    assert detect_encoding("𠀀姓名".encode("gb18030")) == "gb18030"
    assert detect_encoding(text.encode("utf-16")) == "utf-16"
    for encoding in ("utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16"):
        table = read_table("m.csv", io.BytesIO(text.encode(encoding)), known)
        assert table.header == ["姓名", "所在党组织"]
        assert list(table.rows) == [["王芳", "东升村党支部"]]


def test_a_title_row_and_a_grouped_header_of_merged_cells_are_read() -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["鸡东县党员花名册（2026年）"])
    sheet.merge_cells("A1:D1")
    sheet.append(["姓名", "出生日期", "联系方式", None])
    sheet.append([None, None, "手机号", "联系电话"])
    sheet.merge_cells("A2:A3")
    sheet.merge_cells("B2:B3")
    sheet.merge_cells("C2:D2")
    sheet.append(["王芳", datetime(1980, 2, 2), "13800001234", None])
    sheet["B4"].number_format = "yyyy/m/d"
    out = io.BytesIO()
    book.save(out)
    table = read_table("m.xlsx", io.BytesIO(out.getvalue()), known)
    assert table.header == ["姓名", "出生日期", "手机号", "联系电话"]
    assert table.header_row == 3
    rows = list(table.rows)
    assert rows[0][:3] == ["王芳", datetime(1980, 2, 2), "13800001234"]


def test_no_header_and_old_excel_files_are_refused_naming_the_file() -> None:
    with pytest.raises(ProblemError) as raised:
        read_table("m.csv", io.BytesIO(b"a,b\n1,2\n"), known)
    assert raised.value.errors and raised.value.errors[0]["field"] == "file"
    with pytest.raises(ProblemError):
        read_table("m.xls", io.BytesIO(b"\xd0\xcf\x11\xe0" + b"\0" * 100), known)


def test_dates_as_people_write_them() -> None:
    for written in ("1980-02-02", "1980/2/2", "1980.02.02", "1980年2月2日", "19800202", 29253):
        assert parse_date(written) == date(1980, 2, 2), written
    assert parse_date(datetime(1980, 2, 2, 0, 0)) == date(1980, 2, 2)
    assert parse_date("1998.07") == date(1998, 7, 1)
    with pytest.raises(ValueError, match="not a date"):
        parse_date("二月")
    assert cell_text(13800001234.0) == "13800001234"
    assert cell_text("'=1+1") == "=1+1"


def test_a_csv_streams_in_chunks_with_one_bom() -> None:
    writer = CsvWriter()
    first, second = writer.encode([["a"]]), writer.encode([["b"]])
    assert first.startswith("\ufeff".encode()) and not second.startswith("\ufeff".encode())
