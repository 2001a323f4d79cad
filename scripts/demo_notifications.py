"""Demo data for the notifications service: a notice broadcast to the county, a policy
document (制度文件) of the county and an experience story (经验交流) of 鸡东镇, once.

Idempotent: each is found by its title and not sent or published again on a second `make run`.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # scripts/ is not a package: demo.py imports this module at run time
    from scripts.demo import DemoContext

NOTICE_TITLE = "关于开展“我为群众办实事”主题活动的通知"
NOTICE_BODY = "各基层党组织：请于本月底前完成走访群众、收集诉求，并在党群服务中心公示办理情况。"


# (kind, area code of the publishing unit, title, body)
PUBLICATIONS = [
    (
        "document",
        "230321000000",
        "鸡东县村级为民服务全程代办制度（试行）",
        "第一条 为让群众“大事不出村、小事不出屯”，各村（社区）设立为民服务全程代办点，"
        "由代办员为群众代办需要到乡镇或县里办理的事项。\n"
        "第二条 代办事项、所需材料和办理时限在服务指南中公开，代办不收取任何费用。\n"
        "第三条 代办员受理后当场给群众查询码；本级能办的立即办理，本级办不了的报乡镇党委"
        "协调解决，一时解决不了的及时向群众说明情况和预计办结时间。\n"
        "第四条 村党组织每月汇总代办和走访情况，在党群服务中心公示栏公示。",
    ),
    (
        "story",
        "230321100000",
        "鸡东镇东升村：“三访”走进农家，小事不出村",
        "东升村党支部把全村划成五个网格，网格员每月上门家访不少于十户，"
        "发现的问题当场记录、当场转为代办事项。今年以来，村里的路灯、灌溉渠和低保申请等"
        "三十多件事在村里就办结了，群众满意率明显提高。支部书记说：“变百姓跑腿为干部跑腿，"
        "群众的事就是我们的事。”",
    ),
]


def _publish(ctx: DemoContext) -> None:
    """The county's policy document and a township's experience story, each once."""
    made = 0
    with ctx.client("notifications", role="org_admin", org=ctx.county_area) as client:
        for kind, area, title, body in PUBLICATIONS:
            unit_id = ctx.units_by_area[area][0]["id"]
            deadline = time.monotonic() + 60
            while not _replica_knows(client, unit_id) and time.monotonic() < deadline:
                time.sleep(0.5)
            page = client.get(
                "/v1/publications", params={"kind": kind, "area": area, "limit": 500}
            ).raise_for_status()
            if any(item["title"] == title for item in page.json()["items"]):
                continue
            client.post(
                "/v1/publications",
                json={"kind": kind, "area_code": area, "title": title, "body": body},
            ).raise_for_status()
            made += 1
    ctx.report.append(
        f"notifications: {made} publications made (see the website's /documents and /stories)"
        if made
        else "notifications: the demo document and story are already published"
    )


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
    """The county notice (inbox of every member), the document and the story, unless done."""
    county_units = [u for u in ctx.units_by_area.get(ctx.county_area, []) if u["tier"] == "county"]
    if not county_units:
        ctx.report.append("notifications: no county unit, no notice sent")
        return
    _broadcast(ctx, county_units[0])
    _publish(ctx)


def _broadcast(ctx: DemoContext, county: dict[str, Any]) -> None:
    """Broadcast a notice to every member of the demo county (inbox), unless already done."""
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
