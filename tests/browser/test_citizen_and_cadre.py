"""A citizen and cadres in a real browser: submit with a photo, handle, rate, reopen, explain."""

from __future__ import annotations

import io
import re
import secrets
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from grassroots.kit.testing.browser import DESKTOP, PHONE, Platform, Shots, new_page, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.timeout(900)]

VILLAGE = "230321100201"  # 鸡东镇东升村 of the demo county
SERVICE = "road-lighting"  # 村路路灯报修: members with the skill 电工 live in the village


def photo(tmp_path: Path) -> Path:
    """A small JPEG as a phone would send."""
    path = tmp_path / "lamp.jpg"
    Image.new("RGB", (640, 480), (200, 180, 40)).save(path, "JPEG")
    return path


def submit_as_citizen(
    browser: Any, platform: Platform, shots: Shots, tmp_path: Path, phone: str, text: str
) -> str:
    page = new_page(browser, PHONE)
    page.goto(f"{platform.portal}/submit")
    shots.take(page, "submit-form")
    page.select_option("#area_code", VILLAGE)
    page.select_option("#service_code", SERVICE)
    page.fill("#description", text)
    page.set_input_files("#photo", str(photo(tmp_path)))
    page.fill("#citizen_name", "王秀英")
    page.fill("#citizen_phone", phone)
    page.click("#submit-form button[type=submit]")
    code = str(page.locator("#tracking-code").inner_text()).strip()
    assert re.fullmatch(r"[A-Z0-9-]{8,16}", code), code
    shots.take(page, "submitted")
    page.context.close()
    return code


def open_in_queue(page: Any, platform: Platform, code: str) -> str:
    """The request with this tracking code in the cadre's queue; its id."""
    page.goto(f"{platform.portal}/work?tab=new")
    item = page.locator("[data-request-id]", has_text=code)
    item.wait_for()
    request_id = str(item.get_attribute("data-request-id"))
    item.locator("a").click()
    page.wait_for_url(re.compile(rf".*/work/requests/{request_id}$"))
    return request_id


def act(page: Any, action: str) -> None:
    page.click(f'button[name="action"][value="{action}"]')
    page.wait_for_url(re.compile(rf".*done={action}$"))


def member_account(platform: Platform, member_id: str) -> str:
    """The organisation department gives the chosen member an account (API of issue Sign-in)."""
    username = f"member-{secrets.token_hex(3)}"
    password = secrets.token_urlsafe(14)
    answer = httpx.post(
        f"{platform.portal}/v1/accounts",
        headers={"Authorization": f"Bearer {platform.api_token('jidong-admin')}"},
        json={
            "username": username,
            "password": password,
            "display_name": "路灯维修党员",
            "role": "member",
            "org": VILLAGE,
            "member_id": member_id,
        },
        timeout=30,
    )
    assert answer.status_code == 201, answer.text
    platform.passwords[username] = password
    return username


def test_a_citizen_submits_a_cadre_assigns_a_member_resolves_and_the_citizen_reopens(
    browser: Any, platform: Platform, shots: Shots, tmp_path: Path
) -> None:
    phone = f"139{secrets.randbelow(10**8):08d}"
    code = submit_as_citizen(
        browser, platform, shots, tmp_path, phone, "村东头第三根路灯不亮了，晚上路黑。"
    )

    cadre = new_page(browser, DESKTOP)
    sign_in(cadre, platform, "jidong-cadre")
    shots.take(cadre, "queue")
    request_id = open_in_queue(cadre, platform, code)
    assert cadre.locator("img[alt]").count() == 1  # the citizen's photo
    shots.take(cadre, "request-new")
    act(cadre, "accept")
    options = cadre.locator("#handler_member_id option")
    assert options.count() >= 1, "no member suggested for the skill 电工"
    member_id = str(options.first.get_attribute("value"))
    cadre.select_option("#handler_member_id", member_id)
    shots.take(cadre, "request-assign")
    act(cadre, "assign")
    assert cadre.locator("#status").get_attribute("data-status") == "assigned"

    member = new_page(browser, PHONE)
    sign_in(member, platform, member_account(platform, member_id))
    member.goto(f"{platform.portal}/work/requests/{request_id}")
    act(member, "start")
    member.fill("#resolution", "已更换灯泡，路灯恢复照明。")
    shots.take(member, "member-resolve")
    act(member, "resolve")
    assert member.locator("#status").get_attribute("data-status") == "resolved"

    citizen = new_page(browser, PHONE)
    citizen.goto(f"{platform.portal}/track?code={code}")
    assert citizen.locator("#status").get_attribute("data-status") == "resolved"
    shots.take(citizen, "track-resolved")
    citizen.fill("#phone_last4", phone[-4:])
    citizen.check('input[name="rating"][value="unsatisfied"]')
    citizen.fill("#comment", "灯还是时亮时不亮。")
    citizen.click("#feedback-form button[type=submit]")
    citizen.wait_for_load_state()
    assert "done=unsatisfied" in citizen.url, citizen.locator("main").inner_text()
    assert citizen.locator("#status").get_attribute("data-status") == "reopened"
    shots.take(citizen, "track-reopened")

    cadre.goto(f"{platform.portal}/work/requests/{request_id}")
    assert cadre.locator("#status").get_attribute("data-status") == "reopened"


def test_an_explained_request_shows_its_explanation_and_date_to_the_citizen(
    browser: Any, platform: Platform, shots: Shots, tmp_path: Path
) -> None:
    phone = f"138{secrets.randbelow(10**8):08d}"
    code = submit_as_citizen(
        browser, platform, shots, tmp_path, phone, "村口路灯线路老化，需要整条线路改造。"
    )
    cadre = new_page(browser, PHONE)
    sign_in(cadre, platform, "jidong-cadre")
    open_in_queue(cadre, platform, code)
    act(cadre, "accept")
    cadre.click("#act-explain summary")  # the less common actions fold away
    cadre.fill("#explanation", "线路改造需列入明年乡镇预算，先安排临时照明。")
    cadre.fill("#expected_by", "2027-03-31")
    shots.take(cadre, "request-explain")
    act(cadre, "explain")

    citizen = new_page(browser, PHONE)
    citizen.goto(f"{platform.portal}/track?code={code}")
    assert citizen.locator("#status").get_attribute("data-status") == "explained"
    assert "明年乡镇预算" in citizen.locator("#explanation").inner_text()
    assert citizen.locator("#expected-by").inner_text() == "2027年3月31日"
    shots.take(citizen, "track-explained")


def test_pages_are_chinese_and_ask_no_other_host(browser: Any, platform: Platform) -> None:
    page = new_page(browser, PHONE)
    hosts: set[str] = set()
    page.on("request", lambda r: hosts.add(httpx.URL(r.url).host))
    for path in ("/", "/guide", "/submit", "/track", "/login"):
        answer = page.goto(f"{platform.portal}{path}")
        assert answer is not None and answer.status == 200, path
        assert page.locator("html").get_attribute("lang") == "zh-CN"
        assert "230321" not in page.locator("main").inner_text(), f"a code shown on {path}"
    assert hosts == {"127.0.0.1"}
    body = io.StringIO(page.content())
    assert "cdn" not in body.getvalue().lower()


def test_a_service_with_extra_questions_asks_them_and_names_what_is_missing(
    browser: Any, platform: Platform, shots: Shots
) -> None:
    page = new_page(browser, PHONE)
    page.goto(f"{platform.portal}/submit")
    page.select_option("#area_code", VILLAGE)
    page.select_option("#service_code", "dibao-proxy")  # 低保申请代办 asks 家庭人口数
    question = page.locator("#attr-dibao-proxy-household_size")
    assert question.is_visible()
    assert not page.locator("#attr-roof-leak-room").is_visible()  # other services' questions
    page.fill("#description", "老人独居，收入很少，想申请低保。")
    page.fill("#citizen_name", "李桂兰")
    page.fill("#citizen_phone", "13700001234")
    page.click("#submit-form button[type=submit]")
    assert "家庭人口数" in page.locator("#error").inner_text()  # the missing answer, named
    assert page.locator(".field.bad #attr-dibao-proxy-household_size").count() == 1
    assert page.locator("#description").input_value() == "老人独居，收入很少，想申请低保。"
    shots.take(page, "submit-missing-answer")
    page.fill("#attr-dibao-proxy-household_size", "2")
    page.click("#submit-form button[type=submit]")
    assert page.locator("#tracking-code").is_visible()


def test_the_demo_accounts_sign_in_and_see_demo_requests_in_every_state(
    browser: Any, platform: Platform, shots: Shots
) -> None:
    page = new_page(browser, DESKTOP)
    sign_in(page, platform, "jidong-admin")
    seen: set[str] = set()
    for tab in ("todo", "explained", "done"):
        page.goto(f"{platform.portal}/work?tab={tab}")
        seen |= {
            str(s)
            for s in page.locator("[data-request-id]").evaluate_all(
                "items => items.map(i => i.dataset.status)"
            )
        }
    shots.take(page, "queue-done")
    every = {"submitted", "accepted", "assigned", "in_progress", "escalated", "explained"}
    assert every | {"resolved", "closed", "reopened"} <= seen, seen
    for username in ("jidong-cadre", "jidong-viewer", "jidong-member"):
        other = new_page(browser, PHONE)
        sign_in(other, platform, username)
        assert other.locator("h1").inner_text().startswith("工作台")
        other.context.close()
