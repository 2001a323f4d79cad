"""Demo data for the notifications service: one notice broadcast to the county, once.

Idempotent: the notice is found by its title and not sent again on a second `make run`.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # scripts/ is not a package: demo.py imports this module at run time
    from scripts.demo import DemoContext

NOTICE_TITLE = "关于开展“我为群众办实事”主题活动的通知"
NOTICE_BODY = "各基层党组织：请于本月底前完成走访群众、收集诉求，并在党群服务中心公示办理情况。"


def _replica_knows(client: Any, unit_id: str) -> bool:
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 500}
        if cursor:
            params["cursor"] = cursor
        page = client.get("/v1/org-tree", params=params).raise_for_status().json()
        if any(u["id"] == unit_id for u in page["items"]):
            return True
        cursor = page["next_cursor"]
        if not cursor:
            return False


def _existing(client: Any) -> dict[str, Any] | None:
    page = client.get("/v1/broadcasts", params={"limit": 500}).raise_for_status().json()
    for item in page["items"]:
        if item["title"] == NOTICE_TITLE:
            found: dict[str, Any] = item
            return found
    return None


def load(ctx: DemoContext) -> None:
    """Broadcast a notice to every member of the demo county (inbox), unless already done."""
    county_units = [u for u in ctx.units_by_area.get(ctx.county_area, []) if u["tier"] == "county"]
    if not county_units:
        ctx.report.append("notifications: no county unit, no notice sent")
        return
    county = county_units[0]
    with ctx.client("notifications", role="org_admin", org=ctx.county_area) as client:
        existing = _existing(client)
        if existing is not None:
            ctx.report.append(
                f"notifications: county notice already sent to {existing['recipients']} members"
            )
            return
        deadline = time.monotonic() + 60
        while not _replica_knows(client, county["id"]):
            if time.monotonic() > deadline:
                ctx.report.append("notifications: the org-tree replica never saw the county")
                return
            time.sleep(0.5)
        created = client.post(
            "/v1/broadcasts",
            json={
                "org_unit_id": county["id"],
                "title": NOTICE_TITLE,
                "body": NOTICE_BODY,
                "channels": ["inbox"],
            },
        ).raise_for_status()
        broadcast = created.json()
        deadline = time.monotonic() + 30
        while broadcast["status"] != "done" and time.monotonic() < deadline:
            time.sleep(0.5)
            broadcast = client.get(f"/v1/broadcasts/{broadcast['id']}").raise_for_status().json()
        ctx.report.append(
            f"notifications: county notice broadcast to {broadcast['recipients']} members "
            f"({broadcast['status']}); see /v1/broadcasts and each member's /v1/inbox"
        )
