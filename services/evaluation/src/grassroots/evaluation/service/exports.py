"""Reports: rankings, indicators and attribution as CSV/XLSX, rankings and trends as PNG/SVG."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from grassroots.evaluation.adapters.render import (
    MEDIA_TYPES,
    label_for,
    ranking_chart,
    to_csv,
    to_xlsx,
    trend_chart,
)
from grassroots.evaluation.adapters.units import load_tree
from grassroots.evaluation.domain.indicators import (
    HANDLING_COUNT_FIELDS,
    REPORTED_COUNT_FIELDS,
)
from grassroots.evaluation.domain.periods import Period, chinese_label
from grassroots.evaluation.domain.tree import Tree
from grassroots.evaluation.service.access import parse_period, scoped_unit
from grassroots.evaluation.service.assessment import adjusted_counts
from grassroots.evaluation.service.deps import Deps
from grassroots.evaluation.service.fairness import attribution
from grassroots.evaluation.service.rankings import current_ranking
from grassroots.kit.auth import Principal
from grassroots.kit.db import AsyncSession

RATE_COLUMNS = ("response_rate", "resolution_rate", "satisfaction_rate", "on_time_rate")
COUNT_COLUMNS = REPORTED_COUNT_FIELDS
# After the columns above, so their places stay: rates and counts of returns, extensions and
# co-handling (missing, so empty, in rankings published before they were counted).
HANDLING_COLUMNS = (
    "return_rate",
    "kept_rate",
    "extension_rate",
    "helper_on_time_rate",
    "helper_score_rate",
    *HANDLING_COUNT_FIELDS,
)
THREE_RATES = {
    "响应率": "response_rate",
    "解决率": "resolution_rate",
    "满意率": "satisfaction_rate",
}
# Column headers and status values of the spreadsheets, in Chinese.
HEADERS = {
    "rank": "排名",
    "name": "单位",
    "area_code": "区划代码",
    "period": "考核期",
    "status": "状态",
    "score": "得分",
    "grade": "等级",
    "response_rate": "响应率",
    "resolution_rate": "解决率",
    "satisfaction_rate": "满意率",
    "on_time_rate": "按时办结率",
    "received": "受理数",
    "accepted_on_time": "按时响应数",
    "resolved": "解决数",
    "resolved_on_time": "按时办结数",
    "escalated": "上报数",
    "explained": "说明数",
    "feedback_count": "评价数",
    "satisfied": "满意",
    "basically_satisfied": "基本满意",
    "unsatisfied": "不满意",
    "visits": "走访数",
    "visit_quota": "走访任务数",
    "return_rate": "退单率",
    "kept_rate": "未退单率",
    "extension_rate": "延期率",
    "helper_on_time_rate": "协办按时率",
    "helper_score_rate": "协办评分率",
    "dispatched_in": "接收派单数",
    "returned": "退单数",
    "returns_rejected": "退单被驳回数",
    "extensions": "延期数",
    "helper_tasks": "协办任务数",
    "helper_on_time": "协办按时完成数",
    "helper_scored": "协办评分次数",
    "helper_score_total": "协办评分合计",
}
SCHEME_LABELS = {"three-rates": "三率考核"}
STATUS_LABELS = {"scored": "已评分", "insufficient_sample": "样本不足", "no_requests": "无诉求"}
GRADE_LABELS = {"excellent": "优秀", "good": "良好", "fair": "一般", "poor": "较差"}
ATTRIBUTION_COLUMNS = (
    "诉求编号",
    "受理单位",
    "受理时间",
    "计入指标",
    "是否剔除",
    "剔除决定人",
    "申诉撤出指标",
)


@dataclass(frozen=True)
class ExportFile:
    """A report as bytes, with its media type and the file name to save it under."""

    content: bytes
    media_type: str
    filename: str


def _file(content: bytes, fmt: str, stem: str) -> ExportFile:
    return ExportFile(content, MEDIA_TYPES[fmt], f"{stem}.{fmt}")


async def _table(
    fmt: str, stem: str, sheet: str, columns: Any, rows: list[list[Any]], *extra: Any
) -> ExportFile:
    if fmt == "xlsx":
        # openpyxl is CPU work: off the event loop.
        book = await asyncio.to_thread(to_xlsx, sheet, columns, rows, *extra)
        return _file(book, fmt, stem)
    return _file(to_csv(columns, rows), fmt, stem)


def _rounded(value: Any) -> Any:
    return round(value, 4) if isinstance(value, float) else value


def attribution_row(item: dict[str, Any], tree: Tree) -> list[Any]:
    """One attribution item as a spreadsheet row."""
    unit = tree.units.get(item["org_unit_id"])
    exclusion = item["exclusion"] or {}
    return [
        item["request_id"],
        unit.name if unit else item["org_unit_id"],
        item["received_at"].isoformat() if item["received_at"] else "",
        " ".join(item["counted_in"]),
        "是" if item["excluded"] else "否",
        exclusion.get("decided_by") or "" if item["excluded"] else "",
        " ".join(item["removed_from"]),
    ]


async def export_ranking(
    session: AsyncSession,
    deps: Deps,
    principal: Principal,
    parent: str,
    period: str,
    scheme: str,
    fmt: str,
) -> ExportFile:
    """The ranking as a spreadsheet: rank, unit, score, grade and the indicators behind it."""
    parsed = parse_period(period)
    ranking = await current_ranking(session, deps, principal, parent, parsed, scheme)
    keys = [
        "rank",
        "name",
        "area_code",
        "status",
        "score",
        "grade",
        *RATE_COLUMNS,
        *COUNT_COLUMNS,
        *HANDLING_COLUMNS,
    ]
    columns = [HEADERS[k] for k in keys]
    rows = [
        [
            item["rank"],
            item["name"],
            item["area_code"],
            STATUS_LABELS.get(item["status"], item["status"]),
            item["score"],
            GRADE_LABELS.get(item["grade"], item["grade"]),
            *(_rounded(item["indicators"][c]) for c in RATE_COLUMNS),
            *(item["indicators"][c] for c in COUNT_COLUMNS),
            *(_rounded(item["indicators"].get(c)) for c in HANDLING_COLUMNS),
        ]
        for item in ranking["items"]
    ]
    return await _table(fmt, f"ranking-{parsed}-{scheme}", str(parsed), columns, rows)


async def draw_ranking(
    session: AsyncSession,
    deps: Deps,
    principal: Principal,
    parent: str,
    period: str,
    scheme: str,
    fmt: str,
) -> ExportFile:
    """The ranking as bars (scored units only), to paste into a report."""
    parsed = parse_period(period)
    ranking = await current_ranking(session, deps, principal, parent, parsed, scheme)
    scored = [i for i in ranking["items"] if i["score"] is not None]
    labels = [
        label_for(
            i["name"] + ("（样本不足）" if i["status"] == "insufficient_sample" else ""),
            i["area_code"],
        )
        for i in scored
    ]
    title = label_for(
        f"{chinese_label(str(parsed))}考核排名（{SCHEME_LABELS.get(scheme, scheme)}）",
        f"{parsed} ranking ({scheme})",
    )
    picture = await asyncio.to_thread(
        ranking_chart, title, labels, [float(i["score"]) for i in scored], fmt
    )
    return _file(picture, fmt, f"ranking-{parsed}-{scheme}")


async def export_indicators(
    session: AsyncSession, deps: Deps, principal: Principal, org_unit_id: str, period: str, fmt: str
) -> ExportFile:
    """The unit's indicators (rolled up) and each child's, one row per unit; the workbook
    carries the requests behind the counts on a second sheet."""
    parsed = parse_period(period)
    rules = deps.rules
    unit = await scoped_unit(session, principal, org_unit_id)
    tree = await load_tree(session, unit.area_code)
    ids = [unit.id, *tree.children.get(unit.id, [])]
    totals = await adjusted_counts(session, tree, [unit.id], parsed, rules)
    totals.update(await adjusted_counts(session, tree, ids[1:], parsed, rules))
    attributed, _ = await attribution(session, tree, unit.id, parsed, rules.response_limit_seconds)
    keys = ("name", "area_code", "period", *RATE_COLUMNS, *COUNT_COLUMNS, *HANDLING_COLUMNS)
    columns = [HEADERS[k] for k in keys]
    rows = []
    for unit_id in ids:
        counts, rates = totals[unit_id][0].as_dict(), totals[unit_id][1]
        member = tree.units[unit_id]
        rows.append(
            [
                member.name,
                member.area_code,
                chinese_label(str(parsed)),
                *(_rounded(rates[c]) for c in RATE_COLUMNS),
                *(counts[c] for c in COUNT_COLUMNS),
                *(_rounded({**counts, **rates}[c]) for c in HANDLING_COLUMNS),
            ]
        )
    detail = ("诉求明细", ATTRIBUTION_COLUMNS, [attribution_row(i, tree) for i in attributed])
    stem = f"indicators-{unit.area_code}-{parsed}"
    if fmt == "xlsx":
        return await _table(fmt, stem, "指标", columns, rows, detail)
    return await _table(fmt, stem, "指标", columns, rows)


async def draw_trend(
    session: AsyncSession, deps: Deps, principal: Principal, org_unit_id: str, period: str, fmt: str
) -> ExportFile:
    """Monthly trend of the three rates over the months of a quarter or year."""
    parsed = parse_period(period)
    series: dict[str, list[float | None]] = {name: [] for name in THREE_RATES}
    unit = await scoped_unit(session, principal, org_unit_id)
    tree = await load_tree(session, unit.area_code)
    for month in parsed.months:
        adjusted = await adjusted_counts(session, tree, [unit.id], Period.parse(month), deps.rules)
        rates = adjusted[unit.id][1]
        for name, key in THREE_RATES.items():
            series[name].append(rates[key])
    title = label_for(
        f"{unit.name} {chinese_label(str(parsed))} 三率走势", f"{unit.area_code} {parsed}"
    )
    months = [chinese_label(month) for month in parsed.months]
    picture = await asyncio.to_thread(trend_chart, title, months, series, fmt)
    return _file(picture, fmt, f"trend-{unit.area_code}-{parsed}")


async def export_attribution(
    session: AsyncSession, deps: Deps, principal: Principal, org_unit_id: str, period: str, fmt: str
) -> ExportFile:
    """The attribution as a spreadsheet, one row per request, headers in Chinese."""
    parsed = parse_period(period)
    unit = await scoped_unit(session, principal, org_unit_id)
    tree = await load_tree(session, unit.area_code)
    items, _ = await attribution(session, tree, unit.id, parsed, deps.rules.response_limit_seconds)
    rows = [attribution_row(item, tree) for item in items]
    stem = f"attribution-{unit.area_code}-{parsed}"
    return await _table(fmt, stem, str(parsed), ATTRIBUTION_COLUMNS, rows)
