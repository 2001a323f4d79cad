"""Message templates: Jinja2 in a sandbox, zh-CN by default, checked when saved."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from jinja2 import StrictUndefined, Template, TemplateError
from jinja2.sandbox import SandboxedEnvironment

DEFAULT_LOCALE = "zh-CN"
LOCALES = ("zh-CN", "en")

_ENV = SandboxedEnvironment(
    undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False
)


@dataclass(frozen=True)
class TemplateText:
    """The subject (email, inbox title) and body of one template in one locale."""

    subject: str
    body: str


# Each key lists every variable it may use, with a sample: a template that names anything
# else, or fails to render with the samples, is refused at save time.
SAMPLE_CONTEXT: dict[str, dict[str, Any]] = {
    "request_submitted": {
        "tracking_code": "JD7K2M9Q",
        "service_code": "hukou",
        "due_at": "11月25日",
    },
    "request_accepted": {
        "tracking_code": "JD7K2M9Q",
        "service_code": "hukou",
        "due_at": "11月25日",
    },
    "request_escalated": {
        "tracking_code": "JD7K2M9Q",
        "service_code": "hukou",
        "due_at": "11月25日",
    },
    "request_explained": {
        "tracking_code": "JD7K2M9Q",
        "service_code": "hukou",
        "expected_by": "12月1日",
        "reason": "请登录办理进度页面查看",
    },
    "request_resolved": {
        "tracking_code": "JD7K2M9Q",
        "service_code": "hukou",
        "due_at": "11月25日",
    },
    "request_merged": {
        "tracking_code": "JD7K2M9Q",
        "service_code": "hukou",
        "due_at": "11月25日",
    },
    "request_assigned": {"request_id": "r-1", "service_code": "hukou", "due_at": "11月25日"},
    "supervisor_overdue": {"request_id": "r-1", "service_code": "hukou", "due_at": "11月25日"},
    "supervisor_escalated": {"request_id": "r-1", "service_code": "hukou", "cause": "overdue"},
    "request_extended": {
        "tracking_code": "JD7K2M9Q",
        "service_code": "hukou",
        "due_at": "12月5日",
    },
    "request_chased": {"request_id": "r-1", "service_code": "hukou", "due_at": "11月25日"},
    "supervisor_chased": {"request_id": "r-1", "service_code": "hukou", "due_at": "11月25日"},
    "supervisor_supervised": {"request_id": "r-1", "service_code": "hukou", "due_at": "11月25日"},
    "transfer_letter": {"transfer_id": "t-1", "status": "issued", "valid_until": "2027年2月20日"},
    "evaluation_result": {"period": "2026-Q4", "kind": "review", "grade": "优秀", "score": 92.5},
    "broadcast": {"title": "学习通知", "body": "本周五下午三时在党群服务中心集中学习。"},
}

STATUS_ZH = {
    "issued": "已开具",
    "accepted": "已接收",
    "rejected": "被退回",
    "revoked": "已撤销",
    "expired": "已过期",
}

DEFAULT_TEMPLATES: dict[str, dict[str, TemplateText]] = {
    "request_submitted": {
        "zh-CN": TemplateText(
            "诉求已受理登记",
            "您的诉求已登记，查询码{{ tracking_code }}，承诺办结时间{{ due_at }}。",
        ),
        "en": TemplateText(
            "Request received",
            "Your request was received. Tracking code {{ tracking_code }}, due {{ due_at }}.",
        ),
    },
    "request_accepted": {
        "zh-CN": TemplateText(
            "诉求已受理", "您的诉求（查询码{{ tracking_code }}）已受理，正在办理。"
        ),
        "en": TemplateText(
            "Request accepted", "Your request {{ tracking_code }} was accepted and is in hand."
        ),
    },
    "request_escalated": {
        "zh-CN": TemplateText(
            "诉求已报上级协调",
            "您的诉求（查询码{{ tracking_code }}）已报上级党组织协调解决。",
        ),
        "en": TemplateText(
            "Request escalated",
            "Your request {{ tracking_code }} was passed up to the higher organisation.",
        ),
    },
    "request_explained": {
        "zh-CN": TemplateText(
            "诉求办理情况说明",
            "您的诉求（查询码{{ tracking_code }}）暂时无法解决，原因：{{ reason }}；"
            "预计{{ expected_by }}前答复。",
        ),
        "en": TemplateText(
            "About your request",
            "Your request {{ tracking_code }} cannot be solved yet. Reason: {{ reason }}. "
            "Expected by {{ expected_by }}.",
        ),
    },
    "request_resolved": {
        "zh-CN": TemplateText(
            "诉求已办结",
            "您的诉求（查询码{{ tracking_code }}）已办结，欢迎凭查询码对办理结果进行评价。",
        ),
        "en": TemplateText(
            "Request resolved",
            "Your request {{ tracking_code }} was resolved. Please rate the result with your "
            "tracking code.",
        ),
    },
    "request_merged": {
        "zh-CN": TemplateText(
            "诉求已合并办理",
            "您的诉求（查询码{{ tracking_code }}）与其他群众反映的同一问题合并办理，"
            "可继续凭原查询码查看办理进展。",
        ),
        "en": TemplateText(
            "Request merged",
            "Your request {{ tracking_code }} is handled together with a report of the same "
            "matter; your tracking code shows its progress.",
        ),
    },
    "request_assigned": {
        "zh-CN": TemplateText(
            "新的代办任务", "您有一件新的代办诉求（{{ service_code }}），请于{{ due_at }}前办结。"
        ),
        "en": TemplateText(
            "New request to handle",
            "You were assigned a request ({{ service_code }}), due {{ due_at }}.",
        ),
    },
    "supervisor_overdue": {
        "zh-CN": TemplateText(
            "诉求超时督办", "督办提醒：诉求（{{ service_code }}）已超过办结时限{{ due_at }}。"
        ),
        "en": TemplateText(
            "Overdue request",
            "Supervision: a request ({{ service_code }}) passed its due time {{ due_at }}.",
        ),
    },
    "supervisor_escalated": {
        "zh-CN": TemplateText(
            "诉求上报提醒",
            "督办提醒：一件诉求（{{ service_code }}）已上报本级"
            "{% if cause == 'overdue' %}（超时自动上报）{% endif %}，请及时协调。",
        ),
        "en": TemplateText(
            "Escalated request",
            "Supervision: a request ({{ service_code }}) was escalated to your unit"
            "{% if cause == 'overdue' %} (overdue){% endif %}.",
        ),
    },
    "request_extended": {
        "zh-CN": TemplateText(
            "诉求办理延期",
            "您的诉求（查询码{{ tracking_code }}）经批准延期办理，新的办结时间为{{ due_at }}。",
        ),
        "en": TemplateText(
            "Request extended",
            "Your request {{ tracking_code }} was given more time; it is now due {{ due_at }}.",
        ),
    },
    "request_chased": {
        "zh-CN": TemplateText(
            "诉求催办提醒", "催办提醒：您办理的诉求（{{ service_code }}）将于{{ due_at }}到期。"
        ),
        "en": TemplateText(
            "Request due soon", "Reminder: your request ({{ service_code }}) is due {{ due_at }}."
        ),
    },
    "supervisor_chased": {
        "zh-CN": TemplateText(
            "诉求临期提醒", "催办提醒：本单位诉求（{{ service_code }}）将于{{ due_at }}到期。"
        ),
        "en": TemplateText(
            "Request due soon",
            "Reminder: a request of your unit ({{ service_code }}) is due {{ due_at }}.",
        ),
    },
    "supervisor_supervised": {
        "zh-CN": TemplateText(
            "诉求超时督办通知",
            "督办通知：下级单位的诉求（{{ service_code }}）已超过时限{{ due_at }}，请督促办理。",
        ),
        "en": TemplateText(
            "Supervision notice",
            "Supervision: a request ({{ service_code }}) of a unit below yours passed its due "
            "time {{ due_at }}.",
        ),
    },
    "transfer_letter": {
        "zh-CN": TemplateText(
            "组织关系转接",
            "您的组织关系介绍信{{ status_zh[status] }}"
            "{% if valid_until %}，有效期至{{ valid_until }}{% endif %}。",
        ),
        "en": TemplateText(
            "Transfer letter",
            "Your transfer letter is {{ status }}"
            "{% if valid_until %}, valid until {{ valid_until }}{% endif %}.",
        ),
    },
    "evaluation_result": {
        "zh-CN": TemplateText(
            "评议结果公布",
            "{{ period }}评议结果已公布：您的等次为{{ grade }}"
            "{% if score is not none %}，得分{{ score }}{% endif %}。",
        ),
        "en": TemplateText(
            "Evaluation result",
            "Results for {{ period }} are out: grade {{ grade }}"
            "{% if score is not none %}, score {{ score }}{% endif %}.",
        ),
    },
    "broadcast": {
        "zh-CN": TemplateText("{{ title }}", "【{{ title }}】{{ body }}"),
        "en": TemplateText("{{ title }}", "[{{ title }}] {{ body }}"),
    },
}

# Helpers every template may use besides its own variables.
GLOBALS: dict[str, Any] = {"status_zh": STATUS_ZH}


class TemplateInvalid(ValueError):
    """A template that does not compile or render with its key's sample variables."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@lru_cache(maxsize=512)
def _compiled(text: str) -> Template:
    """Compiling is far dearer than rendering: each distinct text is compiled once."""
    return _ENV.from_string(text, globals=GLOBALS)


def render(text: str, context: dict[str, Any]) -> str:
    """Render one template string with `context` (unknown names raise)."""
    return _compiled(text).render(**context).strip()


def render_template(template: TemplateText, context: dict[str, Any]) -> TemplateText:
    """Render subject and body."""
    return TemplateText(render(template.subject, context), render(template.body, context))


def validate_template(key: str, locale: str, template: TemplateText) -> TemplateText:
    """Compile and render with the key's samples; return the sample rendering or raise."""
    if key not in SAMPLE_CONTEXT:
        raise TemplateInvalid("key", f"unknown template key {key!r}")
    if locale not in LOCALES:
        raise TemplateInvalid("locale", f"must be one of {', '.join(LOCALES)}")
    rendered = {}
    for field, text in (("subject", template.subject), ("body", template.body)):
        if not text.strip():
            raise TemplateInvalid(field, "must not be empty")
        try:
            rendered[field] = render(text, SAMPLE_CONTEXT[key])
        except TemplateError as exc:
            raise TemplateInvalid(field, f"{exc.__class__.__name__}: {exc}") from exc
        except (TypeError, ValueError, KeyError, AttributeError) as exc:
            raise TemplateInvalid(field, f"does not render: {exc}") from exc
    return TemplateText(rendered["subject"], rendered["body"])
