"""Demo members of Jidong county: duties, skills, a floating member, a check-in, a claimed post.

Idempotent: members are found by name in their unit before anything is created, so a second
`make run` adds nothing.
"""

from __future__ import annotations

import time
from datetime import date
from typing import TYPE_CHECKING, Any

import httpx

from grassroots.members.domain.identity import make_id_number

if TYPE_CHECKING:
    from demo import DemoContext  # type: ignore[import-not-found]  # scripts/ is not a package

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = [
    "建国",
    "秀英",
    "志强",
    "桂兰",
    "文华",
    "海燕",
    "国庆",
    "玉梅",
    "春生",
    "丽娟",
    "振东",
    "淑珍",
]
SKILLS = ["农机维修", "法律咨询", "医疗", "电工", "养老护理", "种植技术"]
VILLAGE_ROLES: list[tuple[str, list[str]]] = [
    ("支部书记", ["secretary", "supervisor"]),
    ("代办员", ["proxy_agent", "handler"]),
    ("网格员", ["grid_worker", "handler"]),
    ("党员", []),
    ("党员", []),
]
TOWNSHIP_ROLES: list[tuple[str, list[str]]] = [("督办员", ["supervisor"]), ("代办员", ["handler"])]
TOWNSHIPS = ["230321100000", "230321102000", "230321104000"]
VILLAGES = [
    "230321100201",
    "230321100202",
    "230321100001",
    "230321102201",
    "230321102202",
    "230321104201",
    "230321104202",
]
COMMUNITY = "230321100001"


class MemberLoader:
    """Creates what is missing through the members API and counts what it did."""

    def __init__(self, client: httpx.Client) -> None:
        self.client = client
        self.created = 0
        self.found = 0

    def members_of(self, unit_id: str) -> dict[str, dict[str, Any]]:
        """Active members registered directly in a unit, by name."""
        out: dict[str, dict[str, Any]] = {}
        cursor = None
        while True:
            params: dict[str, Any] = {"org_unit": unit_id, "limit": 500}
            if cursor:
                params["cursor"] = cursor
            page = self.client.get("/v1/members", params=params).raise_for_status().json()
            out.update({m["name"]: m for m in page["items"] if m["org_unit_id"] == unit_id})
            cursor = page["next_cursor"]
            if not cursor:
                return out

    def ensure_member(self, existing: dict[str, dict[str, Any]], body: dict[str, Any]) -> str:
        """The id of the member of that name in the unit, registering them when missing."""
        if body["name"] in existing:
            self.found += 1
            return str(existing[body["name"]]["id"])
        response = self.client.post("/v1/members", json=body)
        if response.status_code != 201:
            raise SystemExit(f"demo: could not register {body['name']}: {response.text}")
        self.created += 1
        return str(response.json()["id"])


def member_body(serial: int, unit_id: str, role: str, duties: list[str]) -> dict[str, Any]:
    """A demo member; ID number and phone are generated, never real."""
    female = serial % 3 == 1
    born = date(1955 + serial * 7 % 45, 1 + serial % 12, 1 + serial * 5 % 28)
    name = SURNAMES[serial % len(SURNAMES)] + GIVEN[serial * 5 % len(GIVEN)] + f"（{role}{serial}）"
    return {
        "name": name,
        "gender": "female" if female else "male",
        "id_number": make_id_number(born, serial, female=female),
        "phone": f"1390451{serial:04d}",
        "org_unit_id": unit_id,
        "stage": "full",
        "joined_at": f"{max(born.year + 25, 1990)}-07-01",
        "education": ["junior_high", "senior_high", "associate", "bachelor"][serial % 4],
        "ethnicity": "汉族",
        "category": ["farmer", "cadre", "worker", "retired"][serial % 4],
        "skills": [SKILLS[serial % len(SKILLS)], SKILLS[(serial * 3 + 1) % len(SKILLS)]],
        "duties": duties,
        "public_name_consent": serial % 2 == 0,
    }


def wait_for_units(ctx: DemoContext) -> None:
    """The tree is loaded by the caller; only check the units this loader needs are known."""
    missing = [a for a in TOWNSHIPS + VILLAGES if not ctx.units_by_area.get(a)]
    if missing:
        raise SystemExit(f"demo members: units missing for {missing}")


def load(ctx: DemoContext) -> None:
    """Register the demo members and their floating, check-in, post and commitment records."""
    wait_for_units(ctx)
    started = time.monotonic()
    with ctx.client("members") as client:
        loader = MemberLoader(client)
        serial = 0
        ids: dict[str, list[str]] = {}
        for area in TOWNSHIPS + VILLAGES:
            unit_id = ctx.units_by_area[area][0]["id"]
            existing = loader.members_of(unit_id)
            roles = TOWNSHIP_ROLES if area in TOWNSHIPS else VILLAGE_ROLES
            ids[area] = []
            for role, duties in roles:
                serial += 1
                body = member_body(serial, unit_id, role, duties)
                ids[area].append(loader.ensure_member(existing, body))
        # An in-service cadre of 鸡东镇 who lives in 城东社区.
        town_id = ctx.units_by_area[TOWNSHIPS[0]][0]["id"]
        worker_body = {
            **member_body(90, town_id, "在职党员", []),
            "in_service": True,
            "work_unit": "鸡东镇人民政府",
        }
        worker = loader.ensure_member(loader.members_of(town_id), worker_body)
        extras = ensure_activities(client, ctx, ids, worker)
    ctx.report.append(
        f"members: {loader.created} registered, {loader.found} already there; {extras} "
        f"({time.monotonic() - started:.1f}s)"
    )


def ensure_activities(
    client: httpx.Client, ctx: DemoContext, ids: dict[str, list[str]], worker: str
) -> str:
    """One floating member, one community check-in with a claimed post and a commitment."""
    done = []
    floater = ids[VILLAGES[1]][4]
    if not client.get(f"/v1/members/{floater}").raise_for_status().json()["floating"]:
        client.post(
            f"/v1/members/{floater}/flow-out",
            json={
                "destination": "广东省深圳市宝安区",
                "destination_area": "440300000000",
                "reason": "外出务工",
                "expected_return": f"{date.today().year + 1}-02-01",
            },
        ).raise_for_status()
        done.append("1 member flowed out")
    community_id = ctx.units_by_area[COMMUNITY][0]["id"]
    if (
        client.get(f"/v1/members/{worker}").raise_for_status().json()["community_org_unit_id"]
        is None
    ):
        client.post(
            f"/v1/members/{worker}/community-checkin",
            json={"community_org_unit_id": community_id},
        ).raise_for_status()
        done.append("1 community check-in")
    if not client.get(f"/v1/members/{worker}/posts").raise_for_status().json()["items"]:
        client.post(
            f"/v1/members/{worker}/posts",
            json={"title": "政策宣传员", "description": "每月在社区宣讲惠民政策"},
        ).raise_for_status()
        done.append("1 claimed post")
    if not client.get(f"/v1/members/{worker}/commitments").raise_for_status().json()["items"]:
        client.post(
            f"/v1/members/{worker}/commitments",
            json={"text": "每月走访社区困难家庭两户", "due": f"{date.today().year + 1}-12-31"},
        ).raise_for_status()
        done.append("1 commitment")
    return ", ".join(done) or "floating, check-in, post and commitment already there"
