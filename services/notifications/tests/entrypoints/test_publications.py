"""Publications: units publish documents and stories inside their subtree; anyone reads them."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import pytest
from sqlalchemy import func, select

from grassroots.kit.orgtree import count_units
from grassroots.kit.testing.services import auth
from grassroots.notifications.adapters.orm import publications

pytestmark = pytest.mark.component

TOWN_CADRE = auth("cadre", "230321100000", "town-cadre")


async def seed_units(h: ModuleType, svc: Any, publisher: Any) -> None:
    await publisher.unit("u-county", h.COUNTY, "county")
    await publisher.unit("u-town", h.TOWNSHIP, "township", "u-county")
    await publisher.unit("u-village", h.VILLAGE, "village", "u-town")
    await publisher.unit("u-other", h.OTHER_TOWNSHIP, "township", "u-county")

    async def replicated() -> bool:
        async with svc.runtime.db.read_only() as session:
            return bool(await count_units(session) == 4)

    await h.settle(replicated)


async def stored(svc: Any) -> int:
    return int(await svc.scalar(select(func.count()).select_from(publications)) or 0)


async def test_units_publish_inside_their_subtree_and_the_problems_name_the_field(
    h: ModuleType, start_notifications: Any, publisher: Any
) -> None:
    async with start_notifications() as svc:
        await seed_units(h, svc, publisher)
        story = {
            "kind": "story",
            "area_code": h.TOWNSHIP,
            "title": "代办经验",
            "body": "变百姓跑腿为干部跑腿。",
        }
        assert (await svc.client.post("/v1/publications", json=story)).status_code == 401
        for role in ("viewer", "member"):
            refused = await svc.client.post(
                "/v1/publications", json={"kind": 1}, headers=auth(role, h.COUNTY, "x")
            )
            assert refused.status_code == 403, refused.text  # before the body is looked at
        above = {**story, "area_code": h.COUNTY}
        outside = await svc.client.post("/v1/publications", json=above, headers=TOWN_CADRE)
        assert outside.status_code == 403
        for bad, field in (
            ({**story, "kind": "rumour"}, "kind"),
            ({**story, "title": "   "}, "title"),
            ({**story, "area_code": "230321100"}, "area_code"),
            ({**story, "area_code": "230321100299"}, "area_code"),  # no unit serves it
        ):
            answer = await svc.client.post("/v1/publications", json=bad, headers=TOWN_CADRE)
            assert answer.status_code == 422, answer.text
            assert answer.headers["content-type"].startswith("application/problem+json")
            assert [e["field"] for e in answer.json()["errors"]] == [field]
        assert await stored(svc) == 0

        made = await svc.client.post("/v1/publications", json=story, headers=TOWN_CADRE)
        assert made.status_code == 201, made.text
        assert made.json()["org_unit_id"] == "u-town"
        assert made.headers["location"] == f"/v1/publications/{made.json()['id']}"
        document = {
            "kind": "document",
            "area_code": h.COUNTY,
            "title": "村级为民服务全程代办制度",
            "body": "第一条 为方便群众办事……",
        }
        county = await svc.client.post("/v1/publications", json=document, headers=h.STAFF)
        assert county.status_code == 201, county.text
        assert county.json()["org_unit_name"] == "unit u-county"


async def test_anyone_reads_an_areas_publications_newest_first_in_pages(
    h: ModuleType, start_notifications: Any, publisher: Any
) -> None:
    async with start_notifications() as svc:
        await seed_units(h, svc, publisher)
        titles = []
        for area, kind, title in (
            (h.COUNTY, "document", "县级制度"),
            (h.TOWNSHIP, "document", "镇级制度"),
            (h.VILLAGE, "story", "村里的经验"),
            (h.OTHER_TOWNSHIP, "document", "别的镇的制度"),
        ):
            body = {"kind": kind, "area_code": area, "title": title, "body": "正文"}
            made = await svc.client.post("/v1/publications", json=body, headers=h.STAFF)
            assert made.status_code == 201, made.text
            titles.append(title)

        async def read(**params: Any) -> list[str]:
            answer = await svc.client.get("/v1/publications", params=params)
            assert answer.status_code == 200, answer.text
            return [i["title"] for i in answer.json()["items"]]

        # A village sees what its township and county published, not the other township's.
        assert await read(kind="document", area=h.VILLAGE) == ["镇级制度", "县级制度"]
        # The county sees everything published inside it.
        assert await read(kind="document", area=h.COUNTY) == [
            "别的镇的制度",
            "镇级制度",
            "县级制度",
        ]
        assert await read(kind="story", area=h.TOWNSHIP) == ["村里的经验"]
        assert await read(area=h.OTHER_TOWNSHIP) == ["别的镇的制度", "县级制度"]
        assert await read() == list(reversed(titles))

        first = (await svc.client.get("/v1/publications", params={"limit": 3})).json()
        assert first["next_cursor"]
        rest = await svc.client.get(
            "/v1/publications", params={"limit": 3, "cursor": first["next_cursor"]}
        )
        assert [i["title"] for i in first["items"] + rest.json()["items"]] == list(reversed(titles))
        assert rest.json()["next_cursor"] is None

        one = first["items"][0]
        again = await svc.client.get(f"/v1/publications/{one['id']}")
        assert again.status_code == 200 and again.json() == one
        assert (await svc.client.get("/v1/publications/nope")).status_code == 404
        bad = await svc.client.get("/v1/publications", params={"kind": "rumour"})
        assert bad.status_code == 422
        assert bad.json()["errors"][0]["field"] == "kind"
