"""axe-core over the citizen pages and the workbench, at a phone viewport; page weight."""

from __future__ import annotations

import gzip
from typing import Any

import httpx
import pytest
from axe_playwright_python.sync_playwright import Axe

from grassroots.kit.testing.browser import PHONE, Platform, new_page, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.timeout(600)]

PUBLIC = ["/", "/guide", "/submit", "/track", "/login"]
# Serious and critical findings fail; minor ones are reported by the test output only.
BLOCKING = {"serious", "critical"}


def findings(page: Any) -> list[str]:
    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} x{len(v['nodes'])}"
        for v in results.response["violations"]
        if v.get("impact") in BLOCKING
    ]


def test_citizen_pages_and_the_workbench_pass_axe(browser: Any, platform: Platform) -> None:
    page = new_page(browser, PHONE)
    found: dict[str, list[str]] = {}
    for path in PUBLIC:
        page.goto(f"{platform.portal}{path}")
        found[path] = findings(page)
    sign_in(page, platform, "jidong-cadre")
    found["/work"] = findings(page)
    first = page.locator("[data-request-id] a").first
    first.click()
    page.wait_for_load_state()
    found["/work/requests/…"] = findings(page)
    assert {path: f for path, f in found.items() if f} == {}


def test_each_page_weighs_under_100_kb_compressed(platform: Platform) -> None:
    """HTML (gzip, as served) plus every asset it loads from the portal."""
    with httpx.Client(base_url=platform.portal, timeout=30) as client:
        css = client.get("/static/site.css", headers={"Accept-Encoding": "gzip"})
        assets = len(gzip.compress(css.content)) + len(client.get("/static/queue.js").content)
        for path in PUBLIC:
            answer = client.get(path)
            weight = len(gzip.compress(answer.content)) + assets
            assert weight < 100 * 1024, f"{path}: {weight} bytes"
