"""Load the demo county (Jidong, 230321000000, of seed 000) through the public APIs, once.

Idempotent: what already exists is found and left alone, so a second run adds nothing.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import httpx

from grassroots.kit.auth import issue_token
from grassroots.kit.settings import DEV_JWT_SECRET

DATA = json.loads((Path(__file__).parent / "demo_county.json").read_text(encoding="utf-8"))


def _members_url() -> str:
    return f"http://127.0.0.1:{os.environ.get('GR_MEMBERS_PORT', '8001')}"


class Loader:
    """Creates what is missing and counts what it did."""

    def __init__(self, client: httpx.Client) -> None:
        self.client = client
        self.created = 0
        self.found = 0

    def units_by_area(self, area_code: str) -> list[dict[str, Any]]:
        """Units at exactly `area_code`."""
        items: list[dict[str, Any]] = []
        cursor = None
        while True:
            params: dict[str, Any] = {"area": area_code, "limit": 500}
            if cursor:
                params["cursor"] = cursor
            page = self.client.get("/v1/org-units", params=params).raise_for_status().json()
            items += [u for u in page["items"] if u["area_code"] == area_code]
            cursor = page["next_cursor"]
            if not cursor:
                return items

    def ensure_unit(self, body: dict[str, Any]) -> str:
        """The id of the unit named so at that area, creating it when missing."""
        for unit in self.units_by_area(body["area_code"]):
            if unit["name"] == body["name"]:
                self.found += 1
                return str(unit["id"])
        response = self.client.post("/v1/org-units", json=body)
        if response.status_code != 201:
            sys.exit(f"demo: could not create {body['name']}: {response.text}")
        self.created += 1
        return str(response.json()["id"])


def load() -> None:
    """Create the county, its townships and villages."""
    secret = os.environ.get("GR_JWT_SECRET", DEV_JWT_SECRET)
    token = issue_token(secret, sub="demo-loader", role="platform_admin")
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=_members_url(), headers=headers, timeout=30) as client:
        loader = Loader(client)
        county = DATA["county"]
        county_id = loader.ensure_unit({**county, "tier": "county"})
        for town in DATA["townships"]:
            town_id = loader.ensure_unit(
                {
                    "name": town["name"],
                    "area_code": town["area_code"],
                    "tier": "township",
                    "kind": "committee",
                    "domain": town["domain"],
                    "parent_id": county_id,
                }
            )
            for village in town["villages"]:
                loader.ensure_unit(
                    {
                        **village,
                        "tier": "village",
                        "kind": "branch",
                        "parent_id": town_id,
                    }
                )
    print(
        f"[grassroots] demo county {county['area_code']}: "
        f"{loader.created} organisation units created, {loader.found} already there",
        flush=True,
    )


if __name__ == "__main__":
    load()
