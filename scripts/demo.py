"""Load the demo county (Jidong, 230321000000, of seed 000) through the public APIs, once.

Idempotent: what already exists is found and left alone, so a second run adds nothing.
The organisation tree is loaded here; each service's demo data lives in
`scripts/demo_<service>.py`, whose `load(ctx: DemoContext)` runs afterwards, in the
order members, requests, notifications, evaluation, portal (the demo accounts).
"""

from __future__ import annotations

import importlib
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from grassroots.kit.auth import issue_token
from grassroots.kit.settings import DEV_JWT_SECRET

DATA = json.loads((Path(__file__).parent / "demo_county.json").read_text(encoding="utf-8"))


SERVICE_ORDER = ["members", "requests", "notifications", "evaluation", "portal"]
DEFAULT_PORTS = {
    "portal": 8000,
    "members": 8001,
    "requests": 8002,
    "notifications": 8003,
    "evaluation": 8004,
}


def service_url(name: str) -> str:
    """Base URL of a local service, honouring `GR_<SERVICE>_PORT`."""
    return f"http://127.0.0.1:{os.environ.get(f'GR_{name.upper()}_PORT', DEFAULT_PORTS[name])}"


@dataclass
class DemoContext:
    """What the per-service demo loaders get: tokens, URLs and the units by area code."""

    secret: str
    units_by_area: dict[str, list[dict[str, Any]]]
    county_area: str = "230321000000"
    report: list[str] = field(default_factory=list)

    def headers(
        self, role: str = "platform_admin", org: str = "000000000000", sub: str = "demo-loader"
    ) -> dict[str, str]:
        """Authorization header for a token of that role and scope."""
        token = issue_token(self.secret, sub=sub, role=role, org=org)  # type: ignore[arg-type]
        return {"Authorization": f"Bearer {token}"}

    def client(self, service: str, **headers_args: str) -> httpx.Client:
        """An HTTP client for one service with a token."""
        return httpx.Client(
            base_url=service_url(service), headers=self.headers(**headers_args), timeout=60
        )


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
    tree: dict[str, list[dict[str, Any]]] = {}
    with httpx.Client(base_url=service_url("members"), headers=headers, timeout=30) as client:
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
        for area in [county["area_code"], *(t["area_code"] for t in DATA["townships"])]:
            tree[area] = loader.units_by_area(area)
        for town in DATA["townships"]:
            for village in town["villages"]:
                tree[village["area_code"]] = loader.units_by_area(village["area_code"])
    print(
        f"[grassroots] demo county {county['area_code']}: "
        f"{loader.created} organisation units created, {loader.found} already there",
        flush=True,
    )
    ctx = DemoContext(secret=secret, units_by_area=tree)
    here = Path(__file__).parent
    for name in SERVICE_ORDER:
        if (here / f"demo_{name}.py").exists():
            module = importlib.import_module(f"demo_{name}")
            module.load(ctx)
    for line in ctx.report:
        print(f"[grassroots] demo: {line}", flush=True)


if __name__ == "__main__":
    load()
