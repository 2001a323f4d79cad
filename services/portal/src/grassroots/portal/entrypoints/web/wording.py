"""The words people read for the platform's codes: statuses, actions, roles, tiers, problems.

Every text is a Chinese message id; templates pass it through `_()` for other languages.
"""

from __future__ import annotations

import re

from grassroots.portal.adapters.platform import ServiceDown, ServiceProblem

STATUS = {
    "submitted": "待受理",
    "accepted": "已受理",
    "assigned": "已分派",
    "in_progress": "办理中",
    "escalated": "已上报",
    "explained": "已说明，暂不能办结",
    "resolved": "已办结",
    "closed": "已关闭",
    "reopened": "重新办理",
    "dispatched": "已派单，待签收",
    "returned": "已退单",
    "waiting": "等待群众补充",
    "merged": "已合并",
}

# The staff actions the request page offers, in the order the state machine lists them.
ACTION = {
    "accept": "受理",
    "assign": "分派",
    "start": "开始办理",
    "escalate": "上报",
    "explain": "说明情况",
    "resolve": "办结",
    "close": "关闭",
    "reopen": "重新办理",
    "dispatch": "派单",
    "return": "退单",
    "uphold_return": "同意退单",
    "reject_return": "驳回退单",
    "wait": "等待群众补充",
    "resume": "恢复办理",
    "unmerge": "取消合并",
}

RATING = {
    "satisfied": "满意",
    "basically_satisfied": "基本满意",
    "unsatisfied": "不满意",
}

ROLE = {
    "platform_admin": "平台管理员",
    "org_admin": "组织部门管理员",
    "cadre": "干部",
    "member": "党员",
    "viewer": "查看者",
}

TIER = {"county": "县", "township": "乡镇", "village": "村（社区）"}

CHANNEL = {
    "online": "网上",
    "proxy_point": "代办点",
    "window": "窗口",
    "hotline": "热线",
    "visit": "走访",
    "open311": "外部系统",
}

RETURN_REASON = {
    "wrong_area": "不属本辖区",
    "not_our_duty": "不属本单位职责",
    "unclear": "诉求不清",
    "duplicate": "重复件",
}

# Form fields as people call them, for the sentences that name a bad field.
FIELD = {
    "area_code": "村（社区）",
    "service_code": "服务事项",
    "description": "诉求内容",
    "citizen_name": "姓名",
    "citizen_phone": "手机号码",
    "citizen": "联系人",
    "name": "姓名",
    "phone": "手机号码",
    "photo": "照片",
    "rating": "评价",
    "comment": "意见",
    "phone_last4": "手机号后四位",
    "tracking_code": "查询码",
    "handler_member_id": "办理人",
    "reason": "原因",
    "explanation": "情况说明",
    "expected_by": "预计办结日期",
    "resolution": "办理结果",
    "org_unit_id": "接收单位",
    "note": "备注",
    "appointment": "预约时间",
    "username": "用户名",
    "password": "密码",
    "channel": "受理方式",
    "door_to_door": "上门服务",
    "visitor_member_id": "走访人",
    "kind": "类别",
    "household": "走访户",
    "notes": "走访记录",
    "visited_at": "走访日期",
    "title": "标题",
    "body": "正文",
    "org_unit": "单位",
    "month": "月份",
    "text": "承诺内容",
    "due": "完成期限",
    "community_org_unit_id": "报到社区",
    "address": "地址",
}

GENERIC = {
    400: "请求有误，请检查后再试。",
    401: "登录已过期，请重新登录。",
    403: "您没有权限进行此操作：它超出了您的角色或管辖范围。",
    404: "没有找到您要的记录，它可能不存在或不在您的管辖范围内。",
    409: "该事项的状态已经变化，这一操作现在不能进行。请刷新页面后再试。",
    413: "上传的文件太大（不超过 10 MB）。",
    415: "不支持这种文件格式，请上传 JPEG 或 PNG 照片。",
    422: "填写的内容有误，请检查标出的项目。",
    423: "账号因多次登录失败已被暂时锁定，请稍后再试或联系管理员解锁。",
    429: "操作太频繁，请稍等一会儿再试。",
}


def missing_sentence(bad: list[str], labels: dict[str, str] | None = None) -> str:
    """What to fill in or correct, each field by the name people know it by."""
    names = "、".join(dict.fromkeys((labels or {}).get(b) or FIELD.get(b, b) for b in bad))
    return f"请填写或更正：{names}。"


def problem_sentence(problem: ServiceProblem) -> str:
    """A sentence a cadre or a citizen understands, never a stack trace or a code."""
    base = GENERIC.get(problem.status, "服务暂时出了问题，请稍后再试。")
    if problem.status == 422 and problem.fields:
        names = "、".join(dict.fromkeys(FIELD.get(f, f) for f in problem.fields))
        return f"以下项目填写有误：{names}。"
    return base


def down_sentence(down: ServiceDown) -> str:
    """What to say when a service does not answer."""
    return "系统的部分服务暂时无法访问，请稍后再试。"


def time_limit_text(limit: str, calendar: str = "workdays") -> str:
    """ISO 8601 durations as people say them: P5D -> 5个工作日, PT4H -> 4小时."""
    match = re.fullmatch(r"P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?)?", limit or "")
    if not match:
        return limit
    days, hours, minutes = (int(g) if g else 0 for g in match.groups())
    parts = []
    if days:
        parts.append(f"{days}个工作日" if calendar == "workdays" else f"{days}天")
    if hours:
        parts.append(f"{hours}小时")
    if minutes:
        parts.append(f"{minutes}分钟")
    return "".join(parts) or limit
