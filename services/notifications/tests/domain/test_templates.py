"""Default templates render to the expected zh-CN text; bad templates are refused when saved."""

from __future__ import annotations

import pytest

from grassroots.notifications.domain.templates import (
    DEFAULT_TEMPLATES,
    SAMPLE_CONTEXT,
    TemplateInvalid,
    TemplateText,
    render_template,
    validate_template,
)

EXPECTED_ZH = {
    "request_submitted": "您的诉求已登记，查询码JD7K2M9Q，承诺办结时间11月25日。",
    "request_accepted": "您的诉求（查询码JD7K2M9Q）已受理，正在办理。",
    "request_escalated": "您的诉求（查询码JD7K2M9Q）已报上级党组织协调解决。",
    "request_explained": (
        "您的诉求（查询码JD7K2M9Q）暂时无法解决，原因：请登录办理进度页面查看；预计12月1日前答复。"
    ),
    "request_resolved": "您的诉求（查询码JD7K2M9Q）已办结，欢迎凭查询码对办理结果进行评价。",
    "request_merged": (
        "您的诉求（查询码JD7K2M9Q）与其他群众反映的同一问题合并办理，可继续凭原查询码查看办理进展。"
    ),
    "request_assigned": "您有一件新的代办诉求（hukou），请于11月25日前办结。",
    "supervisor_overdue": "督办提醒：诉求（hukou）已超过办结时限11月25日。",
    "supervisor_escalated": "督办提醒：一件诉求（hukou）已上报本级（超时自动上报），请及时协调。",
    "request_extended": "您的诉求（查询码JD7K2M9Q）经批准延期办理，新的办结时间为12月5日。",
    "request_chased": "催办提醒：您办理的诉求（hukou）将于11月25日到期。",
    "supervisor_chased": "催办提醒：本单位诉求（hukou）将于11月25日到期。",
    "supervisor_supervised": "督办通知：下级单位的诉求（hukou）已超过时限11月25日，请督促办理。",
    "transfer_letter": "您的组织关系介绍信已开具，有效期至2027年2月20日。",
    "evaluation_result": "2026-Q4评议结果已公布：您的等次为优秀，得分92.5。",
    "broadcast": "【学习通知】本周五下午三时在党群服务中心集中学习。",
}


def test_every_key_has_an_expected_text() -> None:
    assert set(EXPECTED_ZH) == set(DEFAULT_TEMPLATES) == set(SAMPLE_CONTEXT)


@pytest.mark.parametrize("key", sorted(EXPECTED_ZH))
def test_default_zh_cn_text(key: str) -> None:
    rendered = render_template(DEFAULT_TEMPLATES[key]["zh-CN"], SAMPLE_CONTEXT[key])
    assert rendered.body == EXPECTED_ZH[key]


@pytest.mark.parametrize("key", sorted(EXPECTED_ZH))
def test_every_default_validates_in_both_locales(key: str) -> None:
    for locale, text in DEFAULT_TEMPLATES[key].items():
        validate_template(key, locale, text)


def test_an_unknown_variable_is_refused_at_save_time() -> None:
    with pytest.raises(TemplateInvalid) as caught:
        validate_template("request_accepted", "zh-CN", TemplateText("x", "{{ phone_number }}"))
    assert caught.value.field == "body"


def test_a_syntax_error_is_refused_at_save_time() -> None:
    with pytest.raises(TemplateInvalid) as caught:
        validate_template("request_accepted", "zh-CN", TemplateText("{% if %}", "ok"))
    assert caught.value.field == "subject"


def test_unknown_keys_and_locales_are_refused() -> None:
    with pytest.raises(TemplateInvalid) as caught:
        validate_template("no_such", "zh-CN", TemplateText("a", "b"))
    assert caught.value.field == "key"
    with pytest.raises(TemplateInvalid) as caught:
        validate_template("broadcast", "fr", TemplateText("a", "b"))
    assert caught.value.field == "locale"


def test_the_sandbox_refuses_attribute_tricks() -> None:
    evil = TemplateText("x", "{{ title.__class__.__mro__ }}")
    with pytest.raises(TemplateInvalid):
        validate_template("broadcast", "zh-CN", evil)
