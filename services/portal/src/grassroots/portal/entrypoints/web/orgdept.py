"""The organisation department's pages (county and township org admins).

Member registry (masked; reveal with a reason, audited by the members service), import
from a spreadsheet (a dry run lists every bad row before anything is written, then a
confirm imports for real), structure statistics, rankings (chart, exports, publishing to
the board), three-way reviews, and the accounts of their units.

Every call goes out with the signed-in user's own token; the services decide the scope.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import time
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile

from grassroots.contracts.area import area_prefix
from grassroots.kit.auth import ROLE_RANK
from grassroots.kit.clock import utcnow, zone
from grassroots.portal.adapters.platform import ServiceProblem
from grassroots.portal.domain.accounts import Actor
from grassroots.portal.domain.errors import BadField, PortalError
from grassroots.portal.entrypoints.web.deps import Deps, WebDeps
from grassroots.portal.entrypoints.web.directory import Unit, place_name
from grassroots.portal.entrypoints.web.rendering import render
from grassroots.portal.entrypoints.web.security import User, check_form
from grassroots.portal.entrypoints.web.wording import FIELD, ROLE, problem_sentence
from grassroots.portal.service.accounts import AccountAdmin, AccountChange, NewAccount
from grassroots.portal.service.websessions import SignedIn

router = APIRouter(include_in_schema=False)

# Roles that see the department's links in the staff navigation (base.html).
DEPARTMENT_ROLES = ("org_admin", "platform_admin")
MAX_IMPORT_BYTES = 20 * 1024 * 1024
IMPORT_TIMEOUT_SECONDS = 60.0
DEFAULT_SCHEME = "three-rates"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

STAGE = {
    "applicant": "入党申请人",
    "activist": "入党积极分子",
    "candidate": "发展对象",
    "probationary": "预备党员",
    "full": "正式党员",
}
EDUCATION = {
    "primary_or_below": "小学及以下",
    "junior_high": "初中",
    "senior_high": "高中",
    "vocational": "中专（职高、技校）",
    "associate": "大专",
    "bachelor": "本科",
    "postgraduate": "研究生",
}
DEGREE = {"none": "无", "bachelor": "学士", "master": "硕士", "doctorate": "博士"}
GENDER = {"male": "男", "female": "女"}
CATEGORY = {
    "farmer": "农牧渔民",
    "worker": "工人",
    "cadre": "党政机关工作人员",
    "professional": "专业技术人员",
    "enterprise": "企业人员",
    "student": "学生",
    "retired": "离退休人员",
    "other": "其他",
}
DUTY = {
    "secretary": "书记",
    "deputy_secretary": "副书记",
    "committee_member": "委员",
    "cadre": "村干部",
    "supervisor": "督办员",
    "handler": "经办人",
    "proxy_agent": "代办员",
    "grid_worker": "网格员",
    "information_officer": "信息员",
}
MEMBER_STATUS = {"active": "在册", "exited": "已出党", "erased": "已删除"}
AGE_BAND = {
    "30_and_under": "30岁及以下",
    "31_35": "31至35岁",
    "36_45": "36至45岁",
    "46_55": "46至55岁",
    "56_60": "56至60岁",
    "61_70": "61至70岁",
    "71_and_over": "71岁及以上",
}
IMPORT_ACTION = {"created": "新增", "updated": "更新", "unchanged": "无变化", "create": "新增"}
RANK_STATUS = {"scored": "已评分", "insufficient_sample": "样本不足", "no_requests": "无诉求"}
GRADE = {
    "excellent": "优秀",
    "good": "良好",
    "fair": "一般",
    "poor": "较差",
    "qualified": "合格",
    "basically_qualified": "基本合格",
    "unqualified": "不合格",
}
RATES = {
    "response_rate": "响应率",
    "resolution_rate": "解决率",
    "satisfaction_rate": "满意率",
    "on_time_rate": "按时办结率",
}
SCHEMES = {"three-rates": "三率考核"}
REVIEW_PART = {"self": "自评", "mass": "群众评", "org": "组织评", "unit": "单位评"}
ACCOUNT_STATUS = {"active": "启用", "disabled": "停用"}
# Extra field names of the department's forms, for the sentences that name a bad field.
OWN_FIELDS = {
    **FIELD,
    "file": "文件",
    "display_name": "显示名称",
    "role": "角色",
    "org": "所辖范围",
    "member_id": "党员编号",
    "period": "考核期",
    "parent": "排名范围",
    "org_unit": "党组织",
    "org_unit_id": "党组织",
    "score": "分数",
    "weights": "权重",
    "skill": "特长",
}


def _field_names(fields: list[str]) -> str:
    return "、".join(dict.fromkeys(OWN_FIELDS.get(f, f) for f in fields))


_CHINESE = re.compile(r"[\u4e00-\u9fff]")


def chinese_part(detail: str) -> str:
    """The Chinese half of a bilingual detail: 'missing x (缺少)' or '缺少…… / missing'."""
    for piece in re.findall(r"[（(]([^()（）]+)[)）]", detail):
        if _CHINESE.search(piece):
            return str(piece).strip()
    head = detail.split(" / ")[0].strip()
    return head if _CHINESE.search(head) else ""


def sentence(problem: ServiceProblem, special: dict[int, str] | None = None) -> str:
    """problem_sentence, with this page's own words for some statuses and field names."""
    if special and problem.status in special:
        return special[problem.status]
    if problem.status == 422 and problem.fields:
        said = chinese_part(problem.detail)
        names = _field_names(problem.fields)
        return f"以下项目填写有误：{names}。" + (f"（{said}）" if said else "")
    return problem_sentence(problem)


def may_manage(user: SignedIn) -> bool:
    """An org admin or above (the department's write actions)."""
    return ROLE_RANK.get(user.role, 0) >= ROLE_RANK["org_admin"]


async def scope_units(deps: WebDeps, user: SignedIn) -> list[Unit]:
    """The units inside the user's area, by area code (county first)."""
    prefix = area_prefix(user.org)
    units = (await deps.directory.units()).values()
    return sorted((u for u in units if u.area_code.startswith(prefix)), key=lambda u: u.area_code)


async def home_unit(deps: WebDeps, user: SignedIn) -> Unit | None:
    """The unit at the user's own area (or the highest one inside it)."""
    inside = await scope_units(deps, user)
    for unit in inside:
        if unit.area_code == user.org:
            return unit
    return inside[0] if inside else None


def periods(today: date) -> list[tuple[str, str]]:
    """The periods offered: the last 12 months, this year's quarters, this year and last."""
    shown: list[tuple[str, str]] = []
    year, month = today.year, today.month
    for _ in range(12):
        shown.append((f"{year}-{month:02d}", f"{year}年{month}月"))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    for quarter in range((today.month - 1) // 3 + 1, 0, -1):
        shown.append((f"{today.year}-Q{quarter}", f"{today.year}年第{quarter}季度"))
    shown.append((str(today.year), f"{today.year}年"))
    shown.append((str(today.year - 1), f"{today.year - 1}年"))
    return shown


def period_label(period: str) -> str:
    match = re.fullmatch(r"(\d{4})(?:-(\d{2})|-Q([1-4]))?", period)
    if not match:
        return period
    year, month, quarter = match.groups()
    if month:
        return f"{year}年{int(month)}月"
    if quarter:
        return f"{year}年第{quarter}季度"
    return f"{year}年"


def today_local() -> date:
    return datetime.now(zone()).date()


def _text(form: Any, name: str, limit: int = 500) -> str:
    value = form.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


@router.get("/org", response_class=HTMLResponse)
async def department_home(request: Request, user: User, deps: Deps) -> Response:
    """The department's pages, one card each."""
    home = await home_unit(deps, user)
    return render(request, "orgdept/home.html", place=home.place if home else "")


# --- Member registry ------------------------------------------------------------------------


def member_view(member: dict[str, Any], units: dict[str, Unit]) -> dict[str, Any]:
    """A member with the words people read for its codes."""
    unit = units.get(member.get("org_unit_id") or "")
    community = units.get(member.get("community_org_unit_id") or "")
    return {
        **member,
        "unit_name": unit.place if unit else "",
        "community_name": community.place if community else "",
        "stage_text": STAGE.get(member.get("stage") or "", member.get("stage") or ""),
        "gender_text": GENDER.get(member.get("gender") or "", ""),
        "education_text": EDUCATION.get(member.get("education") or "", ""),
        "degree_text": DEGREE.get(member.get("degree") or "", ""),
        "category_text": CATEGORY.get(member.get("category") or "", ""),
        "duties_text": "、".join(DUTY.get(d, d) for d in member.get("duties") or []),
        "status_text": MEMBER_STATUS.get(member.get("status") or "", ""),
    }


@router.get("/org/members", response_class=HTMLResponse)
async def members_page(
    request: Request,
    user: User,
    deps: Deps,
    org_unit: str = "",
    stage: str = "",
    skill: str = "",
    floating: str = "",
    status: str = "active",
    cursor: str = "",
) -> Response:
    """Search the registry by unit, stage, skill, floating and status; paged."""
    units = await deps.directory.units()
    filters = {
        "org_unit": org_unit if org_unit in units else "",
        "stage": stage if stage in STAGE else "",
        "skill": skill.strip()[:32],
        "floating": floating if floating in ("true", "false") else "",
        "status": status if status in MEMBER_STATUS else "active",
    }
    context: dict[str, Any] = {
        "filters": filters,
        "units": await scope_units(deps, user),
        "stages": STAGE,
        "statuses": MEMBER_STATUS,
        "items": [],
        "next_cursor": None,
    }
    try:
        page = await deps.platform.call(
            "members",
            "GET",
            "/v1/members",
            token=user.access_token,
            params={**filters, "limit": 50, "cursor": cursor or None},
        )
    except ServiceProblem as problem:
        return render(
            request,
            "orgdept/members.html",
            status_code=problem.status if problem.status < 500 else 502,
            error=sentence(problem),
            **context,
        )
    context["items"] = [member_view(m, units) for m in page["items"]]
    kept = {k: v for k, v in filters.items() if v}
    if page.get("next_cursor"):
        context["next_link"] = "/org/members?" + urlencode({**kept, "cursor": page["next_cursor"]})
    if cursor:
        context["first_link"] = "/org/members?" + urlencode(kept)
    return render(request, "orgdept/members.html", **context)


async def _member_page(
    request: Request,
    user: SignedIn,
    deps: WebDeps,
    member_id: str,
    *,
    revealed: dict[str, Any] | None = None,
    reason: str = "",
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    member = await deps.platform.call(
        "members", "GET", f"/v1/members/{member_id}", token=user.access_token
    )
    units = await deps.directory.units()
    reads: list[dict[str, Any]] = []
    if may_manage(user):
        try:
            listed = await deps.platform.call(
                "members",
                "GET",
                "/v1/audit/pii-reads",
                token=user.access_token,
                params={"member_id": member_id, "limit": 100},
            )
            reads = [
                {**r, "role_text": ROLE.get(r["reader_role"], r["reader_role"])}
                for r in listed["items"]
            ]
        except ServiceProblem:
            reads = []
    return render(
        request,
        "orgdept/member.html",
        status_code=status_code,
        member=member_view(member, units),
        revealed=revealed,
        reason=reason,
        reads=list(reversed(reads))[:20],
        can_reveal=may_manage(user),
        error=error,
    )


@router.get("/org/members/{member_id}", response_class=HTMLResponse)
async def member_page(request: Request, user: User, deps: Deps, member_id: str) -> Response:
    """One member, personal data masked."""
    return await _member_page(request, user, deps, member_id)


@router.post("/org/members/{member_id}/reveal", response_class=HTMLResponse)
async def reveal(request: Request, user: User, deps: Deps, member_id: str) -> Response:
    """The unmasked ID number and phone, shown once on this answer (never stored here)."""
    form = await request.form(max_fields=5)
    check_form(request, form, user)
    reason = _text(form, "reason")
    if len(reason) < 4:
        return await _member_page(
            request,
            user,
            deps,
            member_id,
            reason=reason,
            error="请填写查看完整信息的原因（至少4个字），查看会被记录。",
            status_code=422,
        )
    try:
        shown = await deps.platform.call(
            "members",
            "POST",
            f"/v1/members/{member_id}/reveal",
            token=user.access_token,
            json={"reason": reason},
        )
    except ServiceProblem as problem:
        return await _member_page(
            request,
            user,
            deps,
            member_id,
            reason=reason,
            error=sentence(problem, {403: "只有组织部门管理员可以查看完整的身份证号和手机号。"}),
            status_code=problem.status if problem.status < 500 else 502,
        )
    return await _member_page(request, user, deps, member_id, revealed=shown, reason=reason)


# --- Import ---------------------------------------------------------------------------------


@dataclass
class PendingImport:
    """An uploaded file between its preview and the confirmation (memory only, minutes)."""

    account_id: str
    filename: str
    content: bytes
    content_type: str
    expires: float


class PendingImports:
    """Uploads awaiting confirmation: kept in this process's memory, never on disk."""

    def __init__(
        self, ttl: float = 1800.0, most: int = 20, most_bytes: int = 5 * MAX_IMPORT_BYTES
    ) -> None:
        self.ttl = ttl
        self.most = most
        self.most_bytes = most_bytes
        self._items: dict[str, PendingImport] = {}

    def _prune(self, room: int = 0) -> None:
        """Drop expired uploads, then the oldest until one more (of `room` bytes) fits."""
        now = time.monotonic()
        for key in [k for k, v in self._items.items() if v.expires <= now]:
            del self._items[key]
        while self._items and (
            len(self._items) >= self.most
            or sum(len(v.content) for v in self._items.values()) + room > self.most_bytes
        ):
            del self._items[next(iter(self._items))]

    def put(self, account_id: str, filename: str, content: bytes, content_type: str) -> str:
        self._prune(len(content))
        key = secrets.token_urlsafe(16)
        self._items[key] = PendingImport(
            account_id, filename, content, content_type, time.monotonic() + self.ttl
        )
        return key

    def get(self, key: str, account_id: str) -> PendingImport | None:
        self._prune()
        found = self._items.get(key)
        if found is None or found.account_id != account_id:
            return None
        return found

    def drop(self, key: str) -> None:
        self._items.pop(key, None)


def pending_imports(request: Request) -> PendingImports:
    store = getattr(request.app.state, "pending_imports", None)
    if store is None:
        store = PendingImports()
        request.app.state.pending_imports = store
    return store


def import_report(result: dict[str, Any], units: dict[str, Unit]) -> dict[str, Any]:
    """The members service's report with Chinese words for its codes."""
    rows = []
    for rejection in result.get("rejected") or []:
        for error in rejection["errors"]:
            rows.append(
                {
                    "row": rejection["row"],
                    "column": error.get("column") or OWN_FIELDS.get(error["field"], error["field"]),
                    "message": error.get("message_zh") or error.get("message") or "",
                }
            )
    preview = []
    for accepted in result.get("preview") or []:
        values = accepted.get("values") or {}
        unit = units.get(str(values.get("org_unit_id") or ""))
        preview.append(
            {
                "row": accepted["row"],
                "name": values.get("name", ""),
                "unit_name": unit.place if unit else "",
                "stage_text": STAGE.get(str(values.get("stage") or ""), ""),
                "action_text": IMPORT_ACTION.get(accepted.get("action", ""), ""),
            }
        )
    return {
        **result,
        "error_rows": rows,
        "bad_rows": sorted({r["row"] for r in rows}),
        "preview_rows": preview,
    }


@router.get("/org/import", response_class=HTMLResponse)
async def import_page(request: Request, user: User) -> Response:
    """The upload form."""
    return render(request, "orgdept/import.html", can_import=may_manage(user))


@router.get("/org/import/template")
async def import_template(user: User, deps: Deps, format: str = "xlsx") -> Response:
    """The members service's import template, fetched with the user's token."""
    kind = "csv" if format == "csv" else "xlsx"
    binary = await deps.platform.fetch(
        "members",
        "/v1/members/import/template",
        token=user.access_token,
        params={"format": kind},
    )
    return Response(
        binary.content,
        media_type=binary.content_type,
        headers={
            "Content-Disposition": f'attachment; filename="members-template.{kind}"; '
            f"filename*=UTF-8''%E5%85%9A%E5%91%98%E5%AF%BC%E5%85%A5%E6%A8%A1%E6%9D%BF.{kind}",
            "Cache-Control": "private, no-store",
        },
    )


async def _import_call(
    deps: WebDeps, user: SignedIn, pending: PendingImport, *, dry_run: bool
) -> dict[str, Any]:
    answer: dict[str, Any] = await deps.platform.call(
        "members",
        "POST",
        "/v1/members/import",
        token=user.access_token,
        params={"dry_run": "true" if dry_run else "false"},
        files={"file": (pending.filename, pending.content, pending.content_type)},
        wait_seconds=IMPORT_TIMEOUT_SECONDS,
    )
    return answer


def _import_problem(problem: ServiceProblem) -> str:
    if problem.status == 422 and "file" in problem.fields:
        said = chinese_part(problem.detail)
        return f"文件无法导入：{said or '请使用导入模板的格式（CSV 或 XLSX）。'}"
    return sentence(
        problem,
        {
            403: "只有组织部门管理员可以导入党员名册，且只能导入本辖区的党组织。",
            413: "文件太大（不超过 20 MB）。请分成几个文件导入。",
            415: "不支持这种文件格式，请上传 CSV 或 XLSX 表格。",
        },
    )


@router.post("/org/import", response_class=HTMLResponse)
async def import_preview(request: Request, user: User, deps: Deps) -> Response:
    """Check the uploaded file without writing (dry run) and list every bad row."""
    form = await request.form(max_files=1, max_fields=5, max_part_size=MAX_IMPORT_BYTES)
    check_form(request, form, user)
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return render(
            request,
            "orgdept/import.html",
            status_code=422,
            can_import=may_manage(user),
            error="请选择要导入的表格文件（CSV 或 XLSX）。",
        )
    name = upload.filename.rsplit("/", 1)[-1].rsplit("\\", 1)[-1][:200]
    if not name.lower().endswith((".csv", ".xlsx")):
        return render(
            request,
            "orgdept/import.html",
            status_code=415,
            can_import=may_manage(user),
            error="不支持这种文件格式，请上传 CSV 或 XLSX 表格（旧版 XLS 请先另存为 XLSX）。",
        )
    content = await upload.read(MAX_IMPORT_BYTES + 1)
    if len(content) > MAX_IMPORT_BYTES:
        return render(
            request,
            "orgdept/import.html",
            status_code=413,
            can_import=may_manage(user),
            error="文件太大（不超过 20 MB）。请分成几个文件导入。",
        )
    kind = "text/csv" if name.lower().endswith(".csv") else XLSX_TYPE
    store = pending_imports(request)
    key = store.put(user.account_id, name, content, kind)
    pending = store.get(key, user.account_id)
    assert pending is not None
    try:
        result = await _import_call(deps, user, pending, dry_run=True)
    except ServiceProblem as problem:
        store.drop(key)
        return render(
            request,
            "orgdept/import.html",
            status_code=problem.status if problem.status < 500 else 502,
            can_import=may_manage(user),
            error=_import_problem(problem),
        )
    if not result.get("accepted"):
        store.drop(key)
        key = ""
    report = import_report(result, await deps.directory.units())
    return render(request, "orgdept/import_preview.html", report=report, key=key, filename=name)


@router.post("/org/import/confirm", response_class=HTMLResponse)
async def import_confirm(request: Request, user: User, deps: Deps) -> Response:
    """Import the previewed file for real: good rows are written, bad rows change nothing."""
    form = await request.form(max_fields=5)
    check_form(request, form, user)
    key = _text(form, "key", 64)
    store = pending_imports(request)
    pending = store.get(key, user.account_id)
    if pending is None:
        return render(
            request,
            "orgdept/import.html",
            status_code=410,
            can_import=may_manage(user),
            error="这次预览已过期或已经导入过，请重新上传文件。",
        )
    store.drop(key)
    try:
        result = await _import_call(deps, user, pending, dry_run=False)
    except ServiceProblem as problem:
        return render(
            request,
            "orgdept/import.html",
            status_code=problem.status if problem.status < 500 else 502,
            can_import=may_manage(user),
            error=_import_problem(problem),
        )
    deps.directory.forget()
    report = import_report(result, await deps.directory.units())
    return render(request, "orgdept/import_done.html", report=report, filename=pending.filename)


# --- Structure statistics -------------------------------------------------------------------


def ratio_text(part: int | float, total: int | float) -> str:
    return f"{part / total * 100:.1f}%" if total else "—"


def structure_rows(stats: dict[str, Any]) -> list[tuple[str, list[tuple[str, int, str]]]]:
    """The statistics as sections of (label, count, share)."""
    total = int(stats["total"])

    def section(counts: dict[str, int], labels: dict[str, str]) -> list[tuple[str, int, str]]:
        keys = [k for k in labels if k in counts] + [k for k in counts if k not in labels]
        return [(labels.get(k, "未填写"), counts[k], ratio_text(counts[k], total)) for k in keys]

    return [
        ("发展阶段", section(stats["by_stage"], STAGE)),
        ("学历", section(stats["by_education"], EDUCATION)),
        ("性别", section(stats["by_gender"], GENDER)),
        ("年龄", section(stats["age_bands"], AGE_BAND)),
    ]


@router.get("/org/stats", response_class=HTMLResponse)
async def stats_page(request: Request, user: User, deps: Deps, org_unit: str = "") -> Response:
    """A subtree's structure, and the same figures for each unit directly below it."""
    inside = await scope_units(deps, user)
    by_id = {u.id: u for u in inside}
    unit = by_id.get(org_unit) or await home_unit(deps, user)
    if unit is None:
        return render(request, "error.html", status_code=403, message="您的账号没有管辖的党组织。")
    token = user.access_token

    async def structure(unit_id: str) -> dict[str, Any]:
        found: dict[str, Any] = await deps.platform.call(
            "members", "GET", "/v1/stats/structure", token=token, params={"org_unit": unit_id}
        )
        return found

    children = [u for u in inside if u.parent_id == unit.id][:60]
    try:
        stats, *child_stats = await asyncio.gather(
            structure(unit.id), *(structure(c.id) for c in children)
        )
    except ServiceProblem as problem:
        return render(
            request,
            "orgdept/stats.html",
            status_code=problem.status if problem.status < 500 else 502,
            unit=unit,
            units=inside,
            stats=None,
            error=sentence(problem),
        )
    rows = [
        {
            "unit": child,
            "total": s["total"],
            "full": s["by_stage"].get("full", 0),
            "probationary": s["by_stage"].get("probationary", 0),
            "female": ratio_text(s["by_gender"].get("female", 0), s["total"]),
            "over_45": f"{s['aged_over_45_ratio'] * 100:.1f}%" if s["total"] else "—",
            "junior": f"{s['junior_high_or_below_ratio'] * 100:.1f}%" if s["total"] else "—",
            "floating": s["floating"],
            "lost_contact": s["lost_contact"],
        }
        for child, s in zip(children, child_stats, strict=True)
    ]
    return render(
        request,
        "orgdept/stats.html",
        unit=unit,
        units=inside,
        stats=stats,
        sections=structure_rows(stats),
        children=rows,
        over_45=f"{stats['aged_over_45_ratio'] * 100:.1f}%",
        junior=f"{stats['junior_high_or_below_ratio'] * 100:.1f}%",
        floating_ratio=f"{stats['floating_ratio'] * 100:.1f}%",
    )


# --- Rankings -------------------------------------------------------------------------------


def _ranking_query(parent: str, period: str, scheme: str) -> dict[str, str]:
    return {"parent": parent, "period": period, "scheme": scheme}


async def _ranking_choice(
    deps: WebDeps, user: SignedIn, parent: str, period: str, scheme: str
) -> tuple[list[Unit], Unit | None, str, str]:
    inside = await scope_units(deps, user)
    parents = [u for u in inside if any(c.parent_id == u.id for c in inside)]
    chosen = next((u for u in parents if u.id == parent), None)
    if chosen is None:
        home = await home_unit(deps, user)
        chosen = home if home in parents else (parents[0] if parents else None)
    if not re.fullmatch(r"\d{4}(-(0[1-9]|1[0-2])|-Q[1-4])?", period):
        period = f"{today_local():%Y-%m}"
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,63}", scheme):
        scheme = DEFAULT_SCHEME
    return parents, chosen, period, scheme


def _percent(value: Any) -> str:
    return f"{float(value) * 100:.1f}%" if isinstance(value, int | float) else "—"


def ranking_rows(ranking: dict[str, Any]) -> list[dict[str, Any]]:
    """Ranking items with names (never area codes), grades and rates in Chinese."""
    rows = []
    for item in ranking["items"]:
        indicators = item.get("indicators") or {}
        rows.append(
            {
                **item,
                "place": place_name(item.get("name") or "") or "",
                "grade_text": GRADE.get(item.get("grade") or "", item.get("grade") or ""),
                "status_text": RANK_STATUS.get(item.get("status") or "", ""),
                "score_text": f"{item['score']:.1f}" if item.get("score") is not None else "—",
                "rates": [_percent(indicators.get(k)) for k in RATES],
            }
        )
    return rows


@router.get("/org/rankings", response_class=HTMLResponse)
async def rankings_page(
    request: Request,
    user: User,
    deps: Deps,
    parent: str = "",
    period: str = "",
    scheme: str = DEFAULT_SCHEME,
    done: str = "",
) -> Response:
    """The ranking of a unit's children for a period: table, chart, downloads, publishing."""
    parents, chosen, period, scheme = await _ranking_choice(deps, user, parent, period, scheme)
    context: dict[str, Any] = {
        "parents": parents,
        "parent": chosen,
        "period": period,
        "period_text": period_label(period),
        "periods": periods(today_local()),
        "scheme": scheme,
        "scheme_text": SCHEMES.get(scheme, scheme),
        "rates": RATES,
        "can_publish": may_manage(user),
        "notice": "已公示到公示栏。" if done == "published" else None,
    }
    if chosen is None:
        return render(
            request,
            "orgdept/rankings.html",
            ranking=None,
            error="您的辖区没有可排名的下级单位。",
            **context,
        )
    query = urlencode(_ranking_query(chosen.id, period, scheme))
    try:
        ranking = await deps.platform.call(
            "evaluation",
            "GET",
            "/v1/rankings",
            token=user.access_token,
            params={**_ranking_query(chosen.id, period, scheme), "limit": 200},
        )
    except ServiceProblem as problem:
        return render(
            request,
            "orgdept/rankings.html",
            status_code=problem.status if problem.status < 500 else 502,
            ranking=None,
            error=sentence(problem),
            **context,
        )
    return render(
        request,
        "orgdept/rankings.html",
        ranking=ranking,
        rows=ranking_rows(ranking),
        query=query,
        **context,
    )


FILE_TYPES = {
    "png": "image/png",
    "svg": "image/svg+xml",
    "csv": "text/csv; charset=utf-8",
    "xlsx": XLSX_TYPE,
}


@router.get("/org/rankings/{kind}.{fmt}")
async def ranking_file(
    user: User,
    deps: Deps,
    kind: str,
    fmt: str,
    parent: str,
    period: str,
    scheme: str = DEFAULT_SCHEME,
) -> Response:
    """The chart (PNG/SVG) or the table (CSV/XLSX), fetched with the user's own token."""
    allowed = {"chart": ("png", "svg"), "export": ("csv", "xlsx")}
    if fmt not in allowed.get(kind, ()):
        return Response("not found", status_code=404, media_type="text/plain")
    binary = await deps.platform.fetch(
        "evaluation",
        f"/v1/rankings/{kind}",
        token=user.access_token,
        params={**_ranking_query(parent, period, scheme), "format": fmt},
    )
    headers = {"Cache-Control": "private, max-age=60"}
    if kind == "export":
        stem = f"ranking-{period}"
        label = "%E8%80%83%E6%A0%B8%E6%8E%92%E5%90%8D"  # 考核排名
        headers["Content-Disposition"] = (
            f"attachment; filename=\"{stem}.{fmt}\"; filename*=UTF-8''{label}-{period}.{fmt}"
        )
    return Response(binary.content, media_type=FILE_TYPES[fmt], headers=headers)


@router.post("/org/rankings/publish", response_class=HTMLResponse)
async def publish(request: Request, user: User, deps: Deps) -> Response:
    """Freeze the ranking and put it on the public board (a later call: a corrected version)."""
    form = await request.form(max_fields=8)
    check_form(request, form, user)
    parent, period = _text(form, "parent", 64), _text(form, "period", 10)
    scheme = _text(form, "scheme", 64) or DEFAULT_SCHEME
    note = _text(form, "note", 2000) or None
    try:
        await deps.platform.call(
            "evaluation",
            "POST",
            "/v1/rankings/publish",
            token=user.access_token,
            json={"parent": parent, "period": period, "scheme": scheme, "note": note},
        )
    except ServiceProblem as problem:
        parents, chosen, period, scheme = await _ranking_choice(deps, user, parent, period, scheme)
        message = sentence(
            problem,
            {
                403: "只有组织部门管理员可以公示排名，且只能公示本辖区的排名。",
                409: "这个排名已经公示，之后数据没有变化，不需要再次公示。",
            },
        )
        ranking = None
        if chosen is not None:
            ranking = await deps.platform.call(
                "evaluation",
                "GET",
                "/v1/rankings",
                token=user.access_token,
                params={**_ranking_query(chosen.id, period, scheme), "limit": 200},
            )
        return render(
            request,
            "orgdept/rankings.html",
            status_code=problem.status if problem.status < 500 else 502,
            parents=parents,
            parent=chosen,
            period=period,
            period_text=period_label(period),
            periods=periods(today_local()),
            scheme=scheme,
            scheme_text=SCHEMES.get(scheme, scheme),
            rates=RATES,
            can_publish=may_manage(user),
            ranking=ranking,
            rows=ranking_rows(ranking) if ranking else [],
            query=urlencode(_ranking_query(chosen.id, period, scheme)) if chosen else "",
            error=message,
        )
    target = urlencode({**_ranking_query(parent, period, scheme), "done": "published"})
    return RedirectResponse(f"/org/rankings?{target}", status_code=303)


# --- Three-way reviews ----------------------------------------------------------------------


async def _reviews_of(deps: WebDeps, user: SignedIn, unit: Unit | None) -> list[dict[str, Any]]:
    if unit is None:
        return []
    page = await deps.platform.call(
        "evaluation",
        "GET",
        "/v1/evaluations",
        token=user.access_token,
        params={"org_unit": unit.id, "limit": 100},
    )
    return [{**r, "period_text": period_label(r["period"])} for r in reversed(page["items"])]


@router.get("/org/reviews", response_class=HTMLResponse)
async def reviews_page(request: Request, user: User, deps: Deps, org_unit: str = "") -> Response:
    """A unit's reviews, and a form to open one for a period."""
    inside = await scope_units(deps, user)
    unit = next((u for u in inside if u.id == org_unit), None) or await home_unit(deps, user)
    try:
        listed = await _reviews_of(deps, user, unit)
        error = None
    except ServiceProblem as problem:
        listed, error = [], sentence(problem)
    return render(
        request,
        "orgdept/reviews.html",
        units=inside,
        unit=unit,
        reviews=listed,
        periods=periods(today_local()),
        values={"org_unit_id": unit.id if unit else ""},
        error=error,
    )


@router.post("/org/reviews", response_class=HTMLResponse)
async def open_review(request: Request, user: User, deps: Deps) -> Response:
    """Open the review (民主评议) of a unit for a period with the default weights."""
    form = await request.form(max_fields=5)
    check_form(request, form, user)
    values = {"org_unit_id": _text(form, "org_unit_id", 64), "period": _text(form, "period", 10)}
    try:
        created = await deps.platform.call(
            "evaluation", "POST", "/v1/evaluations", token=user.access_token, json=values
        )
    except ServiceProblem as problem:
        inside = await scope_units(deps, user)
        unit = next((u for u in inside if u.id == values["org_unit_id"]), None)
        try:
            listed = await _reviews_of(deps, user, unit)
        except ServiceProblem:
            listed = []
        return render(
            request,
            "orgdept/reviews.html",
            status_code=problem.status if problem.status < 500 else 502,
            units=inside,
            unit=unit,
            reviews=listed,
            periods=periods(today_local()),
            values=values,
            error=sentence(problem, {409: "这个党组织在这个考核期已经有一次评议。"}),
        )
    return RedirectResponse(f"/org/reviews/{created['id']}?done=opened", status_code=303)


async def _review_page(
    request: Request,
    user: SignedIn,
    deps: WebDeps,
    review_id: str,
    *,
    error: str | None = None,
    status_code: int = 200,
    values: dict[str, str] | None = None,
) -> Response:
    token = user.access_token
    results = await deps.platform.call(
        "evaluation", "GET", f"/v1/evaluations/{review_id}/results", token=token
    )
    units = await deps.directory.units()
    unit = units.get(results["org_unit_id"])
    members: list[dict[str, Any]] = []
    try:
        page = await deps.platform.call(
            "members",
            "GET",
            "/v1/members",
            token=token,
            params={"org_unit": results["org_unit_id"], "limit": 200},
        )
        members = page["items"]
    except ServiceProblem:
        members = []
    names = {m["id"]: m["name"] for m in members}
    items = [
        {
            **item,
            "name": names.get(item.get("member_id", ""), "") or "—",
            "grade_text": GRADE.get(item.get("grade") or "", item.get("grade") or ""),
        }
        for item in results.get("items") or []
    ]
    return render(
        request,
        "orgdept/review.html",
        status_code=status_code,
        review=results,
        unit_name=unit.place if unit else "",
        period_text=period_label(results["period"]),
        weights=[(REVIEW_PART.get(k, k), v) for k, v in (results.get("weights") or {}).items()],
        items=items,
        members=members,
        parts={k: REVIEW_PART[k] for k in ("org", "unit", "mass", "self")},
        values=values or {},
        notice=request.query_params.get("done"),
        error=error,
    )


@router.get("/org/reviews/{review_id}", response_class=HTMLResponse)
async def review_page(request: Request, user: User, deps: Deps, review_id: str) -> Response:
    """A review's totals and grades, and a form to record a part score."""
    return await _review_page(request, user, deps, review_id)


@router.post("/org/reviews/{review_id}", response_class=HTMLResponse)
async def record_score(request: Request, user: User, deps: Deps, review_id: str) -> Response:
    """Record one part score (0-100) of one member."""
    form = await request.form(max_fields=8)
    check_form(request, form, user)
    values = {
        "member_id": _text(form, "member_id", 64),
        "part": _text(form, "part", 8),
        "score": _text(form, "score", 8),
        "rater": _text(form, "rater", 64),
    }
    if values["part"] not in REVIEW_PART:
        return await _review_page(
            request, user, deps, review_id, error="请选择评分类别。", status_code=422, values=values
        )
    try:
        score = float(values["score"])
    except ValueError:
        return await _review_page(
            request,
            user,
            deps,
            review_id,
            error="分数应是0到100之间的数字。",
            status_code=422,
            values=values,
        )
    body: dict[str, Any] = {"member_id": values["member_id"], "score": score}
    if values["part"] == "mass" and values["rater"]:
        body["rater"] = values["rater"]
    try:
        await deps.platform.call(
            "evaluation",
            "POST",
            f"/v1/evaluations/{review_id}/{values['part']}",
            token=user.access_token,
            json=body,
        )
    except ServiceProblem as problem:
        return await _review_page(
            request,
            user,
            deps,
            review_id,
            error=sentence(problem, {409: "这名党员的这项评分已经录入过。"}),
            status_code=problem.status if problem.status < 500 else 502,
            values=values,
        )
    return RedirectResponse(f"/org/reviews/{review_id}?done=scored", status_code=303)


# --- Accounts -------------------------------------------------------------------------------


def account_admin(request: Request) -> AccountAdmin:
    admin: AccountAdmin = request.app.state.accounts
    return admin


async def actor_of(request: Request, user: SignedIn) -> Actor:
    """The actor of the user's own token, as the portal's accounts API would see it."""
    principal = await request.app.state.token_verifier.verify(user.access_token)
    return Actor(principal.sub, principal.role, principal.org)


def portal_sentence(error: PortalError) -> str:
    """A refusal of the account use cases in Chinese."""
    if isinstance(error, BadField):
        said = chinese_part(error.message)
        name = OWN_FIELDS.get(error.field, error.field)
        return f"{name}填写有误" + (f"：{said}。" if said else "。")
    said = chinese_part(error.detail)
    words = {
        403: "您没有权限进行此操作：只能在本辖区内管理不高于自己角色的账号，也不能停用自己。",
        404: "没有找到这个账号，它可能不在您的管辖范围内。",
        409: f"{said}，请换一个。" if said else "这个操作与账号的当前状态冲突。",
    }
    return words.get(error.status, "暂时无法完成，请稍后再试。")


async def _accounts_page(
    request: Request,
    user: SignedIn,
    deps: WebDeps,
    *,
    after: str = "",
    error: str | None = None,
    status_code: int = 200,
    values: dict[str, str] | None = None,
) -> Response:
    actor = await actor_of(request, user)
    limit = 50
    try:
        found = await account_admin(request).list_accounts(actor, after or None, limit)
    except PortalError as refused:
        return render(
            request, "error.html", status_code=refused.status, message=portal_sentence(refused)
        )
    now = utcnow()
    rows = []
    for account in found:
        locked = account.locked_until is not None and account.locked_until > now
        rows.append(
            {
                "id": account.id,
                "username": account.username,
                "display_name": account.display_name,
                "role_text": ROLE.get(account.role, account.role),
                "place": await deps.directory.area_name(account.org),
                "status": account.status,
                "status_text": ACCOUNT_STATUS.get(account.status, account.status),
                "locked": locked,
                "locked_until": account.locked_until,
                "is_self": account.id == user.account_id,
            }
        )
    rank = ROLE_RANK.get(user.role, 0)
    roles = {r: ROLE[r] for r in ROLE if ROLE_RANK[r] <= rank}
    return render(
        request,
        "orgdept/accounts.html",
        status_code=status_code,
        accounts=rows,
        next_after=found[-1].id if len(found) == limit else "",
        roles=roles,
        units=await scope_units(deps, user),
        values=values or {"role": "cadre"},
        notice=request.query_params.get("done"),
        error=error,
    )


@router.get("/org/accounts", response_class=HTMLResponse)
async def accounts_page(request: Request, user: User, deps: Deps, after: str = "") -> Response:
    """The accounts of the user's units, and a form for a new one."""
    return await _accounts_page(request, user, deps, after=after[:64])


@router.post("/org/accounts", response_class=HTMLResponse)
async def create_account(request: Request, user: User, deps: Deps) -> Response:
    """A new account: at most the user's own role, inside the user's own area."""
    form = await request.form(max_fields=10)
    check_form(request, form, user)
    values = {
        k: _text(form, k, 200)
        for k in ("username", "display_name", "role", "org", "member_id", "phone")
    }
    password = str(form.get("password") or "")[:1024]
    try:
        await account_admin(request).create(
            await actor_of(request, user),
            NewAccount(
                username=values["username"],
                password=password,
                display_name=values["display_name"] or values["username"],
                role=values["role"],
                org=values["org"],
                member_id=values["member_id"] or None,
                phone=values["phone"] or None,
            ),
        )
    except PortalError as refused:
        return await _accounts_page(
            request,
            user,
            deps,
            error=portal_sentence(refused),
            status_code=refused.status,
            values=values,
        )
    except ValueError:
        return await _accounts_page(
            request, user, deps, error="角色填写有误。", status_code=422, values=values
        )
    return RedirectResponse("/org/accounts?done=created", status_code=303)


@router.post("/org/accounts/{account_id}", response_class=HTMLResponse)
async def change_account(request: Request, user: User, deps: Deps, account_id: str) -> Response:
    """Disable, enable or unlock an account (button `action`)."""
    form = await request.form(max_fields=5)
    check_form(request, form, user)
    action = _text(form, "action", 16)
    cases = account_admin(request)
    actor = await actor_of(request, user)
    try:
        if action in ("disable", "enable"):
            change = AccountChange(status="disabled" if action == "disable" else "active")
            await cases.update(actor, account_id, change)
        elif action == "unlock":
            await cases.unlock(actor, account_id)
        else:
            return await _accounts_page(request, user, deps, error="未知的操作。", status_code=422)
    except PortalError as refused:
        return await _accounts_page(
            request, user, deps, error=portal_sentence(refused), status_code=refused.status
        )
    return RedirectResponse(f"/org/accounts?done={action}", status_code=303)
