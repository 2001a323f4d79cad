"""Spreadsheet columns of a branch list: 名称, 区划代码, 层级, 类型, 领域, 上级."""

from __future__ import annotations

import re
import unicodedata

FIELD_HEADERS: dict[str, tuple[str, ...]] = {
    "name": ("名称", "党组织名称", "单位名称", "组织名称"),
    "area_code": ("区划代码", "行政区划代码", "统计用区划代码"),
    "tier": ("层级", "级别"),
    "kind": ("类型", "党组织类型", "组织类别"),
    "domain": ("领域", "所属领域"),
    "parent": ("上级", "上级党组织", "上级组织", "上级区划代码"),
}
LABELS: dict[str, dict[str, str]] = {
    "tier": {
        "省": "province",
        "省级": "province",
        "市": "city",
        "地市": "city",
        "市级": "city",
        "县": "county",
        "区": "county",
        "县区": "county",
        "县级": "county",
        "乡镇": "township",
        "乡": "township",
        "镇": "township",
        "街道": "township",
        "乡镇街道": "township",
        "村": "village",
        "社区": "village",
        "村社区": "village",
        "网格": "grid",
        "楼栋": "grid",
    },
    "kind": {
        "党委": "committee",
        "党工委": "committee",
        "党总支": "general_branch",
        "总支": "general_branch",
        "党支部": "branch",
        "支部": "branch",
        "联合党支部": "branch",
        "党小组": "group",
    },
    "domain": {
        "农村": "rural",
        "社区": "community",
        "城市社区": "community",
        "非公企业": "enterprise",
        "非公有制企业": "enterprise",
        "企业": "enterprise",
        "机关": "organ",
        "党政机关": "organ",
        "其他": "other",
    },
}
REQUIRED_FIELDS = ("name", "area_code", "tier", "kind", "domain")


def _key(header: str) -> str:
    return re.sub(r"[\s*:]", "", unicodedata.normalize("NFKC", header)).lower()


_BY_HEADER = {_key(f): f for f in FIELD_HEADERS} | {
    _key(name): field for field, names in FIELD_HEADERS.items() for name in names
}


def field_for_header(header: str) -> str | None:
    """The org-unit field a header names (Chinese or the key), or None."""
    return _BY_HEADER.get(_key(header))


def from_label(field: str, text: str) -> str:
    """The stored value for a label (党支部 → branch); other text is kept as given."""
    return LABELS.get(field, {}).get(unicodedata.normalize("NFKC", text).strip(), text)


_REASONS_ZH = (
    (re.compile(r"^Field required"), "缺少必填项"),
    (re.compile(r"^Input should be"), "取值不在允许范围内"),
    (re.compile(r"12 digits|area code"), "区划代码有误或与层级、上级不符"),
    (re.compile(r"^no parent"), "找不到上级（文件中和已有组织中都没有）"),
    (re.compile(r"^more than one"), "上级名称对应多个组织，请填写区划代码"),
    (re.compile(r"already exists"), "同一上级下已有同名组织"),
    (re.compile(r"scope|serves areas"), "不在您的管理范围内"),
)


def reason_zh(message: str) -> str:
    """The Chinese wording of a rejection reason."""
    return next((zh for pattern, zh in _REASONS_ZH if pattern.search(message)), "数据有误")
