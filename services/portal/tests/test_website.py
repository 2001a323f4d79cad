"""The website's own mechanisms on the real portal app: sessions, CSRF, errors, languages.

The four services are pointed at a port nobody listens on, so every page that needs them
shows the "unavailable" page; the browser tests (tests/browser/) use the real platform.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select

from grassroots.kit.testing.servers import free_port
from grassroots.kit.testing.services import run_app
from grassroots.portal.adapters.orm import web_sessions
from grassroots.portal.entrypoints.web.rendering import HERE, catalogue
from grassroots.portal.main import build_app

from .conftest import (
    COUNTY,
    MovableClock,
    Portal,
    migrated_sqlite,
    password_of,
    portal_settings,
)

pytestmark = pytest.mark.component


@pytest.fixture
async def site(tmp_path: Path) -> AsyncIterator[Portal]:
    """The portal with the four services unreachable."""
    nowhere = f"http://127.0.0.1:{free_port()}"
    settings = portal_settings(
        await migrated_sqlite(tmp_path),
        portal_members_url=nowhere,
        portal_requests_url=nowhere,
        portal_notifications_url=nowhere,
        portal_evaluation_url=nowhere,
        portal_service_timeout_seconds=2,
    )
    clock = MovableClock()
    async with run_app(build_app(settings, clock=clock)) as service:
        yield Portal(service, clock)


async def a_cadre(site: Portal) -> str:
    created = await site.create_account(await site.admin(), "cadre-wang", "cadre", COUNTY)
    assert created.status_code == 201, created.text
    return "cadre-wang"


async def sign_in(site: Portal, username: str) -> str:
    answer = await site.client.post(
        "/login", data={"username": username, "password": password_of(username), "next": "/work"}
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/work", answer.text
    return answer.headers["set-cookie"]


async def test_signing_in_sets_an_httponly_samesite_cookie_and_keeps_tokens_sealed(
    site: Portal,
) -> None:
    cookie = await sign_in(site, await a_cadre(site))
    assert "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()
    value = re.search(r"gr_session=([^;]+)", cookie)
    assert value and value.group(1).count(".") == 0  # a random id, not a token
    async with site.service.runtime.db.read_only() as session:
        row = (await session.execute(select(web_sessions))).one()
    assert row.id_hash != value.group(1)  # only its hash is stored
    assert not row.access_sealed.startswith("eyJ") and "eyJ" not in row.refresh_sealed


async def test_forms_from_another_site_or_without_the_token_are_refused(site: Portal) -> None:
    username = await a_cadre(site)
    login = {"username": username, "password": password_of(username)}
    foreign = await site.client.post(
        "/login", data=login, headers={"Origin": "https://evil.example"}
    )
    assert foreign.status_code == 403 and "gr_session" not in foreign.headers.get("set-cookie", "")
    fetched = await site.client.post("/login", data=login, headers={"Sec-Fetch-Site": "cross-site"})
    assert fetched.status_code == 403
    await sign_in(site, username)
    no_token = await site.client.post("/work/requests/some-id", data={"action": "accept"})
    assert no_token.status_code == 403
    assert "不是从本站提交" in no_token.text
    wrong = await site.client.post(
        "/work/requests/some-id", data={"action": "accept", "csrf_token": "guess"}
    )
    assert wrong.status_code == 403


async def test_wrong_passwords_get_a_sentence_then_the_lock(site: Portal) -> None:
    username = await a_cadre(site)
    codes = []
    for _ in range(4):
        answer = await site.client.post("/login", data={"username": username, "password": "x" * 12})
        codes.append(answer.status_code)
    assert codes == [401, 401, 401, 423]
    assert "锁定" in answer.text and "Traceback" not in answer.text
    first = await site.client.post("/login", data={"username": "nobody", "password": "y" * 12})
    assert "用户名或密码错误" in first.text


async def test_an_unreachable_service_gives_a_page_that_says_so(site: Portal) -> None:
    answer = await site.client.get("/guide")
    assert answer.status_code == 503
    assert answer.headers["content-type"].startswith("text/html")
    assert "暂时无法访问" in answer.text and answer.headers["retry-after"] == "30"


async def test_the_access_token_is_renewed_and_signing_out_ends_the_session(
    site: Portal,
) -> None:
    await sign_in(site, await a_cadre(site))
    async with site.service.runtime.db.read_only() as session:
        before = (await session.execute(select(web_sessions))).one()
    site.clock.advance(14 * 60 + 45)  # 15 s before the 15-minute access token ends
    page = await site.client.get("/work")
    assert page.status_code == 503  # still signed in: the queue's service is down
    async with site.service.runtime.db.read_only() as session:
        after = (await session.execute(select(web_sessions))).one()
    assert after.access_expires_at > before.access_expires_at
    assert after.refresh_sealed != before.refresh_sealed
    form = await site.client.get("/login")  # signed in: straight on to the queue
    assert form.status_code == 303
    csrf = (
        await site.service.app.state.web_sessions.current(
            site.client.cookies.get("gr_session"), "test"
        )
    ).csrf_token
    out = await site.client.post("/logout", data={"csrf_token": csrf})
    assert out.status_code == 303 and out.headers["location"] == "/login"
    again = await site.client.get("/work")
    assert again.status_code == 303 and again.headers["location"].startswith("/login")


async def test_disabling_or_re_scoping_an_account_ends_its_website_session_at_once(
    site: Portal,
) -> None:
    admin = await site.admin()
    created = await site.create_account(admin, "cadre-li", "cadre", COUNTY)
    account_id = created.json()["id"]
    await sign_in(site, "cadre-li")
    assert (await site.client.get("/work")).status_code == 503  # signed in; queue service down
    disabled = await site.client.patch(
        f"/v1/accounts/{account_id}", json={"status": "disabled"}, headers=admin
    )
    assert disabled.status_code == 200, disabled.text
    gone = await site.client.get("/work")
    assert gone.status_code == 303 and gone.headers["location"].startswith("/login")
    async with site.service.runtime.db.read_only() as session:
        assert (await session.execute(select(web_sessions))).all() == []
    # Enabled again, the old cookie does not come back to life: the person signs in anew.
    enabled = await site.client.patch(
        f"/v1/accounts/{account_id}", json={"status": "active"}, headers=admin
    )
    assert enabled.status_code == 200, enabled.text
    assert (await site.client.get("/work")).status_code == 303
    await sign_in(site, "cadre-li")
    assert (await site.client.get("/work")).status_code == 503
    moved = await site.client.patch(
        f"/v1/accounts/{account_id}", json={"org": "230321100000"}, headers=admin
    )
    assert moved.status_code == 200, moved.text
    assert (await site.client.get("/work")).status_code == 303


async def test_signed_out_staff_pages_lead_to_the_login_and_back(site: Portal) -> None:
    answer = await site.client.get("/work?tab=overdue")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?next=/work?tab=overdue"
    login = await site.client.get("/login?next=//evil.example/")
    assert 'value="/work"' in login.text  # never sent on to another site


async def test_english_comes_from_the_same_templates(site: Portal) -> None:
    english = await site.client.get("/login?lang=en")
    assert "Staff sign-in" in english.text and english.headers["content-language"] == "en"
    assert "gr_lang=en" in english.headers["set-cookie"]
    chinese = await site.client.get("/login?lang=zh")
    assert "工作人员登录" in chinese.text and chinese.headers["content-language"] == "zh-CN"


def test_every_text_of_the_templates_has_an_english_translation() -> None:
    english = catalogue("en")
    missing = []
    for template in sorted((HERE / "templates").rglob("*.html")):
        for found in re.finditer(r"_\(\s*[\"']([^\"']+)[\"']\s*\)", template.read_text()):
            if english.gettext(found.group(1)) == found.group(1):
                missing.append(f"{template.name}: {found.group(1)}")
    assert missing == []


def test_every_template_compiles_in_both_languages() -> None:
    from grassroots.portal.entrypoints.web.rendering import ENVIRONMENTS

    for env in ENVIRONMENTS.values():
        for template in sorted((HERE / "templates").rglob("*.html")):
            env.get_template(str(template.relative_to(HERE / "templates")))
