"""Plain words for citizens: what each status and step means (Chinese, as citizens read it)."""

from __future__ import annotations

STATUS_TEXT: dict[str, str] = {
    "submitted": "已登记，等待受理",
    "accepted": "已受理",
    "assigned": "已指定专人办理",
    "in_progress": "正在办理",
    "escalated": "已报上级党组织协调办理",
    "explained": "暂时无法解决，已说明情况",
    "resolved": "已办结，请您评价",
    "closed": "已办结归档",
    "reopened": "重新办理",
    "dispatched": "已派至承办单位，等待签收",
    "returned": "承办单位已退回，正在重新派单",
    "waiting": "等待您补充材料或回复",
}

STEP_TEXT: dict[str, str] = {
    "submit": "您的诉求已登记",
    "accept": "诉求已受理",
    "assign": "已落实专人办理",
    "start": "办理人员已开始办理",
    "escalate": "本级无法解决，已报上级协调",
    "overdue": "已超过办理时限，督办中",
    "explain": "暂时无法解决，已向您说明情况",
    "resolve": "诉求已办结",
    "feedback": "已收到您的评价",
    "reopen": "诉求重新办理",
    "close": "办理归档",
    "dispatch": "已派至承办单位",
    "return": "承办单位申请退回",
    "uphold_return": "退回已核准，重新派单",
    "reject_return": "退回未获准，原单位继续办理",
    "wait": "等待您补充材料或回复，办理时限暂停计算",
    "resume": "已恢复办理",
    "extension_decided": "办理时限已延期",
    "callback": "已电话回访",
    "co_handler_added": "已请协办单位共同办理",
}


def step_text(action: str) -> str:
    """The plain-words line for one history step."""
    return STEP_TEXT.get(action, action)
