"""Demo data of the requests service: a county catalogue and requests in every state.

Idempotent: catalogue items are created only when missing, and requests only when the
county holds none yet, so a second `make run` adds nothing.
"""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    from scripts.demo import DemoContext

CATALOGUE: list[dict[str, Any]] = [
    {
        "code": "dibao-proxy",
        "name": "低保申请代办",
        "category": "社会救助",
        "description": "村代办员上门收集材料，代为报送乡镇民政办并跟踪审批结果",
        "time_limit": "P5D",
        "handling_tier": "village",
        "escalation_limits": {"township": "P10D"},
        "materials": ["身份证", "户口簿", "家庭收入情况说明"],
        "door_to_door": True,
        "skills": ["民政", "社会救助"],
        "attributes": [
            {
                "code": "household_size",
                "description": "家庭人口数",
                "datatype": "number",
                "required": True,
            }
        ],
    },
    {
        "code": "ncms-payment",
        "name": "新农合缴费代办",
        "category": "医疗保障",
        "description": "代为办理城乡居民医保（新农合）年度缴费，当场出具凭证",
        "time_limit": "P2D",
        "handling_tier": "village",
        "materials": ["身份证或户口簿"],
        "skills": ["医保", "代办"],
    },
    {
        "code": "farm-machine-subsidy",
        "name": "农机补贴申请",
        "category": "农业生产",
        "description": "协助农户填报农机购置补贴申请，报乡镇农业站审核",
        "time_limit": "P10D",
        "handling_tier": "township",
        "materials": ["购机发票", "身份证", "一卡通"],
        "skills": ["农机", "农业"],
    },
    {
        "code": "roof-leak",
        "name": "房屋漏雨维修",
        "category": "住房安全",
        "description": "困难户、独居老人房屋漏雨，组织党员志愿者上门维修",
        "time_limit": "P3D",
        "calendar": "natural",
        "handling_tier": "village",
        "door_to_door": True,
        "allow_anonymous": True,
        "skills": ["维修", "泥瓦"],
        "attributes": [
            {
                "code": "room",
                "description": "漏雨的是哪一间？",
                "datatype": "singlevaluelist",
                "required": True,
                "values": [{"key": "main", "name": "正房"}, {"key": "side", "name": "厢房"}],
            }
        ],
    },
    {
        "code": "dispute-mediation",
        "name": "邻里纠纷调解",
        "category": "矛盾调解",
        "description": "村调解委员会调解邻里、宅基地等纠纷，小事不出屯，大事不出村",
        "time_limit": "P7D",
        "handling_tier": "village",
        "escalation_limits": {"township": "P15D"},
        "allow_anonymous": True,
        "skills": ["调解", "法律咨询"],
    },
    {
        "code": "elderly-allowance",
        "name": "高龄津贴申领代办",
        "category": "社会救助",
        "description": "八十周岁以上老人高龄津贴申领，代办员上门代办",
        "time_limit": "P5D",
        "handling_tier": "village",
        "door_to_door": True,
        "materials": ["身份证", "户口簿", "银行卡"],
        "skills": ["民政"],
    },
    {
        "code": "residence-certificate",
        "name": "居住证明开具",
        "category": "证明开具",
        "description": "村委会开具居住证明，当日办结",
        "time_limit": "PT8H",
        "handling_tier": "village",
        "materials": ["身份证"],
        "skills": ["代办"],
    },
    {
        "code": "road-lighting",
        "name": "村路路灯报修",
        "category": "基础设施",
        "description": "村内道路路灯损坏报修",
        "time_limit": "P3D",
        "calendar": "natural",
        "handling_tier": "village",
        "allow_anonymous": True,
        "skills": ["电工", "维修"],
    },
    {
        "code": "employment-referral",
        "name": "务工就业推荐",
        "category": "就业服务",
        "description": "为外出务工和返乡人员推荐就业岗位、报名技能培训",
        "time_limit": "P10D",
        "handling_tier": "township",
        "skills": ["就业", "培训"],
    },
    {
        "code": "party-relation-transfer",
        "name": "党组织关系转接咨询",
        "category": "党员服务",
        "description": "流动党员组织关系转接的咨询与代办",
        "time_limit": "P5D",
        "handling_tier": "township",
        "skills": ["党务"],
    },
]

CITIZENS = [
    ("王秀兰", "13845671234"),
    ("李德福", "13904561122"),
    ("张桂芝", "15245673388"),
    ("刘长海", "13604675566"),
    ("赵玉梅", "18745679900"),
    ("孙宝山", "13351238844"),
]


def _wait_for_replica(client: httpx.Client, areas: list[str], timeout: float = 90.0) -> None:
    """The requests service routes by its org-tree replica: wait until it knows the villages."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        known: set[str] = set()
        cursor = None
        while True:
            params: dict[str, Any] = {"limit": 500, **({"cursor": cursor} if cursor else {})}
            page = client.get("/v1/org-tree", params=params).raise_for_status().json()
            known |= {u["area_code"] for u in page["items"]}
            cursor = page["next_cursor"]
            if not cursor:
                break
        if set(areas) <= known:
            return
        time.sleep(1.0)
    sys.exit("demo requests: the org-tree replica did not catch up in time")


def _ensure_catalogue(client: httpx.Client, county: str) -> int:
    created = 0
    for item in CATALOGUE:
        if client.get(f"/v1/catalog/{county}/{item['code']}").status_code == 200:
            continue
        response = client.post("/v1/catalog", json={"county_area": county, **item})
        if response.status_code != 201:
            sys.exit(f"demo requests: catalogue item {item['code']}: {response.text}")
        created += 1
    return created


def load(ctx: DemoContext) -> None:
    """Create the catalogue and, once, requests in every state and a few visits."""
    county = ctx.county_area
    villages = sorted(a for a in ctx.units_by_area if not a.endswith("000"))
    if not villages:
        ctx.report.append("requests: no villages in the demo tree; nothing loaded")
        return
    admin = ctx.client("requests", role="org_admin", org=county, sub="demo-county-admin")
    cadre = ctx.client("requests", role="cadre", org=county, sub="demo-county-cadre")
    with admin, cadre:
        _wait_for_replica(admin, villages[:4])
        items = _ensure_catalogue(admin, county)
        if cadre.get("/v1/requests", params={"limit": 1}).raise_for_status().json()["items"]:
            ctx.report.append(f"requests: catalogue +{items}; requests already loaded")
            return
        made = _load_requests(ctx, cadre, villages)
    ctx.report.append(f"requests: catalogue +{items} items, {made} requests in every state, visits")


def _load_requests(ctx: DemoContext, cadre: httpx.Client, villages: list[str]) -> int:
    def submit(code: str, village: str, text: str, who: int, **extra: Any) -> dict[str, Any]:
        name, phone = CITIZENS[who % len(CITIZENS)]
        body = {
            "service_code": code,
            "area_code": village,
            "description": text,
            "channel": extra.pop("channel", "proxy_point"),
            "citizen": {"name": name, "phone": phone},
            **extra,
        }
        response = cadre.post("/v1/requests", json=body)
        if response.status_code != 201:
            sys.exit(f"demo requests: {code}: {response.text}")
        result: dict[str, Any] = response.json()
        return result

    def act(request: dict[str, Any], action: str, body: Any = None, client: Any = None) -> None:
        response = (client or cadre).post(f"/v1/requests/{request['id']}/{action}", json=body)
        if response.status_code != 200:
            sys.exit(f"demo requests: {action} {request['id']}: {response.text}")

    def feedback(request: dict[str, Any], who: int, rating: str, comment: str) -> None:
        body = {
            "tracking_code": request["tracking_code"],
            "phone_last4": CITIZENS[who % len(CITIZENS)][1][-4:],
            "rating": rating,
            "comment": comment,
        }
        cadre.post(f"/v1/requests/{request['id']}/feedback", json=body).raise_for_status()

    v = villages
    handler = ctx.client("requests", role="member", org=ctx.county_area, sub="demo-member-handler")
    with handler:
        submit(
            "dibao-proxy",
            v[0],
            "母亲年老多病，家庭困难，申请低保",
            0,
            attributes={"household_size": 3},
        )
        r = submit("ncms-payment", v[1], "代缴全家四口明年新农合", 1, channel="window")
        act(r, "accept")
        r = submit("residence-certificate", v[2], "孩子上学需要居住证明", 2)
        act(r, "accept")
        act(r, "assign", {"handler_member_id": "demo-member-handler"})
        r = submit(
            "roof-leak",
            v[3 % len(v)],
            "西屋房顶漏雨，老人独居",
            3,
            attributes={"room": "side"},
            appointment={"start": "2026-12-06T09:00:00+08:00", "end": "2026-12-06T11:00:00+08:00"},
        )
        act(r, "accept")
        act(r, "assign", {"handler_member_id": "demo-member-handler"})
        act(r, "start", client=handler)
        r = submit("elderly-allowance", v[0], "父亲今年满八十周岁，申领高龄津贴", 4)
        act(r, "accept")
        act(r, "start")
        act(
            r,
            "explain",
            {
                "explanation": "县民政局本季度审批已截止，下季度初统一发放",
                "expected_by": "2027-01-15T17:00:00+08:00",
            },
        )
        r = submit("road-lighting", v[1], "村东头路灯坏了三盏", 5, channel="hotline")
        act(r, "accept")
        act(r, "start")
        act(r, "resolve", {"resolution": "电工已更换灯泡和线路"})
        r = submit("ncms-payment", v[2], "代缴新农合", 0)
        for step, body in (
            ("accept", None),
            ("start", None),
            ("resolve", {"resolution": "已缴费，凭证已送到家"}),
        ):
            act(r, step, body)
        feedback(r, 0, "satisfied", "代办员送票上门，很方便")
        act(r, "close")
        r = submit("dispute-mediation", v[3 % len(v)], "与邻居因宅基地边界发生争执", 1)
        for step, body in (
            ("accept", None),
            ("start", None),
            ("resolve", {"resolution": "双方已达成调解协议"}),
        ):
            act(r, step, body)
        feedback(r, 1, "unsatisfied", "对方没有按协议拆除围栏")
        r = submit("dibao-proxy", v[0], "因病致贫，申请低保", 2, attributes={"household_size": 2})
        act(r, "accept")
        act(r, "escalate", {"reason": "涉及户籍迁移，村里无法核实，报镇里协调"})
        submit("farm-machine-subsidy", v[1], "新购拖拉机一台，申请购置补贴", 3, channel="online")
        visit = {
            "visitor_member_id": _grid_worker(ctx, v[0]),
            "kind": "home",
            "household": "孙宝山家",
            "area_code": v[0],
            "notes": "独居老人，身体尚可",
            "problems": [
                {"service_code": "roof-leak", "description": "厨房屋顶漏雨", "anonymous": True}
            ],
        }
        cadre.post("/v1/visits", json=visit).raise_for_status()
        cadre.post(
            "/v1/visits", json={**visit, "household": "刘长海家", "kind": "contact", "problems": []}
        ).raise_for_status()
    return 11


def _grid_worker(ctx: DemoContext, area: str) -> str:
    """The village's grid worker (网格员), who logs the demo visits under their own name."""
    unit_id = ctx.units_by_area[area][0]["id"]
    with ctx.client("members") as client:
        page = client.get("/v1/members", params={"org_unit": unit_id, "limit": 50})
        members = page.raise_for_status().json()["items"]
    workers = [m["id"] for m in members if "grid_worker" in m.get("duties", [])]
    return str(workers[0]) if workers else "demo-member-handler"
