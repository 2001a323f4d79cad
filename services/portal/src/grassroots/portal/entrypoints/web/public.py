"""Public pages, no sign-in: the board (公示), policy documents (制度文件) and experience
stories (经验交流); and the staff page that publishes a document, a story or a notice.

The board and the publications are the notifications service's public reads; people and
units are shown by name (a member only when they consented), never by a code.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from grassroots.portal.adapters.platform import ServiceProblem
from grassroots.portal.entrypoints.web import parts
from grassroots.portal.entrypoints.web.deps import Deps, WebDeps
from grassroots.portal.entrypoints.web.directory import Unit, place_name
from grassroots.portal.entrypoints.web.forms import Refused
from grassroots.portal.entrypoints.web.rendering import render
from grassroots.portal.entrypoints.web.security import User, check_form
from grassroots.portal.service.websessions import SignedIn

router = APIRouter(include_in_schema=False)

BOARD_KIND = {
    "check_in": "党员报到",
    "post_claimed": "认领岗位",
    "commitment": "党员承诺",
    "ranking": "考评排名",
    "review": "评议结果",
    "points": "积分公示",
    "survey": "满意度测评",
}
GRADE = {
    "excellent": "优秀",
    "good": "良好",
    "fair": "一般",
    "poor": "较差",
    "qualified": "合格",
    "basically_qualified": "基本合格",
    "unqualified": "不合格",
}
SECTIONS = {
    "document": ("制度文件", "/documents", "为民服务的制度和政策，由县、乡镇、村党组织发布。"),
    "story": ("经验交流", "/stories", "各地党组织为民服务的好做法。"),
}
NO_NAME = "一位党员"


def period_text(period: str | None) -> str:
    """2026-11 -> 2026年11月, 2026-Q4 -> 2026年第4季度, 2026 -> 2026年."""
    if not period:
        return ""
    if match := re.fullmatch(r"(\d{4})-(\d{2})", period):
        return f"{match[1]}年{int(match[2])}月"
    if match := re.fullmatch(r"(\d{4})-?[Qq](\d)", period):
        return f"{match[1]}年第{match[2]}季度"
    if match := re.fullmatch(r"(\d{4})(?:-H(\d))?", period):
        return f"{match[1]}年" + (("上半年" if match[2] == "1" else "下半年") if match[2] else "")
    return period


async def _areas(deps: WebDeps, asked: str | None) -> tuple[Unit | None, list[Unit]]:
    """The chosen place and the places of its county to choose from (county first)."""
    county_area = (asked or "")[:6] + "000000" if asked else deps.default_county
    county = await deps.directory.county_of(county_area) if county_area else None
    if county is None:
        counties = await deps.directory.counties()
        county = counties[0] if counties else None
    if county is None:
        return None, []
    choices = [county, *await deps.directory.places(county.area_code)]
    chosen = next((u for u in choices if u.area_code == asked), county)
    return chosen, choices


def _unit_place(units: dict[str, Unit], unit_id: str | None, full_name: str | None) -> str:
    unit = units.get(unit_id or "")
    if unit is not None:
        return unit.place
    return place_name(full_name) if full_name else ""


@router.get("/board", response_class=HTMLResponse)
async def board(request: Request, deps: Deps, area: str = "", cursor: str = "") -> Response:
    """公示: rankings and results, notices, members' check-ins, posts and commitments."""
    chosen, choices = await _areas(deps, area.strip() or None)
    items: list[dict[str, Any]] = []
    notices: list[dict[str, Any]] = []
    next_cursor = None
    if chosen is not None:
        page = await deps.platform.call(
            "notifications",
            "GET",
            "/v1/board",
            params={"area": chosen.area_code, "limit": 30, "cursor": cursor or None},
        )
        next_cursor = page.get("next_cursor")
        units = await deps.directory.units()
        seen: set[str] = set()
        for item in page["items"]:
            content = item["content"]
            # A dual member's commitment is on both their units' boards: show it once here.
            same = content.get("commitment_id") or content.get("post_id")
            if same and same in seen:
                continue
            if same:
                seen.add(same)
            entries = []
            for entry in content.get("entries", []):
                entries.append(
                    {
                        "rank": None,
                        "score": None,
                        **entry,
                        "who": entry.get("member_name")
                        or _unit_place(units, entry.get("org_unit_id"), entry.get("org_unit_name"))
                        or NO_NAME,
                        "grade_text": GRADE.get(entry.get("grade") or "", entry.get("grade") or ""),
                    }
                )
            items.append(
                {
                    **item,
                    "kind_text": BOARD_KIND.get(item["kind"], "公示"),
                    "place": _unit_place(units, item.get("org_unit_id"), item.get("org_unit_name")),
                    "who": item.get("member_name") or NO_NAME,
                    "period": period_text(content.get("period")),
                    "entries": entries,
                }
            )
        if not cursor:
            listed = await deps.platform.call(
                "notifications",
                "GET",
                "/v1/publications",
                params={"kind": "notice", "area": chosen.area_code, "limit": 10},
            )
            notices = [_publication(units, p) for p in listed["items"]]
    return render(
        request,
        "public/board.html",
        chosen=chosen,
        choices=choices,
        items=items,
        notices=notices,
        next_cursor=next_cursor,
    )


def _publication(units: dict[str, Unit], item: dict[str, Any]) -> dict[str, Any]:
    return {**item, "place": _unit_place(units, item["org_unit_id"], item.get("org_unit_name"))}


async def _section(request: Request, deps: WebDeps, kind: str, area: str, cursor: str) -> Response:
    chosen, choices = await _areas(deps, area.strip() or None)
    items: list[dict[str, Any]] = []
    next_cursor = None
    if chosen is not None:
        page = await deps.platform.call(
            "notifications",
            "GET",
            "/v1/publications",
            params={"kind": kind, "area": chosen.area_code, "limit": 20, "cursor": cursor or None},
        )
        units = await deps.directory.units()
        items = [_publication(units, p) for p in page["items"]]
        next_cursor = page.get("next_cursor")
    title, path, intro = SECTIONS[kind]
    return render(
        request,
        "public/publications.html",
        kind=kind,
        heading=title,
        section_path=path,
        intro=intro,
        chosen=chosen,
        choices=choices,
        items=items,
        next_cursor=next_cursor,
        notice="已发布。" if request.query_params.get("done") == "published" else None,
    )


@router.get("/documents", response_class=HTMLResponse)
async def documents(request: Request, deps: Deps, area: str = "", cursor: str = "") -> Response:
    """制度文件: the policy documents units of the area (above and below it) published."""
    return await _section(request, deps, "document", area, cursor)


@router.get("/stories", response_class=HTMLResponse)
async def stories(request: Request, deps: Deps, area: str = "", cursor: str = "") -> Response:
    """经验交流: experience stories of the area's units."""
    return await _section(request, deps, "story", area, cursor)


@router.get("/publications/{publication_id}", response_class=HTMLResponse)
async def publication(request: Request, deps: Deps, publication_id: str) -> Response:
    """One document, story or notice in full."""
    found = await deps.platform.call(
        "notifications", "GET", f"/v1/publications/{publication_id[:36]}"
    )
    units = await deps.directory.units()
    kind = found["kind"]
    back = SECTIONS.get(kind, ("公示", "/board", ""))
    return render(
        request,
        "public/publication.html",
        item=_publication(units, found),
        kind_text=parts.PUBLICATION_KIND.get(kind, ""),
        back_title=back[0],
        back_path=back[1],
    )


# --- publishing (staff) ----------------------------------------------------------------------


async def _publish_form(
    request: Request,
    user: SignedIn,
    deps: WebDeps,
    *,
    values: dict[str, Any],
    error: str | None = None,
    bad: list[str] | None = None,
    status_code: int = 200,
) -> Response:
    units = await parts.units_of(deps, user)
    publishers: list[Unit] = []
    seen: set[str] = set()
    for unit in units:
        if unit.tier in ("county", "township", "village") and unit.area_code not in seen:
            seen.add(unit.area_code)
            publishers.append(unit)
    return render(
        request,
        "public/publish.html",
        status_code=status_code,
        publishers=publishers,
        kinds=parts.PUBLICATION_KIND,
        values=values,
        error=error,
        bad=bad or [],
    )


@router.get("/publish", response_class=HTMLResponse)
async def publish_page(
    request: Request, user: User, deps: Deps, kind: str = "document"
) -> Response:
    """The form a cadre or the organisation department publishes with."""
    parts.need_role(user, "cadre")
    values = {"kind": kind if kind in parts.PUBLICATION_KIND else "document", "area_code": user.org}
    return await _publish_form(request, user, deps, values=values)


@router.post("/publish", response_class=HTMLResponse)
async def publish(request: Request, user: User, deps: Deps) -> Response:
    """Publish through the notifications service with the user's own token."""
    form = await request.form(max_fields=10)
    check_form(request, form, user)
    parts.need_role(user, "cadre")
    values = {
        "kind": parts.text(form, "kind", 16),
        "area_code": parts.text(form, "area_code", 12),
        "title": parts.text(form, "title", 200),
        "body": parts.text(form, "body", 20000),
    }
    bad = [n for n in ("area_code", "title", "body") if not values[n]]
    if values["kind"] not in parts.PUBLICATION_KIND:
        bad.append("kind")
    if bad:
        return await _publish_form(
            request, user, deps, values=values, **Refused.missing(bad).form()
        )
    try:
        created = await deps.platform.call(
            "notifications", "POST", "/v1/publications", token=user.access_token, json=values
        )
    except ServiceProblem as problem:
        return await _publish_form(request, user, deps, values=values, **Refused.of(problem).form())
    target = {"document": "/documents", "story": "/stories"}.get(created["kind"], "/board")
    return RedirectResponse(f"{target}?area={created['area_code']}&done=published", status_code=303)
