"""Tables and charts for reports: CSV, XLSX (openpyxl), PNG and SVG (matplotlib, Agg)."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.figure import Figure

# matplotlib and openpyxl are imported where used: they cost seconds at start-up.

# Fonts that can draw Chinese names, in order of preference.
CJK_FONTS = (
    "Noto Sans CJK SC",
    "Noto Sans CJK TC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "SimHei",
    "Microsoft YaHei",
    "AR PL UMing CN",
)
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "png": "image/png",
    "svg": "image/svg+xml",
}


def to_csv(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> bytes:
    """CSV with a BOM, so spreadsheet programs read the Chinese names right."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


Sheet = tuple[str, Sequence[str], Sequence[Sequence[Any]]]


def to_xlsx(
    sheet: str, columns: Sequence[str], rows: Sequence[Sequence[Any]], *more: Sheet
) -> bytes:
    """Worksheets (the first, then `more`), each with a bold header row."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.active)
    for title, header, body in ((sheet, columns, rows), *more):
        ws = book.create_sheet(title[:31])
        ws.append(list(header))
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in body:
            ws.append(list(row))
        for column in ws.columns:
            width = max(len(str(c.value or "")) for c in column)
            ws.column_dimensions[column[0].column_letter].width = min(max(10, width + 2), 60)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """The first font that can draw Chinese: the one installed with this package first."""
    from matplotlib import font_manager

    try:
        # Noto Sans CJK shipped as a PyPI package, so charts draw Chinese on any machine
        # (offline, no system fonts needed); system CJK fonts are used when it is missing.
        import cvttf_NotoSansCJK_Regular as packaged_font  # type: ignore[import-untyped]

        font_manager.fontManager.addfont(packaged_font.get_TTF_path())
    except (ImportError, FileNotFoundError):
        pass
    installed = {f.name for f in font_manager.fontManager.ttflist}
    return next((name for name in CJK_FONTS if name in installed), None)


def _figure(height: float) -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=(8, height), dpi=120, layout="constrained")


def _font() -> dict[str, Any]:
    """Text options drawing Chinese with the CJK font when one is installed."""
    font = cjk_font()
    return {"fontfamily": font} if font else {}


def _save(figure: Figure, fmt: str) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.backends.backend_svg import FigureCanvasSVG

    buffer = io.BytesIO()
    canvas = FigureCanvasSVG(figure) if fmt == "svg" else FigureCanvasAgg(figure)
    canvas.print_figure(buffer, format=fmt)
    return buffer.getvalue()


def label_for(name: str, fallback: str) -> str:
    """The Chinese name when a font can draw it, else an ASCII fallback (e.g. the area code)."""
    return name if cjk_font() or name.isascii() else fallback


def ranking_chart(title: str, labels: Sequence[str], scores: Sequence[float], fmt: str) -> bytes:
    """Horizontal bars of the scores, best at the top."""
    figure = _figure(max(2.5, 0.45 * len(labels) + 1.2))
    axes = figure.add_subplot()
    font = _font()
    positions = list(range(len(labels)))[::-1]
    bars = axes.barh(positions, scores, color="#c0392b")
    axes.set_yticks(positions, list(labels), **font)
    axes.bar_label(bars, labels=[f"{s:.1f}" for s in scores], padding=3)
    axes.set_xlim(0, max([100.0, *scores]) * 1.08)
    axes.set_xlabel("得分", **font)
    axes.set_ylabel("单位", **font)
    axes.set_title(title, **font)
    return _save(figure, fmt)


def trend_chart(
    title: str, months: Sequence[str], series: Mapping[str, Sequence[float | None]], fmt: str
) -> bytes:
    """Monthly lines of the rates (in %); months without data leave gaps."""
    figure = _figure(4.0)
    axes = figure.add_subplot()
    font = _font()
    positions = list(range(len(months)))
    for name, values in series.items():
        points = [float("nan") if v is None else 100.0 * v for v in values]
        axes.plot(positions, points, marker="o", label=name)
    axes.set_xticks(positions, list(months), **font)
    axes.set_ylim(0, 105)
    axes.set_ylabel("比率（%）", **font)
    axes.set_xlabel("月份", **font)
    axes.legend(loc="lower right", prop={"family": font["fontfamily"]} if font else None)
    axes.set_title(title, **font)
    axes.tick_params(axis="x", labelrotation=45)
    return _save(figure, fmt)
