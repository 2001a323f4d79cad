"""Spreadsheet columns of the member registry: Chinese headers and the labels people write."""

from __future__ import annotations

import re
import unicodedata

# Each field with the headers it is known by; the first name is the one exports write.
FIELD_HEADERS: dict[str, tuple[str, ...]] = {
    "id": ("编号", "党员编号", "记录编号"),
    "name": ("姓名", "党员姓名"),
    "gender": ("性别",),
    "birth_date": ("出生日期", "出生年月", "出生时间"),
    "ethnicity": ("民族",),
    "education": ("学历", "文化程度", "全日制学历", "最高学历"),
    "degree": ("学位",),
    "id_number": ("身份证号", "身份证号码", "公民身份号码", "身份证", "证件号码"),
    "phone": ("手机号", "手机", "手机号码", "联系电话", "电话", "联系方式"),
    "org_unit_id": (
        "所在党组织",
        "党组织名称",
        "所在支部",
        "所在党支部",
        "党组织",
        "所在单位党组织",
        "党组织编号",
    ),
    "stage": ("人员类别", "党员类型", "党员类别", "发展阶段"),
    "stage_since": ("阶段起始日期", "当前阶段起始日期"),
    "joined_at": ("入党日期", "入党时间"),
    "confirmed_at": ("转正日期", "转正时间"),
    "category": ("职业类别", "职业", "工作岗位类别"),
    "work_unit": ("工作单位", "工作单位及职务", "单位"),
    "residence_area": ("居住地区划代码", "现居住地区划代码"),
    "skills": ("特长", "专长", "技能", "特长技能"),
    "in_service": ("是否在职", "在职党员"),
    "duties": ("职务", "党内职务", "服务岗位职责"),
    "public_name_consent": ("同意公开姓名", "是否同意公开姓名"),
    # Written by exports, not changed by an import.
    "status": ("状态", "记录状态"),
    "floating": ("流动党员", "是否流动"),
    "lost_contact": ("失联", "是否失联"),
    "community_org_unit_id": ("报到社区",),
}
READ_ONLY_FIELDS = frozenset({"status", "floating", "lost_contact", "community_org_unit_id"})
# Columns people keep that carry nothing to import.
IGNORED_HEADERS = frozenset({"序号", "备注", "说明"})

LABELS: dict[str, dict[str, str]] = {
    "gender": {"男": "male", "女": "female", "男性": "male", "女性": "female"},
    "education": {
        "小学": "primary_or_below",
        "小学及以下": "primary_or_below",
        "文盲": "primary_or_below",
        "初中": "junior_high",
        "高中": "senior_high",
        "中专": "vocational",
        "职高": "vocational",
        "技校": "vocational",
        "中技": "vocational",
        "中等专科": "vocational",
        "大专": "associate",
        "专科": "associate",
        "大学专科": "associate",
        "本科": "bachelor",
        "大学": "bachelor",
        "大学本科": "bachelor",
        "硕士": "postgraduate",
        "博士": "postgraduate",
        "研究生": "postgraduate",
        "硕士研究生": "postgraduate",
        "博士研究生": "postgraduate",
    },
    "degree": {"无": "none", "学士": "bachelor", "硕士": "master", "博士": "doctorate"},
    "stage": {
        "入党申请人": "applicant",
        "申请人": "applicant",
        "积极分子": "activist",
        "入党积极分子": "activist",
        "发展对象": "candidate",
        "预备党员": "probationary",
        "正式党员": "full",
        "党员": "full",
    },
    "category": {
        "农民": "farmer",
        "农牧渔民": "farmer",
        "工人": "worker",
        "干部": "cadre",
        "党政机关工作人员": "cadre",
        "专业技术人员": "professional",
        "企业人员": "enterprise",
        "企业管理人员": "enterprise",
        "学生": "student",
        "离退休": "retired",
        "离退休人员": "retired",
        "其他": "other",
    },
    "duties": {
        "书记": "secretary",
        "支部书记": "secretary",
        "副书记": "deputy_secretary",
        "委员": "committee_member",
        "支委": "committee_member",
        "干部": "cadre",
        "村干部": "cadre",
        "督办员": "supervisor",
        "经办人": "handler",
        "代办员": "proxy_agent",
        "网格员": "grid_worker",
        "信息员": "information_officer",
    },
    "status": {"在册": "active", "已出党": "exited", "已删除": "erased"},
}
YES = frozenset({"是", "y", "yes", "true", "1", "√", "在职", "同意"})
NO = frozenset({"否", "n", "no", "false", "0", "×", "不在职", "不同意", ""})
BOOL_FIELDS = frozenset({"in_service", "public_name_consent", "floating", "lost_contact"})
LIST_FIELDS = frozenset({"skills", "duties"})
DATE_FIELDS = frozenset({"birth_date", "stage_since", "joined_at", "confirmed_at"})
# Skills are separated by 、，, ; or spaces (full-width forms are folded by NFKC first).
LIST_SEPARATORS = re.compile(r"[;、,\s/]+")

_BY_HEADER: dict[str, str] = {}


def _key(header: str) -> str:
    text = unicodedata.normalize("NFKC", header)
    text = re.sub(r"\((必填|选填|可选|required|optional)\)", "", text, flags=re.IGNORECASE)
    return re.sub(r"[\s*:]", "", text).lower()


for _field, _names in FIELD_HEADERS.items():
    _BY_HEADER[_key(_field)] = _field
    for _name in _names:
        _BY_HEADER.setdefault(_key(_name), _field)


def field_for_header(header: str) -> str | None:
    """The member field a column header names (Chinese or the English key), or None."""
    return _BY_HEADER.get(_key(header))


def is_ignored_header(header: str) -> bool:
    """Columns such as 序号 or 备注 that an import skips without comment."""
    return _key(header) in IGNORED_HEADERS or not _key(header)


def export_header(field: str, lang: str) -> str:
    """The header an export writes for a field: its Chinese name, or the key with `lang=en`."""
    return field if lang == "en" else FIELD_HEADERS[field][0]


def from_label(field: str, text: str) -> str:
    """The stored value for a label people write (男 → male); other text is kept as given."""
    labels = LABELS.get(field)
    if not labels:
        return text
    return labels.get(unicodedata.normalize("NFKC", text).strip(), text)


def to_label(field: str, value: str) -> str:
    """The Chinese label an export writes for a stored value (male → 男)."""
    for label, stored in LABELS.get(field, {}).items():
        if stored == value:
            return label
    return value


def split_list(text: str) -> list[str]:
    """Tags of a cell such as `电工、养老护理，法律; 种植 养殖`."""
    folded = unicodedata.normalize("NFKC", text)
    return [part for part in LIST_SEPARATORS.split(folded) if part]


def parse_flag(text: str) -> bool:
    """是/否, yes/no, true/false, 1/0; raise ValueError otherwise."""
    folded = unicodedata.normalize("NFKC", text).strip().lower()
    if folded in YES:
        return True
    if folded in NO:
        return False
    raise ValueError(f"not yes or no: {text}")


# English reasons (from the checks) with their Chinese wording, tried in order.
_REASONS_ZH: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), chinese)
    for pattern, chinese in (
        (r"^Field required", "缺少必填项"),
        (r"^Input should be", "取值不在允许范围内"),
        (r"^String should have at most", "内容过长"),
        (r"^String should have at least", "不能为空"),
        (r"^an ID number has 18 characters", "身份证号应为 18 位"),
        (r"^17 digits followed", "身份证号应为 17 位数字加一位数字或 X"),
        (r"^the region code names no province", "身份证号的地区码无效"),
        (r"^impossible birth date", "身份证号中的出生日期不存在"),
        (r"^birth date .* is out of range", "身份证号中的出生日期超出范围"),
        (r"^wrong check digit", "身份证号校验位错误"),
        (r"^the ID number says (male|female)", "与身份证号的性别不符"),
        (r"^the ID number says", "与身份证号的出生日期不符"),
        (r"^a mainland mobile number", "手机号应为 13-19 开头的 11 位数字"),
        (r"^lies in the future", "日期晚于今天"),
        (r"^a full member has a joining date", "正式党员须填写入党日期"),
        (r"^unknown duties", "职务不在允许范围内"),
        (r"^skill .* longer", "特长过长（最多 32 字）"),
        (r"^not a date", "不是可识别的日期（如 1980-02-02、1980/2/2、1980年2月2日）"),
        (r"^not yes or no", "应填 是 或 否"),
        (r"^no organisation unit named", "找不到该名称的党组织"),
        (r"^no organisation unit with area code", "找不到该区划代码的党组织"),
        (r"^no organisation unit", "找不到该党组织"),
        (r"^more than one unit", "名称对应多个党组织，请填写区划代码"),
        (r"^outside this token's scope", "不在您的管理范围内"),
        (r"^repeats row", "与文件中前面的行身份证号重复"),
        (r"^already registered", "该身份证号已登记"),
        (r"^no member", "找不到该编号的党员"),
        (r"^changes through", "不能通过导入修改"),
        (r"^the record is", "该党员记录已不在册"),
    )
)


def reason_zh(message: str) -> str:
    """The Chinese wording of a rejection reason."""
    for pattern, chinese in _REASONS_ZH:
        if pattern.search(message):
            return chinese
    return "数据有误"
