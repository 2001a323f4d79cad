"""Spreadsheet columns of a service catalogue (事项编码, 事项名称, 类别, 办理时限, ...)."""

from __future__ import annotations

import re
import unicodedata

from grassroots.requests.domain.durations import parse_limit

FIELD_HEADERS: dict[str, tuple[str, ...]] = {
    "code": ("事项编码", "编码", "事项代码"),
    "name": ("事项名称", "名称", "服务事项"),
    "category": ("类别", "事项类别", "分类"),
    "time_limit": ("办理时限", "承诺时限", "时限"),
    "calendar": ("计时方式", "时限类型"),
    "handling_tier": ("办理层级", "承办层级"),
    "materials": ("所需材料", "申请材料", "材料"),
    "door_to_door": ("上门服务", "是否上门", "可上门"),
    "allow_anonymous": ("可匿名", "允许匿名"),
    "description": ("事项说明", "说明", "办理流程"),
    "skills": ("所需技能", "技能"),
}
REQUIRED_FIELDS = ("code", "name", "category", "time_limit")
TIERS = {
    "网格": "grid",
    "村": "village",
    "社区": "village",
    "村社区": "village",
    "乡镇": "township",
    "街道": "township",
    "乡镇街道": "township",
    "县": "county",
    "区": "county",
    "县区": "county",
    "市": "city",
    "省": "province",
}
CALENDARS = {"工作日": "workdays", "自然日": "natural", "日历日": "natural"}
YES = frozenset({"是", "可", "y", "yes", "true", "1", "√"})
NO = frozenset({"否", "不", "n", "no", "false", "0", "×", ""})
LIST_SEPARATORS = re.compile(r"[;、,\n]+")
_AMOUNT = re.compile(r"^(\d+)个?(工作日|自然日|天|日|小时|个小时|时|分钟|周)$")


def _key(text: str) -> str:
    return re.sub(r"[\s*:]", "", unicodedata.normalize("NFKC", text)).lower()


_BY_HEADER = {_key(f): f for f in FIELD_HEADERS} | {
    _key(name): field for field, names in FIELD_HEADERS.items() for name in names
}


def field_for_header(header: str) -> str | None:
    """The catalogue field a header names (Chinese or the key), or None."""
    return _BY_HEADER.get(_key(header))


def parse_time_limit(text: str) -> tuple[str, str | None]:
    """`5个工作日` → (P5D, workdays), `4小时` → (PT4H, natural), `P5D` → (P5D, None)."""
    folded = unicodedata.normalize("NFKC", text).strip().replace(" ", "")
    if folded.upper().startswith("P"):
        parse_limit(folded.upper())
        return folded.upper(), None
    match = _AMOUNT.match(folded)
    if match is None:
        raise ValueError(f"not a time limit: {text} (e.g. 5个工作日, 4小时, P5D)")
    amount, unit = int(match[1]), match[2]
    if unit == "工作日":
        iso, calendar = f"P{amount}D", "workdays"
    elif unit in {"自然日", "天", "日"}:
        iso, calendar = f"P{amount}D", "natural"
    elif unit == "周":
        iso, calendar = f"P{amount * 7}D", "natural"
    elif unit == "分钟":
        iso, calendar = f"PT{amount}M", "natural"
    else:
        iso, calendar = f"PT{amount}H", "natural"
    parse_limit(iso)
    return iso, calendar


def time_limit_label(iso: str, calendar: str) -> str:
    """The Chinese wording an export writes for a limit (P5D on workdays → 5个工作日)."""
    days = re.fullmatch(r"P(\d+)D", iso)
    if days:
        return f"{days[1]}个工作日" if calendar == "workdays" else f"{days[1]}天"
    hours = re.fullmatch(r"PT(\d+)H", iso)
    return f"{hours[1]}小时" if hours else iso


def parse_flag(text: str) -> bool:
    """是/否 and friends; raise ValueError otherwise."""
    folded = unicodedata.normalize("NFKC", text).strip().lower()
    if folded in YES:
        return True
    if folded in NO:
        return False
    raise ValueError(f"not yes or no: {text}")


def split_list(text: str) -> list[str]:
    """Materials of a cell such as `身份证、户口簿；申请表`."""
    folded = unicodedata.normalize("NFKC", text)
    return [part.strip() for part in LIST_SEPARATORS.split(folded) if part.strip()]


_REASONS_ZH = (
    (re.compile(r"^Field required"), "缺少必填项"),
    (re.compile(r"^Input should be"), "取值不在允许范围内"),
    (re.compile(r"^String should match pattern"), "编码只能含字母、数字和 _-."),
    (re.compile(r"^String should have at most"), "内容过长"),
    (re.compile(r"^not a time limit|duration|must be"), "办理时限应写作 5个工作日、4小时 或 P5D"),
    (re.compile(r"^not yes or no"), "应填 是 或 否"),
    (re.compile(r"^repeats row"), "与文件中前面的行事项编码重复"),
)


def reason_zh(message: str) -> str:
    """The Chinese wording of a rejection reason."""
    return next((zh for pattern, zh in _REASONS_ZH if pattern.search(message)), "数据有误")
