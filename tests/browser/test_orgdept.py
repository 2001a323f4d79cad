"""The organisation department in a real browser: registry, import, statistics, rankings,
reviews and accounts, on the platform `make run` starts (SQLite, then PostgreSQL)."""

from __future__ import annotations

import csv
import gzip
import io
import re
import secrets
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest

from grassroots.kit.testing.browser import DESKTOP, PHONE, Platform, Shots, new_page, sign_in
from grassroots.members.domain.identity import make_id_number

pytestmark = [pytest.mark.browser, pytest.mark.timeout(900)]

VILLAGE = "230321100201"  # 鸡东镇东升村
VILLAGE_NAME = "鸡东镇东升村"
ORG_PAGES = (
    "/org",
    "/org/members",
    "/org/import",
    "/org/stats",
    "/org/rankings",
    "/org/reviews",
    "/org/accounts",
)
HEADER = ["姓名", "性别", "出生日期", "身份证号", "手机号", "所在党组织", "人员类别", "入党日期"]


def chinese_name() -> str:
    """A made-up name, different on each run (the registry keeps what earlier tests wrote)."""
    return secrets.choice("赵钱孙李周吴郑王冯陈") + "".join(
        secrets.choice("建国明华丽芳强军平安春秋海燕志刚") for _ in range(2)
    )


def spreadsheet(tmp_path: Path, rows: list[list[str]]) -> Path:
    """A CSV as Excel in China saves it: GB18030."""
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(HEADER)
    writer.writerows(rows)
    path = tmp_path / "党员名册.csv"
    path.write_bytes(text.getvalue().encode("gb18030"))
    return path


def member_row(name: str, born: date, unit: str, *, id_number: str | None = None) -> list[str]:
    serial = secrets.randbelow(400) + 100
    return [
        name,
        "男",
        f"{born:%Y-%m-%d}",
        id_number or make_id_number(born, serial),
        f"139{secrets.randbelow(10**8):08d}",
        unit,
        "正式党员",
        "2010-07-01",
    ]


def names_in_unit(platform: Platform, area_code: str) -> set[str]:
    """Names of the unit's members, read through the members API with the admin's token."""
    headers = {"Authorization": f"Bearer {platform.api_token('jidong-admin')}"}
    units = httpx.get(
        f"{platform.url('members')}/v1/org-units",
        params={"limit": 500},
        headers=headers,
        timeout=30,
    ).json()["items"]
    unit_id = next(u["id"] for u in units if u["area_code"] == area_code)
    names: set[str] = set()
    cursor = None
    while True:
        page = httpx.get(
            f"{platform.url('members')}/v1/members",
            params={"org_unit": unit_id, "limit": 200, **({"cursor": cursor} if cursor else {})},
            headers=headers,
            timeout=30,
        ).json()
        names.update(m["name"] for m in page["items"])
        cursor = page.get("next_cursor")
        if not cursor:
            return names


def upload(page: Any, platform: Platform, path: Path) -> None:
    page.goto(f"{platform.portal}/org/import")
    page.set_input_files("#file", str(path))
    page.click("#import-form button[type=submit]")
    page.wait_for_load_state()


def test_the_department_imports_a_spreadsheet_with_one_bad_row_and_sees_it_before_confirming(
    browser: Any, platform: Platform, shots: Shots, tmp_path: Path
) -> None:
    good = [chinese_name() + "甲", chinese_name() + "乙"]
    bad = chinese_name() + "丙"
    born = date(1975, 3, 14)
    wrong_check_digit = make_id_number(born, 321)[:-1]
    wrong_check_digit += "0" if make_id_number(born, 321)[-1] != "0" else "1"
    path = spreadsheet(
        tmp_path,
        [
            member_row(good[0], date(1968, 5, 2), VILLAGE),
            member_row(bad, born, "中共鸡东镇东升村支部委员会", id_number=wrong_check_digit),
            member_row(good[1], date(1990, 11, 23), "中共鸡东镇东升村支部委员会"),
        ],
    )

    desktop = new_page(browser, DESKTOP)
    sign_in(desktop, platform, "jidong-admin")
    desktop.goto(f"{platform.portal}/org/import")
    shots.take(desktop, "import-form")
    upload(desktop, platform, path)
    # The preview names the bad row (data row 2), its column and a Chinese reason...
    errors = desktop.locator("#row-errors tbody tr")
    assert errors.count() == 1, desktop.locator("main").inner_text()
    assert errors.first.get_attribute("data-row") == "2"
    assert "身份证号" in errors.first.inner_text()
    assert re.search(r"[\u4e00-\u9fff]", errors.first.locator("td").nth(2).inner_text())
    assert desktop.locator("#accepted-count").inner_text() == "2"
    assert "尚未写入" in desktop.locator("#summary").inner_text()
    shots.take(desktop, "import-preview")
    # ...and nothing is written before the confirmation.
    assert not set(good) & names_in_unit(platform, VILLAGE)

    phone = new_page(browser, PHONE)
    sign_in(phone, platform, "jidong-admin")
    upload(phone, platform, path)
    assert phone.locator("#row-errors tbody tr").count() == 1
    shots.take(phone, "import-preview")
    again = {
        name: str(phone.locator(f'#confirm-form input[name="{name}"]').input_value())
        for name in ("csrf_token", "key")
    }
    phone.click("#confirm")
    phone.wait_for_load_state()
    assert phone.locator("#imported-count").inner_text() == "2", phone.locator("main").inner_text()
    assert phone.locator("#row-errors tbody tr").first.get_attribute("data-row") == "2"
    shots.take(phone, "import-done")

    registry = names_in_unit(platform, VILLAGE)
    assert set(good) <= registry
    assert bad not in registry

    # A preview is confirmed once: the upload is dropped after the import.
    twice = phone.context.request.post(
        f"{platform.portal}/org/import/confirm", form=again, headers={"Origin": platform.portal}
    )
    assert twice.status == 410
    assert "已过期或已经导入过" in twice.text()
    assert names_in_unit(platform, VILLAGE) == registry


def test_the_registry_masks_personal_data_and_a_reveal_needs_a_reason_and_is_recorded(
    browser: Any, platform: Platform, shots: Shots
) -> None:
    for viewport in (DESKTOP, PHONE):
        page = new_page(browser, viewport)
        sign_in(page, platform, "jidong-admin")
        page.goto(f"{platform.portal}/org/members")
        page.select_option("#org_unit", label=VILLAGE_NAME)
        page.click("#member-search button[type=submit]")
        page.wait_for_load_state()
        rows = page.locator("#members tbody tr")
        assert rows.count() >= 1
        assert "230321" not in page.locator("main").inner_text()
        shots.take(page, "registry")
        rows.first.locator("a").click()
        page.wait_for_url(re.compile(r".*/org/members/[^/]+$"))
        masked = page.locator("#masked-id-number").inner_text()
        assert "*" in masked and not re.fullmatch(r"\d{17}[\dX]", masked), masked
        reason = f"核对组织关系转接材料{secrets.token_hex(2)}"
        page.fill("#reason", reason)
        shots.take(page, "member")
        page.click("#reveal-form button[type=submit]")
        page.wait_for_load_state()
        shown = page.locator("#revealed-id-number").inner_text()
        assert re.fullmatch(r"\d{17}[\dX]", shown), shown
        assert shown[-4:] == masked[-4:]
        assert reason in page.locator("#pii-reads").inner_text()  # the service's audit trail
        shots.take(page, "member-revealed")
        # Shown once: the member's page opened again is masked.
        page.goto(page.url.removesuffix("/reveal"))
        assert page.locator("#revealed").count() == 0
        assert reason in page.locator("#pii-reads").inner_text()
        page.context.close()


def test_structure_statistics_and_rankings_with_chart_downloads_and_publishing(
    browser: Any, platform: Platform, shots: Shots
) -> None:
    for viewport in (PHONE, DESKTOP):
        page = new_page(browser, viewport)
        sign_in(page, platform, "jidong-admin")
        page.goto(f"{platform.portal}/org/stats")
        assert int(page.locator("#total").inner_text()) > 0
        children = page.locator("#children tbody").inner_text()
        assert "鸡东镇" in children and "向阳镇" in children
        assert "230321" not in page.locator("main").inner_text()
        shots.take(page, "stats")

        page.goto(f"{platform.portal}/org/rankings")
        assert page.locator("#ranking tbody tr").count() == 3  # the county's three townships
        table = page.locator("#ranking").inner_text()
        assert "鸡东镇" in table and "230321" not in table
        page.locator("#ranking-chart").scroll_into_view_if_needed()
        page.wait_for_function("document.querySelector('#ranking-chart').naturalWidth > 0")
        shots.take(page, "rankings")
        page.context.close()

    page = new_page(browser, DESKTOP)
    sign_in(page, platform, "jidong-admin")
    page.goto(f"{platform.portal}/org/rankings")
    chart_src = page.locator("#ranking-chart").get_attribute("src")
    chart = page.context.request.get(f"{platform.portal}{chart_src}")
    assert chart.status == 200 and chart.headers["content-type"] == "image/png"
    for link in page.locator("#downloads a").all():
        answer = page.context.request.get(f"{platform.portal}{link.get_attribute('href')}")
        assert answer.status == 200, link.get_attribute("href")
    export = page.context.request.get(
        f"{platform.portal}" + str(page.locator("#downloads a").nth(1).get_attribute("href"))
    )
    assert "排名" in export.body().decode("utf-8-sig")
    assert "鸡东镇" in export.body().decode("utf-8-sig")
    # Without the session, the proxied files are not there.
    anonymous = httpx.get(
        f"{platform.portal}" + str(page.locator("#downloads a").nth(1).get_attribute("href")),
        timeout=30,
    )
    assert anonymous.status_code == 303

    # A period nobody published yet: publish it, the page says so; publishing again says why not.
    page.select_option("#period", index=2)
    page.click("#ranking-form button[type=submit]")
    page.wait_for_load_state()
    assert page.locator("#published").get_attribute("data-published") == "no"
    page.click("#publish")
    page.wait_for_url(re.compile(r".*done=published.*"))
    assert page.locator("#published").get_attribute("data-published") == "yes"
    assert "第1版" in page.locator("#published").inner_text()
    shots.take(page, "ranking-published")
    page.click("#publish")
    page.wait_for_load_state()
    assert "不需要再次公示" in page.locator("#error").inner_text()


def test_a_review_is_opened_and_a_score_recorded(
    browser: Any, platform: Platform, shots: Shots
) -> None:
    page = new_page(browser, PHONE)
    sign_in(page, platform, "jidong-admin")
    page.goto(f"{platform.portal}/org/reviews")
    page.select_option("#org_unit_id", label=VILLAGE_NAME)
    page.select_option("#period", index=1)
    shots.take(page, "reviews")
    page.click("#review-form button[type=submit]")
    page.wait_for_url(re.compile(r".*/org/reviews/[^/?]+\?done=opened$"))
    review_id = page.locator("#review-id").inner_text()
    member = page.locator("#member_id option").first
    name = member.inner_text()
    page.select_option("#part", "org")
    page.fill("#score", "92")
    page.click("#score-form button[type=submit]")
    page.wait_for_url(re.compile(r".*done=scored$"))
    row = page.locator("#review-results tbody tr", has_text=name)
    assert row.count() == 1
    assert "92.0" in row.inner_text()
    shots.take(page, "review")
    # The same part twice is refused with a sentence, not a stack trace.
    page.select_option("#member_id", label=name)
    page.select_option("#part", "org")
    page.fill("#score", "80")
    page.click("#score-form button[type=submit]")
    page.wait_for_load_state()
    assert "已经录入过" in page.locator("#error").inner_text()
    # Listed among the unit's reviews, and opened from there.
    page.goto(f"{platform.portal}/org/reviews")
    page.select_option("#org_unit", label=VILLAGE_NAME)
    page.click("#reviews-of button[type=submit]")
    page.wait_for_load_state()
    page.locator(f'#reviews [data-review-id="{review_id}"] a').click()
    page.wait_for_url(re.compile(rf".*/org/reviews/{review_id}$"))
    assert "2026" in page.locator("h1").inner_text()


def test_the_department_creates_disables_and_unlocks_accounts_of_its_units(
    browser: Any, platform: Platform, shots: Shots
) -> None:
    page = new_page(browser, DESKTOP)
    sign_in(page, platform, "jidong-admin")
    page.goto(f"{platform.portal}/org/accounts")
    roles = page.locator("#role option").all_inner_texts()
    assert "平台管理员" not in roles and "干部" in roles
    username = f"xiangyang-{secrets.token_hex(3)}"
    password = secrets.token_urlsafe(12)
    page.fill("#username", username)
    page.fill("#display_name", "向阳镇干部")
    page.fill("#password", "short")
    page.select_option("#role", "cadre")
    page.select_option("#org", label="向阳镇")
    # A weak password is refused in Chinese (the browser's own check is bypassed here).
    page.eval_on_selector("#account-form", "f => f.noValidate = true")
    page.click("#account-form button[type=submit]")
    page.wait_for_load_state()
    assert "密码" in page.locator("#error").inner_text()
    assert page.locator("#username").input_value() == username
    page.fill("#password", password)
    page.click("#account-form button[type=submit]")
    page.wait_for_url(re.compile(r".*done=created$"))
    row = page.locator(f'#accounts tr[data-username="{username}"]')
    assert "向阳镇" in row.inner_text() and "干部" in row.inner_text()
    shots.take(page, "accounts")

    row.locator('button[value="disable"]').click()
    page.wait_for_url(re.compile(r".*done=disable$"))
    assert page.locator(f'#accounts tr[data-username="{username}"]').get_attribute(
        "data-status"
    ) == ("disabled")
    refused = httpx.post(
        f"{platform.portal}/v1/auth/login",
        json={"username": username, "password": password},
        timeout=30,
    )
    assert refused.status_code in (401, 403)
    page.locator(f'#accounts tr[data-username="{username}"] button[value="enable"]').click()
    page.wait_for_url(re.compile(r".*done=enable$"))

    for _ in range(6):  # wrong passwords lock the account
        httpx.post(
            f"{platform.portal}/v1/auth/login",
            json={"username": username, "password": "not-the-password"},
            timeout=30,
        )
    page.goto(f"{platform.portal}/org/accounts")
    row = page.locator(f'#accounts tr[data-username="{username}"]')
    assert "已锁定" in row.inner_text()
    shots.take(page, "accounts-locked")
    row.locator('button[value="unlock"]').click()
    page.wait_for_url(re.compile(r".*done=unlock$"))
    accepted = httpx.post(
        f"{platform.portal}/v1/auth/login",
        json={"username": username, "password": password},
        timeout=30,
    )
    assert accepted.status_code == 200, accepted.text

    phone = new_page(browser, PHONE)
    sign_in(phone, platform, "jidong-admin")
    phone.goto(f"{platform.portal}/org/accounts")
    shots.take(phone, "accounts")


def test_only_the_department_sees_its_link_and_pages_speak_chinese(
    browser: Any, platform: Platform, shots: Shots
) -> None:
    cadre = new_page(browser, PHONE)
    sign_in(cadre, platform, "jidong-cadre")
    assert cadre.locator('header nav a[href="/org"]').count() == 0
    admin = new_page(browser, PHONE)
    sign_in(admin, platform, "jidong-admin")
    assert admin.locator('header nav a[href="/org"]').count() == 1
    admin.click('header nav a[href="/org"]')
    admin.wait_for_url(re.compile(r".*/org$"))
    shots.take(admin, "org-home")
    found: dict[str, list[str]] = {}
    for path in ORG_PAGES:
        answer = admin.goto(f"{platform.portal}{path}")
        assert answer is not None and answer.status == 200, path
        assert admin.locator("html").get_attribute("lang") == "zh-CN"
        assert "230321" not in admin.locator("main").inner_text(), path
        found[path] = axe_findings(admin)
    assert {path: f for path, f in found.items() if f} == {}
    english = admin.goto(f"{platform.portal}/org/import?lang=en")
    assert english is not None and "Upload and check" in admin.locator("main").inner_text()
    admin.goto(f"{platform.portal}/org?lang=zh")


def test_the_departments_pages_weigh_under_100_kb_compressed(
    browser: Any, platform: Platform
) -> None:
    page = new_page(browser, DESKTOP)
    sign_in(page, platform, "jidong-admin")
    css = page.context.request.get(f"{platform.portal}/static/site.css").body()
    for path in ORG_PAGES:
        html = page.context.request.get(f"{platform.portal}{path}").body()
        weight = len(gzip.compress(html)) + len(gzip.compress(css))
        assert weight < 100 * 1024, f"{path}: {weight} bytes"


def axe_findings(page: Any) -> list[str]:
    """Serious and critical axe-core findings of the page."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} x{len(v['nodes'])}"
        for v in results.response["violations"]
        if v.get("impact") in {"serious", "critical"}
    ]
