"""The website with a county of 1,000,000 requests: server time per page and page weight.

The whole platform runs as `make run` starts it, on PostgreSQL; 1,000,000 requests are
written straight into the requests service's database (copies of a demo request spread over
the county's villages, statuses and due times; anonymous, since a sealed contact is bound
to its own row), then a signed-in township cadre's pages are
timed over loopback: the queue's views and a request's page. The portal's own /healthz in
the same run is the raw limit to compare with. Targets: p99 <= 150 ms, <= 100 KB.
"""

from __future__ import annotations

import asyncio
import gzip
import statistics
import tempfile
import time
from pathlib import Path

import asyncpg
import httpx

from bench.common import report
from grassroots.kit.testing.browser import start_platform, stop_platform
from grassroots.kit.testing.servers import PostgresServer

ROWS = 1_000_000
BATCH = 100_000
SAMPLES = 200
# A county's history: one in five still open, the rest resolved or closed.
STATUSES = ["submitted", "accepted", "escalated", "explained"] + ["resolved"] * 2 + ["closed"] * 14


def percentile(samples: list[float], share: float) -> float:
    """The nearest-rank percentile of `samples`."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


async def fill(dsn: str) -> str:
    """ROWS copies of a demo request; the id of an open one the township cadre holds."""
    connection = await asyncpg.connect(dsn)
    try:
        columns = [
            r["column_name"]
            for r in await connection.fetch(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_name = 'req_requests' ORDER BY ordinal_position"
            )
        ]
        template = await connection.fetchrow(
            "SELECT id, org_unit_id FROM req_requests WHERE org_area_code = '230321100201' "
            "ORDER BY id LIMIT 1"
        )
        assert template is not None, "the demo has no request in 东升村"
        villages = [
            r["org_area_code"]
            for r in await connection.fetch(
                "SELECT DISTINCT org_area_code FROM req_requests ORDER BY 1"
            )
        ]
        statuses = "ARRAY[" + ",".join(f"'{s}'" for s in STATUSES) + "]"
        areas = "ARRAY[" + ",".join(f"'{a}'" for a in villages) + "]"
        replaced = {
            "id": "'7fffffff-0000-7000-8000-' || lpad(n::text, 12, '0')",
            "tracking_code": "'BN' || lpad(n::text, 8, '0')",
            "status": f"({statuses})[1 + n % {len(STATUSES)}]",
            "handler_member_id": "NULL",
            # Independent of the status: every village has requests in every status.
            "org_area_code": f"({areas})[1 + (n / {len(STATUSES)}) % {len(villages)}]",
            "area_code": f"({areas})[1 + (n / {len(STATUSES)}) % {len(villages)}]",
            "due_at": "now() + ((n % 2000) - 1000) * interval '1 hour'",
            "received_at": "now() - (n % 5000) * interval '1 minute'",
            "version": "1",
            # As the SLA scanner left them: breaches and chases already handled.
            "overdue_marked": "(n % 2000) < 1000",
            "chase_at": "now()",
            "chased_at": "now()",
            "supervised_at": "now()",
            # Sealed contacts are bound to their row's id: the copies are anonymous.
            "anonymous": "true",
            "citizen_name_enc": "NULL",
            "citizen_phone_enc": "NULL",
        }
        select_list = ", ".join(replaced.get(c, c) for c in columns)
        for start in range(1, ROWS + 1, BATCH):
            await connection.execute(
                f"INSERT INTO req_requests ({', '.join(columns)}) "
                f"SELECT {select_list} FROM req_requests "
                f"CROSS JOIN generate_series({start}, {start + BATCH - 1}) AS n "
                "WHERE id = $1",
                template["id"],
            )
        await connection.execute("ANALYZE req_requests")
        held = await connection.fetchval(
            "SELECT id FROM req_requests WHERE id LIKE '7fffffff%' "
            "AND status = 'accepted' "
            "AND org_area_code LIKE '230321100%' ORDER BY status LIMIT 1"
        )
        return str(held)
    finally:
        await connection.close()


async def timed(client: httpx.AsyncClient, path: str) -> tuple[list[float], bytes]:
    """SAMPLES sequential GETs of a page; their times and the last body."""
    await client.get(path)  # warm the portal's caches
    samples = []
    body = b""
    for _ in range(SAMPLES):
        started = time.perf_counter()
        answer = await client.get(path)
        samples.append(time.perf_counter() - started)
        assert answer.status_code == 200, f"{path}: {answer.status_code} {answer.text[:300]}"
        body = answer.content
    return samples, body


# A cheap phone on a poor mobile network: 400 ms round trips, 400 kbit/s down, 4x slower CPU.
SLOW_PHONE = {"latency": 400, "downloadThroughput": 50_000, "uploadThroughput": 25_000}


def first_paint(portal: str) -> None:
    """First contentful paint of the citizen pages in Chromium on the slow phone profile."""
    from playwright.sync_api import sync_playwright

    from grassroots.kit.testing.browser import CHROMIUM_ARGS, PHONE, chromium_path

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            for path in ("/", "/submit", "/guide"):
                context = browser.new_context(
                    viewport={"width": PHONE["width"], "height": PHONE["height"]}, locale="zh-CN"
                )
                page = context.new_page()
                cdp = context.new_cdp_session(page)
                cdp.send("Network.enable")
                cdp.send("Network.emulateNetworkConditions", {"offline": False, **SLOW_PHONE})
                cdp.send("Emulation.setCPUThrottlingRate", {"rate": 4})
                page.goto(f"{portal}{path}", wait_until="load")
                page.wait_for_function(
                    "() => performance.getEntriesByName('first-contentful-paint').length > 0",
                    timeout=10_000,
                )
                paint = page.evaluate(
                    "() => (performance.getEntriesByName('first-contentful-paint')[0] || {})"
                    ".startTime || -1"
                )
                name = path.strip("/") or "home"
                report(f"website_slow_phone_first_paint_{name}_ms", float(paint))
                context.close()
        finally:
            browser.close()


async def run() -> None:
    """Start the platform on PostgreSQL, load 1,000,000 requests, time the pages."""
    postgres = PostgresServer().start()
    try:
        with tempfile.TemporaryDirectory() as folder:
            process, platform = await asyncio.to_thread(
                start_platform, "postgres", Path(folder), postgres
            )
            try:
                started = time.perf_counter()
                request_id = await fill(platform.extra["databases"]["requests"])
                report("website_fill_requests", ROWS)
                report("website_fill_s", time.perf_counter() - started)
                async with httpx.AsyncClient(base_url=platform.portal, timeout=60) as client:
                    signed = await client.post(
                        "/login",
                        data={
                            "username": "jidong-cadre",
                            "password": platform.passwords["jidong-cadre"],
                        },
                    )
                    assert signed.status_code == 303, signed.text
                    # The stylesheet is inlined in each page; the queue's script is a file.
                    script = (await client.get("/static/queue.js")).content
                    assets = len(gzip.compress(script))
                    raw, _ = await timed(client, "/healthz")
                    report("website_raw_healthz_p50_ms", statistics.median(raw) * 1000)
                    report("website_raw_healthz_p99_ms", percentile(raw, 0.99) * 1000)
                    pages = {
                        "queue": "/work",
                        "queue_overdue": "/work?tab=overdue",
                        "queue_due_soon": "/work?tab=due_soon",
                        "queue_mine": "/work?tab=mine",
                        "queue_escalated": "/work?tab=escalated",
                        "request": f"/work/requests/{request_id}",
                    }
                    for name, path in pages.items():
                        samples, body = await timed(client, path)
                        report(f"website_{name}_p50_ms", statistics.median(samples) * 1000)
                        report(f"website_{name}_p99_ms", percentile(samples, 0.99) * 1000)
                        report(
                            f"website_{name}_weight_kb", (len(gzip.compress(body)) + assets) / 1024
                        )
                await asyncio.to_thread(first_paint, platform.portal)
            finally:
                await asyncio.to_thread(stop_platform, process)
    finally:
        postgres.close()
