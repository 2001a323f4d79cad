"""Spreadsheets: CSV and XLSX written safe from formula injection, read as people save them."""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import IO, Any
from xml.etree.ElementTree import Element, ParseError

from defusedxml import ElementTree

from grassroots.kit.problems import Invalid

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"

# A cell starting with one of these is run as a formula (or DDE command) by Excel, WPS and
# LibreOffice; OWASP's advice is to prefix such text with an apostrophe.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# Rows looked at for the header: files often open with a title row or two.
HEADER_SEARCH_ROWS = 10
# Excel counts days from 1899-12-30 (its 1900 leap-year bug folded in).
EXCEL_EPOCH = date(1899, 12, 30)


def neutralise(value: Any) -> Any:
    """The value as a cell no spreadsheet program evaluates (text gets a leading apostrophe)."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def restore(text: str) -> str:
    """Undo `neutralise` on text read back from one of our CSV files."""
    if len(text) > 1 and text[0] == "'" and text[1] in "=+-@\t\r":
        return text[1:]
    return text


class CsvWriter:
    """CSV bytes chunk by chunk: UTF-8 with a BOM (for Excel), every cell neutralised."""

    def __init__(self) -> None:
        self._buffer = io.StringIO()
        self._writer = csv.writer(self._buffer)
        self._started = False

    def encode(self, rows: Iterable[Sequence[Any]]) -> bytes:
        """The CSV text of these rows (the BOM before the first chunk)."""
        for row in rows:
            self._writer.writerow(["" if v is None else neutralise(v) for v in row])
        text = self._buffer.getvalue()
        self._buffer.seek(0)
        self._buffer.truncate()
        if not self._started:
            self._started = True
            text = "\ufeff" + text
        return text.encode("utf-8")


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """A whole CSV file."""
    writer = CsvWriter()
    return writer.encode([header]) + writer.encode(rows)


class XlsxWriter:
    """One worksheet written row by row (openpyxl write-only); text never becomes a formula."""

    def __init__(self, sheet: str, header: Sequence[str]) -> None:
        from openpyxl import Workbook

        self._book = Workbook(write_only=True)
        self.new_sheet(sheet, header)

    def new_sheet(self, sheet: str, header: Sequence[str]) -> None:
        """Start another worksheet; the rows appended from now on go there."""
        from openpyxl.styles import Font

        self._sheet = self._book.create_sheet(_sheet_title(sheet))
        for index, name in enumerate(header, start=1):
            # CJK text is about twice as wide as Latin text of the same length.
            width = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in str(name))
            letter = _column_letter(index)
            self._sheet.column_dimensions[letter].width = min(max(10, width + 4), 60)
        bold = Font(bold=True)
        cells = []
        for name in header:
            cell = self._cell(name)
            cell.font = bold
            cells.append(cell)
        self._sheet.append(cells)

    def _cell(self, value: Any) -> Any:
        from openpyxl.cell import WriteOnlyCell

        cell = WriteOnlyCell(self._sheet, value=value)
        if isinstance(value, str):
            # A string cell, never an <f> element; quotePrefix keeps it text when edited,
            # as Excel does for text typed after an apostrophe.
            cell.data_type = "s"
            if value.startswith(FORMULA_TRIGGERS):
                cell.quotePrefix = True
        return cell

    def append(self, row: Sequence[Any]) -> None:
        """Add one data row."""
        self._sheet.append([self._cell(v) if isinstance(v, str) else v for v in row])

    def finish(self) -> bytes:
        """The workbook as bytes."""
        out = io.BytesIO()
        self._book.save(out)
        return out.getvalue()


def xlsx_bytes(sheet: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """A whole one-sheet workbook."""
    writer = XlsxWriter(sheet, header)
    for row in rows:
        writer.append(row)
    return writer.finish()


def xlsx_book(sheets: Sequence[tuple[str, Sequence[str], Iterable[Sequence[Any]]]]) -> bytes:
    """A workbook of several sheets, each `(title, header, rows)`."""
    writer: XlsxWriter | None = None
    for title, header, rows in sheets:
        if writer is None:
            writer = XlsxWriter(title, header)
        else:
            writer.new_sheet(title, header)
        for row in rows:
            writer.append(row)
    if writer is None:
        raise ValueError("a workbook needs a sheet")
    return writer.finish()


def _sheet_title(name: str) -> str:
    cleaned = re.sub(r"[\\/*?:\[\]]", "_", name)[:31]
    return cleaned or "Sheet1"


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return str(get_column_letter(index))


# --- reading ---------------------------------------------------------------------------


@dataclass
class Table:
    """A sheet's header (as the file called each column) and its data rows, read lazily."""

    header: list[str]
    rows: Iterator[list[Any]]
    # 1-based sheet row of the last header row: data row n is sheet row header_row + n.
    header_row: int
    encoding: str | None = None


def normalise_header(name: Any) -> str:
    """A header cell in comparable form: NFKC, no spaces, no marks like `*` or `（必填）`."""
    text = unicodedata.normalize("NFKC", str(name or ""))
    text = re.sub(r"\((必填|选填|可选|required|optional)\)", "", text, flags=re.IGNORECASE)
    return re.sub(r"[\s*＊:：]", "", text).lower()


def read_table(
    filename: str,
    stream: IO[bytes],
    is_column: Callable[[str], bool],
    *,
    sheet: str | None = None,
) -> Table:
    """Header and data rows of a CSV (UTF-8, BOM, UTF-16, GBK/GB18030) or XLSX upload.

    An XLSX sheet is streamed from its XML part, row by row, with the workbook's shared
    strings and date styles read first: openpyxl's read-only mode builds an object per cell
    and reads about seven times slower.
    """
    head = stream.read(8)
    stream.seek(0)
    if filename.lower().endswith((".xlsx", ".xlsm")) or head[:2] == b"PK":
        return _read_xlsx(stream, is_column, sheet)
    if filename.lower().endswith(".xls") or head[:4] == b"\xd0\xcf\x11\xe0":
        raise Invalid(
            "file",
            "旧版 Excel（.xls）请另存为 .xlsx 或 CSV / save an old .xls workbook as .xlsx or CSV",
        )
    return _read_csv(stream, is_column)


def detect_encoding(sample: bytes) -> str:
    """The encoding of a CSV: a BOM decides; else UTF-8 if the sample decodes, else GB18030."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        # Incremental: a character cut at the end of the sample is not an error.
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        # GB18030 is a superset of GBK and GB2312: what Excel and WPS save in China.
        codecs.getincrementaldecoder("gb18030")().decode(sample, final=False)
        return "gb18030"
    except UnicodeDecodeError as exc:
        raise Invalid(
            "file", "无法识别文件编码（UTF-8 或 GBK）/ the file is neither UTF-8 nor GBK text"
        ) from exc


def _read_csv(stream: IO[bytes], is_column: Callable[[str], bool]) -> Table:
    sample = stream.read(65536)
    stream.seek(0)
    encoding = detect_encoding(sample)
    text = io.TextIOWrapper(stream, encoding=encoding, newline="")  # type: ignore[arg-type]
    first_line = sample.decode(encoding, errors="ignore").splitlines()[:1]
    delimiter = "\t" if first_line and first_line[0].count("\t") > first_line[0].count(",") else ","
    reader = csv.reader(_decoded(text), delimiter=delimiter)
    return _find_header(reader, is_column, encoding)


def _decoded(text: io.TextIOWrapper) -> Iterator[str]:
    try:
        yield from text
    except UnicodeDecodeError as exc:
        raise Invalid("file", f"文件中有无法解码的字节 / undecodable bytes: {exc.reason}") from exc


_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PACKAGE_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_CELL_REF = re.compile(r"^([A-Z]+)")


def _read_xlsx(stream: IO[bytes], is_column: Callable[[str], bool], sheet: str | None) -> Table:
    try:
        archive = zipfile.ZipFile(stream)
        path = _sheet_path(archive, sheet)
        strings = _shared_strings(archive)
        dates = _date_styles(archive)
    except (zipfile.BadZipFile, KeyError, ParseError) as exc:
        raise Invalid(
            "file", f"不是可读的 XLSX 文件 / not a readable XLSX workbook: {exc}"
        ) from exc
    return _find_header(_sheet_rows(archive, path, strings, dates), is_column, None)


def _sheet_path(archive: zipfile.ZipFile, sheet: str | None) -> str:
    """The archive path of the named sheet, or of the first one."""
    book = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    sheets = [(s.get("name", ""), s.get(f"{_REL}id", "")) for s in book.iter(f"{_MAIN}sheet")]
    if not sheets:
        raise KeyError("the workbook has no sheet")
    names = [name for name, _ in sheets]
    if sheet is not None and sheet not in names:
        raise Invalid("sheet", f"没有工作表 {sheet} / no sheet {sheet}: {names}")
    wanted = dict(sheets)[sheet] if sheet is not None else sheets[0][1]
    rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    for rel in rels.iter(f"{_PACKAGE_REL}Relationship"):
        if rel.get("Id") == wanted:
            target = rel.get("Target", "")
            return target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    raise KeyError(f"no part for sheet {wanted}")


def _shared_strings(archive: zipfile.ZipFile) -> list[str]:
    """The workbook's shared strings (rich text runs joined, phonetic guides left out)."""
    if "xl/sharedStrings.xml" not in archive.namelist():
        return []
    strings: list[str] = []
    with archive.open("xl/sharedStrings.xml") as part:
        for _, element in ElementTree.iterparse(part):
            if element.tag == f"{_MAIN}si":
                strings.append(_text_of(element))
                element.clear()
    return strings


def _text_of(element: Element) -> str:
    direct = element.find(f"{_MAIN}t")
    if direct is not None:
        return direct.text or ""
    return "".join(t.text or "" for r in element.iter(f"{_MAIN}r") for t in r.iter(f"{_MAIN}t"))


def _date_styles(archive: zipfile.ZipFile) -> set[int]:
    """Indexes of the cell styles whose number format shows a date."""
    from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format

    if "xl/styles.xml" not in archive.namelist():
        return set()
    styles = ElementTree.fromstring(archive.read("xl/styles.xml"))
    formats: dict[int, str] = dict(BUILTIN_FORMATS)
    for fmt in styles.iter(f"{_MAIN}numFmt"):
        formats[int(fmt.get("numFmtId", "0"))] = fmt.get("formatCode", "")
    cell_xfs = styles.find(f"{_MAIN}cellXfs")
    if cell_xfs is None:
        return set()
    return {
        index
        for index, xf in enumerate(cell_xfs.iter(f"{_MAIN}xf"))
        if is_date_format(formats.get(int(xf.get("numFmtId", "0")), ""))
    }


def _sheet_rows(
    archive: zipfile.ZipFile, path: str, strings: list[str], dates: set[int]
) -> Iterator[list[Any]]:
    """The sheet's rows streamed from its XML (each element dropped once read)."""
    from openpyxl.utils.cell import column_index_from_string
    from openpyxl.utils.datetime import from_excel

    row_tag, cell_tag = f"{_MAIN}row", f"{_MAIN}c"
    value_tag, inline_tag = f"{_MAIN}v", f"{_MAIN}is"
    expected_row = 1
    with archive.open(path) as part:
        for _, element in ElementTree.iterparse(part):
            if element.tag != row_tag:
                continue
            number = int(element.get("r", expected_row))
            # Rows left out of the XML are empty rows of the sheet.
            while expected_row < number:
                yield []
                expected_row += 1
            cells: list[Any] = []
            for cell in element.iter(cell_tag):
                ref = _CELL_REF.match(cell.get("r", ""))
                column = column_index_from_string(ref[1]) - 1 if ref else len(cells)
                if column > len(cells):
                    cells.extend([None] * (column - len(cells)))
                kind = cell.get("t", "n")
                raw = cell.find(value_tag)
                text = raw.text if raw is not None else None
                value: Any
                if kind == "s" and text is not None:
                    value = strings[int(text)]
                elif kind == "inlineStr":
                    inline = cell.find(inline_tag)
                    value = _text_of(inline) if inline is not None else None
                elif kind in {"str", "e"}:
                    value = text
                elif kind == "b":
                    value = text == "1"
                elif text is None:
                    value = None
                elif int(cell.get("s", "0")) in dates:
                    value = from_excel(float(text))
                else:
                    number_value = float(text)
                    value = int(number_value) if number_value.is_integer() else number_value
                cells.append(value)
            element.clear()
            expected_row = number + 1
            yield cells


def _find_header(
    rows: Iterator[list[Any]], is_column: Callable[[str], bool], encoding: str | None
) -> Table:
    """Take the row naming most known columns among the first few; merge a two-row header."""
    seen: list[list[Any]] = []
    best, best_score = -1, 0
    for index, row in enumerate(rows):
        seen.append(row)
        score = sum(1 for cell in row if cell is not None and is_column(str(cell)))
        if score > best_score:
            best, best_score = index, score
        if index + 1 >= HEADER_SEARCH_ROWS:
            break
    if best < 0:
        if not seen:
            raise Invalid("file", "文件是空的 / the file is empty")
        raise Invalid("file", "找不到表头行 / no header row naming known columns was found")
    header = [_text(c) for c in seen[best]]
    last = best
    # A grouped header: a row of merged group cells (联系方式 over 手机 and 电话) and a row
    # of the columns under them. Merged cells read as empty outside their first cell.
    if best + 1 < len(seen):
        below = [_text(c) for c in seen[best + 1]]
        if sum(1 for c in below if c and is_column(c)) >= 1 and not _looks_like_data(below):
            width = max(len(header), len(below))
            header += [""] * (width - len(header))
            below += [""] * (width - len(below))
            header = [
                b if b and (is_column(b) or not h) else h
                for h, b in zip(header, below, strict=True)
            ]
            last = best + 1
    # Likewise when the group row came first and the columns sit on the best row.
    if best > 0:
        above = [_text(c) for c in seen[best - 1]]
        header = [
            h if h else (a if a and is_column(a) else "")
            for h, a in zip(header, above + [""] * (len(header) - len(above)), strict=False)
        ]

    def data() -> Iterator[list[Any]]:
        yield from seen[last + 1 :]
        yield from rows

    return Table(header=header, rows=data(), header_row=last + 1, encoding=encoding)


def _looks_like_data(cells: list[str]) -> bool:
    return any(re.fullmatch(r"[\dXx\-/.年月日 ]{6,}", c) for c in cells if c)


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


# --- values people write ---------------------------------------------------------------

_DATE_PATTERNS = (
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T].*)?$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)
_MONTH_PATTERNS = (
    re.compile(r"^(\d{4})[-/.](\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月$"),
)


def parse_date(value: Any) -> date:
    """A date from an Excel date cell or serial, or text like 1980-02-02, 1980/2/2, 1980年2月2日."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool) and 1 <= value < 2958466:
        return EXCEL_EPOCH + timedelta(days=int(value))
    text = unicodedata.normalize("NFKC", str(value)).strip().replace(" ", "")
    for pattern in _DATE_PATTERNS:
        match = pattern.match(text)
        if match:
            return date(int(match[1]), int(match[2]), int(match[3]))
    for pattern in _MONTH_PATTERNS:
        match = pattern.match(text)
        if match:
            # 入党时间 is often kept to the month (1998.07): the first of the month.
            return date(int(match[1]), int(match[2]), 1)
    raise ValueError(f"not a date: {text}")


def cell_text(value: Any) -> str:
    """A cell as trimmed text (whole floats without `.0`, CSV apostrophes undone)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return restore(str(value).strip())
