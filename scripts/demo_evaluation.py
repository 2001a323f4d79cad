"""Demo data of the evaluation service: a county scheme and a published township ranking.

Idempotent: the scheme is stored once, and a ranking is published only while the month's
ranking is not yet published and request data exists (from the requests demo).
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import httpx

if TYPE_CHECKING:
    from scripts.demo import DemoContext

SCHEME = "three-rates"
WEIGHTS = {"response_rate": 0.1, "resolution_rate": 0.5, "satisfaction_rate": 0.4}


def _poll(check: Any, timeout: float) -> Any:
    """Call `check` until it returns something truthy or the time is up."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.5)


def load(ctx: DemoContext) -> None:
    """Store the county's default scheme and publish this month's township ranking."""
    county = ctx.units_by_area.get(ctx.county_area) or []
    if not county:
        ctx.report.append("evaluation: no county unit, nothing loaded")
        return
    county_id = county[0]["id"]
    with ctx.client("evaluation", role="org_admin", org=ctx.county_area) as client:

        def replicated() -> bool:
            try:
                response = client.get(f"/v1/orgs/{county_id}/indicators", params={"period": "2026"})
            except httpx.HTTPError:
                return False
            return bool(response.status_code == 200)

        if not _poll(replicated, 60):
            ctx.report.append("evaluation: the org tree has not reached the service; skipped")
            return
        schemes = client.get("/v1/schemes", params={"county": ctx.county_area}).json()["items"]
        stored = [s for s in schemes if s["name"] == SCHEME and s["created_by"] != "builtin"]
        if stored:
            ctx.report.append(f"evaluation: scheme {SCHEME} v{stored[-1]['version']} already there")
        else:
            created = client.post(
                "/v1/schemes",
                json={"county_area_code": ctx.county_area, "name": SCHEME, "weights": WEIGHTS},
            ).raise_for_status()
            ctx.report.append(f"evaluation: scheme {SCHEME} v{created.json()['version']} stored")
        now = datetime.now(ZoneInfo("Asia/Shanghai"))
        period = f"{now.year}-{now.month:02d}"
        params = {"parent": county_id, "period": period, "scheme": SCHEME}
        ranking = client.get("/v1/rankings", params=params).json()
        if ranking.get("published"):
            ctx.report.append(f"evaluation: the {period} township ranking was already published")
            return

        def received() -> int:
            indicators = client.get(f"/v1/orgs/{county_id}/indicators", params={"period": period})
            return int(indicators.json()["counts"]["received"])

        # The requests demo's events may still be on their way.
        if not _poll(received, 10):
            ctx.report.append(
                f"evaluation: no requests received in {period}; ranking not published"
            )
            return
        published = client.post(
            "/v1/rankings/publish", json={"parent": county_id, "period": period, "scheme": SCHEME}
        )
        if published.status_code == 409:
            ctx.report.append(f"evaluation: the {period} township ranking was already published")
            return
        published.raise_for_status()
        top = [i for i in published.json()["items"] if i["rank"] is not None][:3]
        names = ", ".join(f"{i['rank']}. {i['name']} {i['score']}" for i in top)
        ctx.report.append(f"evaluation: published the {period} township ranking ({names})")
