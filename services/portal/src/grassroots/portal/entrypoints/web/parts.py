"""What the grassroots workers', members' and public pages share: roles, units, names, words.

Pages of cadre.py, member.py and public.py use these; every staff call still goes out with
the signed-in user's own token, so the services keep deciding what the user may see and do.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from grassroots.contracts.area import is_within
from grassroots.kit.auth import ROLE_RANK
from grassroots.kit.clock import zone
from grassroots.portal.adapters.platform import ServiceDown, ServiceProblem
from grassroots.portal.entrypoints.web.deps import WebDeps
from grassroots.portal.entrypoints.web.directory import Unit
from grassroots.portal.entrypoints.web.wording import FIELD, problem_sentence
from grassroots.portal.service.websessions import SignedIn

ROOT = "000000000000"

VISIT_KIND = {"contact": "联系走访", "home": "上门家访", "patrol": "实地巡访"}
PUBLICATION_KIND = {"document": "制度文件", "story": "经验交流", "notice": "公告"}
BROADCAST_STATUS = {"running": "正在分发", "done": "已分发到每人", "pending": "待分发"}
TRANSFER_STATUS = {
    "issued": "待接收",
    "accepted": "已接收",
    "rejected": "已退回",
    "revoked": "已撤回",
    "expired": "已过期",
}
# Provinces by the first two digits of an area code: where floating members went.
PHOTO_TYPES = ("image/jpeg", "image/png", "image/webp", "image/heic", "image/heif")

PROVINCES = {
    "11": "北京市", "12": "天津市", "13": "河北省", "14": "山西省", "15": "内蒙古自治区",
    "21": "辽宁省", "22": "吉林省", "23": "黑龙江省", "31": "上海市", "32": "江苏省",
    "33": "浙江省", "34": "安徽省", "35": "福建省", "36": "江西省", "37": "山东省",
    "41": "河南省", "42": "湖北省", "43": "湖南省", "44": "广东省", "45": "广西壮族自治区",
    "46": "海南省", "50": "重庆市", "51": "四川省", "52": "贵州省", "53": "云南省",
    "54": "西藏自治区", "61": "陕西省", "62": "甘肃省", "63": "青海省", "64": "宁夏回族自治区",
    "65": "新疆维吾尔自治区", "71": "台湾省", "81": "香港特别行政区", "82": "澳门特别行政区",
}  # fmt: skip


def at_least(user: SignedIn | None, role: str) -> bool:
    """True when the signed-in user's role ranks at or above `role`."""
    return user is not None and ROLE_RANK.get(user.role, -1) >= ROLE_RANK[role]


def need_role(user: SignedIn, role: str) -> None:
    """A page for `role` and above: others get the 403 page (the services would refuse too)."""
    if not at_least(user, role):
        raise ServiceProblem("portal", 403, "Forbidden", f"needs the role {role}")


def text(form: Any, name: str, limit: int = 4000) -> str:
    """A form field's text, trimmed and cut to `limit`."""
    value = form.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


def checked(form: Any, name: str) -> bool:
    """A checkbox's state."""
    return form.get(name) in ("on", "true", "1", "yes")


def sentence(problem: ServiceProblem) -> str:
    """problem_sentence, also for nested fields (problems.0.service_code) of these pages."""
    if problem.status == 422 and problem.fields:
        names = []
        for field in problem.fields:
            leaf = field.split(".")[-1]
            names.append(FIELD.get(leaf) or FIELD.get(field, leaf))
        return f"以下项目填写有误：{'、'.join(dict.fromkeys(names))}。"
    return problem_sentence(problem)


def status_of(problem: ServiceProblem) -> int:
    """The page's status for a service's problem (a service's 5xx is the portal's 502)."""
    return problem.status if problem.status < 500 else 502


def county_of_user(deps: WebDeps, user: SignedIn) -> str:
    """The county whose catalogue the user works with."""
    if user.org == ROOT or user.org[2:6] == "0000":
        return deps.default_county
    return user.org[:6] + "000000"


async def units_of(deps: WebDeps, user: SignedIn) -> list[Unit]:
    """The units inside the user's subtree, by area code (a township before its villages)."""
    units = (await deps.directory.units()).values()
    inside = [u for u in units if is_within(u.area_code, user.org)]
    return sorted(inside, key=lambda u: (u.area_code, u.kind != "committee", u.id))


async def home_unit(deps: WebDeps, user: SignedIn) -> Unit | None:
    """The unit at the user's own area (the unit they work for)."""
    for unit in await units_of(deps, user):
        if unit.area_code == user.org:
            return unit
    return None


async def places_of(deps: WebDeps, user: SignedIn) -> list[Unit]:
    """Townships and villages (communities) in the user's subtree: where a need can be raised."""
    inside = [u for u in await units_of(deps, user) if u.tier in ("township", "village")]
    if not inside and user.org in (ROOT,):
        return await deps.directory.places(deps.default_county)
    seen: set[str] = set()
    places = []
    for unit in inside:
        if unit.area_code not in seen:
            seen.add(unit.area_code)
            places.append(unit)
    return places


async def member_names(deps: WebDeps, token: str, member_ids: list[str]) -> dict[str, str]:
    """Names of members the token may read (a member it may not read stays unnamed)."""
    wanted = list(dict.fromkeys(m for m in member_ids if m))[:200]

    async def one(member_id: str) -> tuple[str, str]:
        try:
            found = await deps.platform.call(
                "members", "GET", f"/v1/members/{member_id}", token=token
            )
        except (ServiceProblem, ServiceDown):
            return member_id, ""
        return member_id, str(found.get("name") or "")

    return dict(await asyncio.gather(*(one(m) for m in wanted)))


def this_month() -> str:
    """YYYY-MM of today in the platform's time zone."""
    return datetime.now(zone()).strftime("%Y-%m")


def today() -> str:
    """YYYY-MM-DD of today in the platform's time zone."""
    return datetime.now(zone()).date().isoformat()


def local_instant(value: str, end_of_day: bool = False) -> str:
    """A date or datetime-local field (the platform's zone) as an aware ISO instant."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value  # the service names the field
    if len(value) == 10 and end_of_day:
        moment = moment.replace(hour=23, minute=59, second=59)
    elif len(value) == 10:
        moment = moment.replace(hour=12)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone())
    return moment.isoformat()


async def area_label(deps: WebDeps, area_code: str | None) -> str:
    """A place's name: a unit's place, else the province of a code; never the bare code."""
    if not area_code:
        return ""
    name = await deps.directory.area_name(area_code)
    if name != area_code:
        return name
    return PROVINCES.get(area_code[:2], "外地")
