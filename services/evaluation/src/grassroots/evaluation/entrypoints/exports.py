"""HTTP routes of exports: rankings and indicators as CSV/XLSX, and charts as PNG/SVG."""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from fastapi import APIRouter, Response

from grassroots.evaluation.adapters.render import (
    MEDIA_TYPES,
    label_for,
    ranking_chart,
    to_csv,
    to_xlsx,
    trend_chart,
)
from grassroots.evaluation.domain.periods import Period, chinese_label
from grassroots.evaluation.domain.scoring import DEFAULT_SCHEME
from grassroots.evaluation.entrypoints.common import RulesDep, RuntimeDep, parse_period, scoped_unit
from grassroots.evaluation.entrypoints.fairness import ATTRIBUTION_COLUMNS, attribution_row
from grassroots.evaluation.service.assessment import adjusted_counts
from grassroots.evaluation.service.fairness import attribution
from grassroots.evaluation.service.indicators import load_tree
from grassroots.evaluation.service.rankings import compute_ranking, find_publication
from grassroots.kit.auth import CurrentPrincipal

router = APIRouter(prefix="/v1", tags=["exports"])

RATE_COLUMNS = ("response_rate", "resolution_rate", "satisfaction_rate", "on_time_rate")
COUNT_COLUMNS = (
    "received",
    "accepted_on_time",
    "resolved",
    "resolved_on_time",
    "escalated",
    "explained",
    "feedback_count",
    "satisfied",
    "basically_satisfied",
    "unsatisfied",
    "visits",
    "visit_quota",
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
}
SCHEME_LABELS = {"three-rates": "三率考核"}
STATUS_LABELS = {"scored": "已评分", "insufficient_sample": "样本不足", "no_requests": "无诉求"}
GRADE_LABELS = {"excellent": "优秀", "good": "良好", "fair": "一般", "poor": "较差"}


def _file(content: bytes, fmt: str, stem: str) -> Response:
    return Response(
        content,
        media_type=MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{stem}.{fmt}"'},
    )


def _rounded(value: Any) -> Any:
    return round(value, 4) if isinstance(value, float) else value


async def _ranking(
    runtime: Any, principal: Any, rules: Any, parent: str, period: Period, scheme: str
) -> dict[str, Any]:
    async with runtime.db.read_only() as session:
        unit = await scoped_unit(session, principal, parent, "parent")
        published = await find_publication(session, unit.id, period, scheme)
        if published:
            ranking: dict[str, Any] = published["entries"]
            return ranking
        return await compute_ranking(session, unit, period, scheme, rules)


@router.get("/rankings/export", response_class=Response)
async def export_ranking(
    principal: CurrentPrincipal,
    runtime: RuntimeDep,
    rules: RulesDep,
    parent: str,
    period: str,
    scheme: str = DEFAULT_SCHEME,
    format: Literal["csv", "xlsx"] = "csv",
) -> Response:
    """The ranking as a spreadsheet: rank, unit, score, grade and the indicators behind it."""
    parsed = parse_period(period)
    ranking = await _ranking(runtime, principal, rules, parent, parsed, scheme)
    keys = ["rank", "name", "area_code", "status", "score", "grade", *RATE_COLUMNS, *COUNT_COLUMNS]
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
        ]
        for item in ranking["items"]
    ]
    stem = f"ranking-{parsed}-{scheme}"
    if format == "xlsx":
        return _file(await asyncio.to_thread(to_xlsx, str(parsed), columns, rows), format, stem)
    return _file(to_csv(columns, rows), format, stem)


@router.get("/rankings/chart", response_class=Response)
async def ranking_picture(
    principal: CurrentPrincipal,
    runtime: RuntimeDep,
    rules: RulesDep,
    parent: str,
    period: str,
    scheme: str = DEFAULT_SCHEME,
    format: Literal["png", "svg"] = "png",
) -> Response:
    """The ranking as bars (scored units only), to paste into a report."""
    parsed = parse_period(period)
    ranking = await _ranking(runtime, principal, rules, parent, parsed, scheme)
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
        ranking_chart, title, labels, [float(i["score"]) for i in scored], format
    )
    return _file(picture, format, f"ranking-{parsed}-{scheme}")


@router.get("/orgs/{org_unit_id}/indicators/export", response_class=Response)
async def export_indicators(
    org_unit_id: str,
    principal: CurrentPrincipal,
    runtime: RuntimeDep,
    rules: RulesDep,
    period: str,
    format: Literal["csv", "xlsx"] = "csv",
) -> Response:
    """The unit's indicators (rolled up) and each child's, one row per unit."""
    parsed = parse_period(period)
    async with runtime.db.read_only() as session:
        unit = await scoped_unit(session, principal, org_unit_id)
        tree = await load_tree(session, unit.area_code)
        ids = [unit.id, *tree.children.get(unit.id, [])]
        totals = await adjusted_counts(session, tree, [unit.id], parsed, rules)
        totals.update(await adjusted_counts(session, tree, ids[1:], parsed, rules))
        attributed, _ = await attribution(
            session, tree, unit.id, parsed, rules.response_limit_seconds
        )
    columns = [HEADERS[k] for k in ("name", "area_code", "period", *RATE_COLUMNS, *COUNT_COLUMNS)]
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
            ]
        )
    stem = f"indicators-{unit.area_code}-{parsed}"
    if format == "xlsx":
        # The workbook carries the requests behind the counts on a second sheet.
        detail = ("诉求明细", ATTRIBUTION_COLUMNS, [attribution_row(i, tree) for i in attributed])
        book = await asyncio.to_thread(to_xlsx, "指标", columns, rows, detail)
        return _file(book, format, stem)
    return _file(to_csv(columns, rows), format, stem)


@router.get("/orgs/{org_unit_id}/trend", response_class=Response)
async def trend_picture(
    org_unit_id: str,
    principal: CurrentPrincipal,
    runtime: RuntimeDep,
    rules: RulesDep,
    period: str,
    format: Literal["png", "svg"] = "png",
) -> Response:
    """Monthly trend of the three rates over the months of a quarter or year."""
    parsed = parse_period(period)
    series: dict[str, list[float | None]] = {name: [] for name in THREE_RATES}
    async with runtime.db.read_only() as session:
        unit = await scoped_unit(session, principal, org_unit_id)
        tree = await load_tree(session, unit.area_code)
        for month in parsed.months:
            adjusted = await adjusted_counts(session, tree, [unit.id], Period.parse(month), rules)
            rates = adjusted[unit.id][1]
            for name, key in THREE_RATES.items():
                series[name].append(rates[key])
    title = label_for(
        f"{unit.name} {chinese_label(str(parsed))} 三率走势", f"{unit.area_code} {parsed}"
    )
    months = [chinese_label(month) for month in parsed.months]
    picture = await asyncio.to_thread(trend_chart, title, months, series, format)
    return _file(picture, format, f"trend-{unit.area_code}-{parsed}")
