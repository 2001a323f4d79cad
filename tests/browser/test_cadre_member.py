"""Grassroots workers, members and the public pages in a real browser.

A cadre broadcasts and the notice reaches a member's inbox; a proxy agent takes a need for
a villager and logs a household visit whose finding becomes a request; the board, documents
and stories show names in Chinese, never codes; a member's commitment reaches the board
without their name when they did not consent; transfer letters and floating members.
"""

from __future__ import annotations

import gzip
import re
import secrets
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from grassroots.kit.testing.browser import DESKTOP, PHONE, Platform, Shots, new_page, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.timeout(900)]

VILLAGE = "230321100201"  # 鸡东镇东升村
COMMUNITY = "230321100001"  # 鸡东镇城东社区: the in-service demo member checked in there
SERVICE = "road-lighting"
DOCUMENT = "鸡东县村级为民服务全程代办制度（试行）"
STORY = "鸡东镇东升村：“三访”走进农家，小事不出村"


def until(page: Any, url: str, ready: Callable[[], bool], tries: int = 120) -> None:
    """Load `url` again until `ready()` (what another service does arrives in its own time)."""
    for _ in range(tries):
        page.goto(url)
        if ready():
            return
        page.wait_for_timeout(500)
    raise AssertionError(
        f"{url} never showed what was expected:\n{page.locator('main').inner_text()}"
    )


def main_text(page: Any) -> str:
    return str(page.locator("main").inner_text())


def no_codes(page: Any) -> None:
    text = main_text(page)
    assert not re.search(r"\d{12}", text), f"an area code on {page.url}:\n{text}"


def test_a_cadres_broadcast_reaches_a_members_inbox(
    browser: Any, platform: Platform, shots: Shots
) -> None:
    title = f"支部主题党日通知 {secrets.token_hex(2)}"
    cadre = new_page(browser, DESKTOP)
    sign_in(cadre, platform, "jidong-cadre")
    cadre.click("header nav a[href='/cadre']")
    cadre.wait_for_url(re.compile(r".*/cadre$"))
    shots.take(cadre, "cadre-hub")
    cadre.click("#go-broadcasts")
    cadre.select_option("#org_unit_id", label="鸡东镇东升村")
    cadre.fill("#title", title)
    cadre.fill("#body", "本周六上午九时在村党群服务中心过主题党日，请准时参加。")
    shots.take(cadre, "broadcast-form")
    cadre.click("#broadcast-form button[type=submit]")
    cadre.wait_for_url(re.compile(r".*/cadre/broadcasts\?done=broadcast$"))
    assert cadre.locator("#notice").is_visible()
    assert cadre.locator("#broadcasts li", has_text=title).count() == 1
    shots.take(cadre, "broadcast-sent")

    # The member reads it on a phone without JavaScript: every form works as plain HTML.
    member = new_page(browser, PHONE, java_script_enabled=False)
    sign_in(member, platform, "jidong-member")
    member.click("header nav a[href='/me']")
    message = member.locator("#inbox li", has_text=title)
    until(member, f"{platform.portal}/me", lambda: message.count() == 1)
    assert message.get_attribute("data-read") == "no"
    assert "本周六上午九时" in message.inner_text()
    shots.take(member, "inbox-unread")
    message.locator("button[type=submit]").click()
    member.wait_for_url(re.compile(r".*/me\?done=read$"))
    assert member.locator("#inbox li", has_text=title).get_attribute("data-read") == "yes"
    shots.take(member, "inbox-read")
    desktop = new_page(browser, DESKTOP)
    sign_in(desktop, platform, "jidong-member")
    desktop.goto(f"{platform.portal}/me")
    shots.take(desktop, "inbox-read")

    # A member is no cadre: the cadre's pages refuse them.
    refused = member.goto(f"{platform.portal}/cadre/broadcasts")
    assert refused is not None and refused.status == 403


def test_a_proxy_agent_takes_a_need_for_a_villager_and_a_visit_finding_becomes_a_request(
    browser: Any, platform: Platform, shots: Shots
) -> None:
    agent = new_page(browser, PHONE)
    sign_in(agent, platform, "jidong-cadre")
    agent.goto(f"{platform.portal}/cadre/intake")
    shots.take(agent, "intake-form")
    agent.check("#channel-proxy_point")
    agent.select_option("#area_code", VILLAGE)
    agent.select_option("#service_code", SERVICE)
    agent.fill("#description", "村民李大爷家门口路灯坏了一个月，老人晚上出门不便。")
    agent.fill("#citizen_name", "李福")
    agent.fill("#citizen_phone", f"137{secrets.randbelow(10**8):08d}")
    agent.check("#door_to_door")
    agent.click("#intake-form button[type=submit]")
    code = agent.locator("#tracking-code").inner_text().strip()
    assert re.fullmatch(r"[A-Z0-9-]{8,16}", code), code
    assert agent.locator("#channel").get_attribute("data-channel") == "proxy_point"
    shots.take(agent, "intake-taken")
    agent.click("#open-request")
    assert agent.locator("#status").get_attribute("data-status") == "submitted"
    assert "代办点" in main_text(agent)
    agent.goto(f"{platform.portal}/work?tab=new")
    assert agent.locator("[data-request-id]", has_text=code).count() == 1

    # 三访: a home visit whose finding becomes a request with the channel "visit".
    agent.goto(f"{platform.portal}/cadre/visits")
    visitor = agent.locator("#visitor_member_id option:not([value=''])").first
    visitor_name = str(visitor.inner_text()).split(" · ")[0]
    agent.select_option("#visitor_member_id", str(visitor.get_attribute("value")))
    agent.check("#kind-home")
    agent.select_option("#area_code", VILLAGE)
    agent.fill("#household", "东升村三组 赵家")
    agent.fill("#notes", "老两口身体尚好，反映村道灯不亮。")
    agent.check("#found_problem")
    agent.select_option("#service_code", SERVICE)
    agent.fill("#description", "三组村道两盏路灯不亮。")
    shots.take(agent, "visit-form")
    agent.click("#visit-form button[type=submit]")
    logged = agent.locator("#visit-logged")
    assert "上门家访" in logged.inner_text()
    assert logged.locator(".visit-request").count() == 1
    shots.take(agent, "visit-logged")
    logged.locator(".visit-request").click()
    assert agent.locator("#status").get_attribute("data-status") == "submitted"
    assert "走访" in agent.locator(".facts").inner_text()

    summary = new_page(browser, DESKTOP)
    sign_in(summary, platform, "jidong-cadre")
    summary.goto(f"{platform.portal}/cadre/visits/summary")
    row = summary.locator("#summary tbody tr", has_text=visitor_name)
    assert row.count() == 1, main_text(summary)
    assert "上门家访" in row.inner_text()
    no_codes(summary)
    shots.take(summary, "visit-summary")
    agent.goto(f"{platform.portal}/cadre/visits/summary")
    shots.take(agent, "visit-summary")

    # The floating member of 红星村 went to Shenzhen: the province is named, not coded.
    summary.goto(f"{platform.portal}/cadre/floating")
    assert "广东省" in summary.locator("#floating").inner_text()
    no_codes(summary)
    shots.take(summary, "floating")


def test_the_public_pages_show_names_in_chinese_and_a_cadre_publishes_a_story(
    browser: Any, platform: Platform, shots: Shots
) -> None:
    for viewport in (PHONE, DESKTOP):
        page = new_page(browser, viewport)
        page.goto(f"{platform.portal}/documents")
        assert page.locator("html").get_attribute("lang") == "zh-CN"
        document = page.locator("#publications li", has_text=DOCUMENT)
        assert document.count() == 1
        assert document.locator(".publisher").inner_text().startswith("鸡东县")
        no_codes(page)
        shots.take(page, "documents")
        document.locator("a").click()
        assert "代办点" in page.locator("#publication").inner_text()
        no_codes(page)
        shots.take(page, "document")
        page.goto(f"{platform.portal}/stories")
        story = page.locator("#publications li", has_text=STORY)
        assert story.locator(".publisher").inner_text().startswith("鸡东镇")
        no_codes(page)
        shots.take(page, "stories")
        page.goto(f"{platform.portal}/board?area={COMMUNITY}")
        board = page.locator("#board")
        checked_in = board.locator("[data-kind=check_in]")
        assert checked_in.count() >= 1
        assert "在职党员" in checked_in.first.inner_text()  # the member consented: named
        assert "城东社区" in checked_in.first.inner_text()
        assert board.locator("[data-kind=commitment]", has_text="每月走访社区困难家庭两户").count()
        no_codes(page)
        shots.take(page, "board")

    cadre = new_page(browser, DESKTOP)
    sign_in(cadre, platform, "jidong-cadre")
    cadre.goto(f"{platform.portal}/publish?kind=story")
    title = f"红星村代办员的一天 {secrets.token_hex(2)}"
    cadre.select_option("#area_code", "230321100202")
    cadre.fill("#title", title)
    cadre.fill("#body", "早上七点，代办员老张骑车到镇里，替五户村民办好了医保和低保手续。")
    shots.take(cadre, "publish-form")
    cadre.click("#publish-form button[type=submit]")
    cadre.wait_for_url(re.compile(r".*/stories\?area=230321100202&done=published$"))
    published = cadre.locator("#publications li", has_text=title)
    assert published.locator(".publisher").inner_text().startswith("鸡东镇红星村")
    shots.take(cadre, "story-published")
    # Outside the cadre's township the service refuses, and the page says so in Chinese.
    cadre.goto(f"{platform.portal}/publish")
    cadre.evaluate(
        "document.querySelector('#area_code').add(new Option('x', '230321102000', true, true))"
    )
    cadre.fill("#title", "越权发布")
    cadre.fill("#body", "不应发布。")
    cadre.click("#publish-form button[type=submit]")
    assert "管辖范围" in cadre.locator("#error").inner_text()
    anonymous = new_page(browser, PHONE)
    anonymous.goto(f"{platform.portal}/stories?area=230321102000")
    assert anonymous.locator("#publications li", has_text="越权发布").count() == 0
    anonymous.goto(f"{platform.portal}/stories?lang=en")
    assert anonymous.locator("h1").inner_text().startswith("Experience stories")


def test_a_members_commitment_reaches_the_board_without_a_name_they_did_not_share(
    browser: Any, platform: Platform, shots: Shots
) -> None:
    member = new_page(browser, PHONE)
    sign_in(member, platform, "jidong-member")
    member.goto(f"{platform.portal}/me/service")
    # jidong-member belongs to 东升村 itself: no residence check-in is offered.
    assert member.locator("#checkin-form").count() == 0
    promise = f"每周帮村里两户老人代买药品（{secrets.token_hex(2)}）"
    member.fill("#text", promise)
    member.click("#commitment-form button[type=submit]")
    member.wait_for_url(re.compile(r".*/me/service\?done=commitment$"))
    assert member.locator("#commitments", has_text=promise).count() == 1
    shots.take(member, "member-service")
    name = member.locator("h1").inner_text().split(" ")[0]

    public = new_page(browser, PHONE)
    item = public.locator("#board [data-kind=commitment]", has_text=promise)
    until(public, f"{platform.portal}/board?area={VILLAGE}", lambda: item.count() == 1)
    assert name not in item.inner_text()
    assert "一位党员" in item.inner_text()
    no_codes(public)
    shots.take(public, "board-commitment")


def test_the_organisation_department_accepts_an_incoming_transfer_letter(
    browser: Any, platform: Platform, shots: Shots
) -> None:
    admin = httpx.Client(
        base_url=platform.url("members"),
        headers={"Authorization": f"Bearer {platform.api_token('jidong-admin')}"},
        timeout=30,
    )
    units = admin.get("/v1/org-units", params={"limit": 500}).raise_for_status().json()["items"]
    by_area = {u["area_code"]: u["id"] for u in units}
    members = admin.get(
        "/v1/members", params={"org_unit": by_area["230321102201"], "limit": 50}
    ).raise_for_status()
    mover = next(m for m in members.json()["items"] if not m["floating"])
    letter = admin.post(
        f"/v1/members/{mover['id']}/transfers",
        json={"to_org_unit_id": by_area["230321104201"], "reason": "婚后随配偶迁居永安村"},
    )
    assert letter.status_code == 201, letter.text

    cadre = new_page(browser, PHONE)
    sign_in(cadre, platform, "jidong-cadre")  # 鸡东镇: neither side of this letter
    cadre.goto(f"{platform.portal}/cadre/transfers")
    assert cadre.locator(f"[data-transfer-id='{letter.json()['id']}']").count() == 0

    page = new_page(browser, DESKTOP)
    sign_in(page, platform, "jidong-admin")
    page.goto(f"{platform.portal}/cadre/transfers")
    row = page.locator(f"[data-transfer-id='{letter.json()['id']}']")
    assert mover["name"] in row.inner_text()
    assert "向阳镇向阳村 → 永安镇永安村" in row.inner_text()
    no_codes(page)
    shots.take(page, "transfers")
    row.locator("input[name=note]").fill("已收到介绍信")
    row.locator("button[value=accept]").click()
    page.wait_for_url(re.compile(r".*done=accept$"))
    row = page.locator(f"[data-transfer-id='{letter.json()['id']}']")
    assert row.get_attribute("data-status") == "accepted"
    shots.take(page, "transfer-accepted")
    moved = admin.get(f"/v1/members/{mover['id']}").raise_for_status().json()
    assert moved["org_unit_id"] == by_area["230321104201"]


def test_every_form_of_these_pages_needs_the_sessions_csrf_token(
    browser: Any, platform: Platform
) -> None:
    forms = {
        "jidong-cadre": [
            "/cadre/intake",
            "/cadre/visits",
            "/cadre/broadcasts",
            "/cadre/transfers/any",
            "/publish",
        ],
        "jidong-member": ["/me/inbox/any/read", "/me/checkin", "/me/posts", "/me/commitments"],
    }
    for username, paths in forms.items():
        page = new_page(browser, DESKTOP)
        sign_in(page, platform, username)
        cookies = {c["name"]: c["value"] for c in page.context.cookies()}
        page.goto(
            f"{platform.portal}/cadre" if username == "jidong-cadre" else f"{platform.portal}/me"
        )
        token = str(page.locator("input[name=csrf_token]").first.get_attribute("value"))
        with httpx.Client(base_url=platform.portal, cookies=cookies, timeout=30) as client:
            for path in paths:
                same_site = {"Origin": platform.portal}
                missing = client.post(path, data={"title": "x"}, headers=same_site)
                assert missing.status_code == 403, (path, missing.status_code)
                assert "表单已经失效" in missing.text
                forged = client.post(
                    path, data={"csrf_token": token}, headers={"Origin": "http://evil.example"}
                )
                assert forged.status_code == 403, (path, forged.status_code)


def test_the_new_pages_pass_axe_and_weigh_under_100_kb(browser: Any, platform: Platform) -> None:
    from axe_playwright_python.sync_playwright import Axe

    def serious(page: Any) -> list[str]:
        results = Axe().run(page)
        return [
            f"{v['id']} ({v['impact']}): {v['help']} x{len(v['nodes'])}"
            for v in results.response["violations"]
            if v.get("impact") in ("serious", "critical")
        ]

    found: dict[str, list[str]] = {}
    pages = {
        None: ["/board", f"/board?area={COMMUNITY}", "/documents", "/stories"],
        "jidong-cadre": [
            "/cadre",
            "/cadre/intake",
            "/cadre/visits",
            "/cadre/visits/summary",
            "/cadre/broadcasts",
            "/cadre/transfers",
            "/cadre/floating",
            "/publish",
        ],
        "jidong-member": ["/me", "/me/service"],
    }
    weights: dict[str, int] = {}
    for username, paths in pages.items():
        page = new_page(browser, PHONE)
        if username:
            sign_in(page, platform, username)
        for path in paths:
            answer = page.goto(f"{platform.portal}{path}")
            assert answer is not None and answer.status == 200, path
            found[path] = serious(page)
            weights[path] = len(gzip.compress(page.content().encode()))
    assert {path: f for path, f in found.items() if f} == {}
    with httpx.Client(base_url=platform.portal, timeout=30) as client:
        css = len(gzip.compress(client.get("/static/site.css").content))
    assert {p: w + css for p, w in weights.items() if w + css >= 100 * 1024} == {}


def test_an_in_service_member_checks_in_at_the_community_and_claims_a_post(
    browser: Any, platform: Platform, shots: Shots
) -> None:
    from datetime import date

    from grassroots.members.domain.identity import make_id_number

    token = platform.api_token("jidong-admin")
    headers = {"Authorization": f"Bearer {token}"}
    members = httpx.Client(base_url=platform.url("members"), headers=headers, timeout=30)
    units = members.get("/v1/org-units", params={"limit": 500}).raise_for_status().json()
    town = next(u["id"] for u in units["items"] if u["area_code"] == "230321100000")
    serial = secrets.randbelow(400) + 100
    name = f"孙立新{serial}"
    registered = members.post(
        "/v1/members",
        json={
            "name": name,
            "gender": "male",
            "id_number": make_id_number(date(1986, 5, 4), serial),
            "phone": f"1390452{serial:04d}",
            "org_unit_id": town,
            "stage": "full",
            "joined_at": "2010-07-01",
            "in_service": True,
            "work_unit": "鸡东镇中心学校",
            "public_name_consent": True,
        },
    )
    assert registered.status_code == 201, registered.text
    username = f"member-{secrets.token_hex(3)}"
    password = secrets.token_urlsafe(14)
    account = httpx.post(
        f"{platform.portal}/v1/accounts",
        headers=headers,
        json={
            "username": username,
            "password": password,
            "display_name": name,
            "role": "member",
            "org": "230321100000",
            "member_id": registered.json()["id"],
        },
        timeout=30,
    )
    assert account.status_code == 201, account.text
    platform.passwords[username] = password

    page = new_page(browser, PHONE)
    sign_in(page, platform, username)
    page.goto(f"{platform.portal}/me/service")
    page.select_option("#community_org_unit_id", label="鸡东镇城东社区")
    page.click("#checkin-form button[type=submit]")
    page.wait_for_url(re.compile(r".*done=checkin$"))
    assert "城东社区" in page.locator("#checked-in").inner_text()
    page.fill("#title", "环境卫生监督员")
    page.fill("#post_description", "每周六清理楼道杂物")
    page.click("#post-form button[type=submit]")
    page.wait_for_url(re.compile(r".*done=post$"))
    assert "环境卫生监督员" in page.locator("#posts").inner_text()
    shots.take(page, "checked-in")

    public = new_page(browser, DESKTOP)
    post = public.locator("#board [data-kind=post_claimed]", has_text="环境卫生监督员")
    until(public, f"{platform.portal}/board?area={COMMUNITY}", lambda: post.count() == 1)
    assert name in post.inner_text()  # consented: named
    checked = public.locator("#board [data-kind=check_in]", has_text=name)
    assert checked.count() == 1
    no_codes(public)
    shots.take(public, "board-check-in")
