"""Open311 GeoReport v2, following the specification's example exchanges."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET

import pytest
from PIL import ExifTags, Image

from grassroots.kit.limits import RateLimiter
from grassroots.kit.testing.services import RunningService

from ..conftest import ADMIN, COUNTY, ITEM, TOWN, VILLAGE, VILLAGE_CADRE

pytestmark = pytest.mark.component

# Shaped like the specification's service definition example: a required single-value list.
ROOF = {
    **ITEM,
    "code": "roof-leak",
    "name": "房屋漏雨维修",
    "category": "住房安全",
    "time_limit": "P3D",
    "allow_anonymous": True,
    "skills": ["维修", "泥瓦"],
    "attributes": [
        {
            "code": "WHISHETN",
            "description": "漏雨的是哪一间？",
            "datatype": "singlevaluelist",
            "required": True,
            "order": 1,
            "values": [{"key": "123", "name": "正房"}, {"key": "124", "name": "厢房"}],
        }
    ],
}
J = {"jurisdiction_id": COUNTY}


@pytest.fixture
async def open311(service: RunningService) -> RunningService:
    response = await service.client.post("/v1/catalog", json=ROOF, headers=ADMIN)
    assert response.status_code == 201, response.text
    # These tests post more than the fixture's small public burst allows.
    service.app.state.public_limiter = RateLimiter(
        service.runtime.db, "requests.intake", burst=100, per_minute=100
    )
    return service


def form(**extra: str) -> dict[str, str]:
    return {
        "jurisdiction_id": COUNTY,
        "service_code": "roof-leak",
        "lat": "45.2503",
        "long": "131.1489",
        "address_string": "东升村三组",
        "address_id": VILLAGE,
        "first_name": "秀兰",
        "last_name": "王",
        "phone": "13845671234",
        "description": "东屋房顶漏雨，老人独居",
        "attribute[WHISHETN]": "123",
        **extra,
    }


async def test_get_service_list(open311: RunningService) -> None:
    response = await open311.client.get("/open311/v2/services.json", params=J)
    assert response.status_code == 200
    services = response.json()
    assert [s["service_code"] for s in services] == ["dibao-proxy", "roof-leak"]
    roof = services[1]
    assert roof == {
        "service_code": "roof-leak",
        "service_name": "房屋漏雨维修",
        "description": ITEM["description"],
        "metadata": True,
        "type": "realtime",
        "keywords": "维修, 泥瓦",
        "group": "住房安全",
    }


async def test_get_service_definition(open311: RunningService) -> None:
    response = await open311.client.get("/open311/v2/services/roof-leak.json", params=J)
    assert response.status_code == 200
    body = response.json()
    assert body["service_code"] == "roof-leak"
    (attribute,) = body["attributes"]
    assert attribute == {
        "variable": True,
        "code": "WHISHETN",
        "datatype": "singlevaluelist",
        "required": True,
        "datatype_description": None,
        "order": 1,
        "description": "漏雨的是哪一间？",
        "values": [{"key": "123", "name": "正房"}, {"key": "124", "name": "厢房"}],
    }


async def test_post_service_request_and_read_it_back(open311: RunningService) -> None:
    response = await open311.client.post("/open311/v2/requests.json", data=form())
    assert response.status_code == 201, response.text
    (created,) = response.json()
    assert set(created) == {"service_request_id", "service_notice", "account_id"}
    assert "查询码" in created["service_notice"]
    rid = created["service_request_id"]

    one = await open311.client.get(f"/open311/v2/requests/{rid}.json", params=J)
    assert one.status_code == 200
    (request,) = one.json()
    assert request["service_request_id"] == rid
    assert request["status"] == "open"
    assert request["service_code"] == "roof-leak"
    assert request["service_name"] == "房屋漏雨维修"
    assert request["address"] == "东升村三组"
    assert request["address_id"] == VILLAGE
    assert request["lat"] == pytest.approx(45.2503)
    assert request["requested_datetime"].endswith("+00:00")
    assert "13845671234" not in one.text

    # Internally it is an ordinary request on the same state machine.
    internal = await open311.client.get(f"/v1/requests/{rid}", headers=VILLAGE_CADRE)
    assert internal.json()["channel"] == "open311"
    assert internal.json()["org_unit_id"] == "u-village"
    for action, body in (("accept", None), ("start", None), ("resolve", {"resolution": "已修好"})):
        done = await open311.client.post(
            f"/v1/requests/{rid}/{action}", json=body, headers=VILLAGE_CADRE
        )
        assert done.status_code == 200
    closed = (
        await open311.client.get("/open311/v2/requests.json", params={**J, "status": "closed"})
    ).json()
    assert [(r["service_request_id"], r["status"], r["status_notes"]) for r in closed] == [
        (rid, "closed", "已修好")
    ]
    opened = (
        await open311.client.get("/open311/v2/requests.json", params={**J, "status": "open"})
    ).json()
    assert opened == []


async def test_get_service_requests_filters(open311: RunningService) -> None:
    first = (await open311.client.post("/open311/v2/requests.json", data=form())).json()[0]
    second = (
        await open311.client.post(
            "/open311/v2/requests.json", data=form(address_id=TOWN, description="镇上房子漏雨")
        )
    ).json()[0]
    both = await open311.client.get(
        "/open311/v2/requests.json",
        params={
            **J,
            "service_request_id": f"{first['service_request_id']},{second['service_request_id']}",
        },
    )
    assert {r["service_request_id"] for r in both.json()} == {
        first["service_request_id"],
        second["service_request_id"],
    }
    by_code = await open311.client.get(
        "/open311/v2/requests.json", params={**J, "service_code": "dibao-proxy"}
    )
    assert by_code.json() == []
    window = await open311.client.get(
        "/open311/v2/requests.json",
        params={
            **J,
            "start_date": "2010-04-14T06:37:38-08:00",
            "end_date": "2010-04-15T06:37:38-08:00",
        },
    )
    assert window.json() == []


async def test_errors_use_the_specification_array(open311: RunningService) -> None:
    missing = await open311.client.post(
        "/open311/v2/requests.json", data={k: v for k, v in form().items() if k != "service_code"}
    )
    assert missing.status_code == 400
    assert missing.json() == [{"code": 400, "description": "service_code is required"}]
    unknown = await open311.client.get("/open311/v2/services/nope.json", params=J)
    assert unknown.status_code == 404
    assert unknown.json()[0]["code"] == 404
    no_location = {
        k: v for k, v in form().items() if k not in {"lat", "long", "address_string", "address_id"}
    }
    located = await open311.client.post("/open311/v2/requests.json", data=no_location)
    assert located.status_code == 400 and "location" in located.json()[0]["description"]
    bad_value = await open311.client.post(
        "/open311/v2/requests.json", data=form(**{"attribute[WHISHETN]": "999"})
    )
    assert bad_value.status_code == 400 and "WHISHETN" in bad_value.json()[0]["description"]
    outside = await open311.client.post(
        "/open311/v2/requests.json", data=form(address_id="230322100201")
    )
    assert outside.status_code == 400
    no_jurisdiction = await open311.client.get("/open311/v2/services.json")
    assert no_jurisdiction.status_code == 400
    assert (await open311.client.get("/v1/requests", headers=VILLAGE_CADRE)).json()["items"] == []


async def test_xml_is_served_too(open311: RunningService) -> None:
    response = await open311.client.get("/open311/v2/services.xml", params=J)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/xml")
    root = ET.fromstring(response.content)  # noqa: S314 (our own answer)
    assert root.tag == "services"
    assert [s.findtext("service_code") for s in root.findall("service")] == [
        "dibao-proxy",
        "roof-leak",
    ]
    error = await open311.client.get("/open311/v2/services/nope.xml", params=J)
    err = ET.fromstring(error.content)  # noqa: S314 (our own answer)
    assert err.tag == "errors" and err.find("error/code").text == "404"  # type: ignore[union-attr]


async def test_anonymous_open311_requests_where_the_item_allows(open311: RunningService) -> None:
    data = {k: v for k, v in form().items() if k not in {"first_name", "last_name", "phone"}}
    assert (await open311.client.post("/open311/v2/requests.json", data=data)).status_code == 201
    dibao = {**data, "service_code": "dibao-proxy"}
    dibao.pop("attribute[WHISHETN]")
    refused = await open311.client.post("/open311/v2/requests.json", data=dibao)
    assert refused.status_code == 400


async def test_a_public_client_posts_media_url_and_reads_lat_long_and_media_url_back(
    open311: RunningService,
) -> None:
    client = open311.client
    photo = "https://photos.example.org/roof/123.jpg"
    posted = await client.post("/open311/v2/requests.json", data=form(media_url=photo))
    assert posted.status_code == 201, posted.text
    request_id = posted.json()[0]["service_request_id"]
    (read,) = (await client.get(f"/open311/v2/requests/{request_id}.json", params=J)).json()
    assert read["lat"] == pytest.approx(45.2503)
    assert read["long"] == pytest.approx(131.1489)
    assert read["media_url"] == photo
    xml = await client.get(f"/open311/v2/requests/{request_id}.xml", params=J)
    root = ET.fromstring(xml.content)  # noqa: S314 (our own answer)
    assert root.findtext("request/media_url") == photo
    refused = await client.post(
        "/open311/v2/requests.json", data=form(media_url="javascript:alert(1)")
    )
    assert refused.status_code == 400
    assert "media_url" in refused.json()[0]["description"]


async def test_a_photo_posted_as_multipart_media_is_served_clean_at_its_media_url(
    open311: RunningService,
) -> None:
    client = open311.client
    image = Image.new("RGB", (640, 480), (10, 120, 40))
    exif = Image.Exif()
    exif[ExifTags.Base.GPSInfo] = {1: "N", 2: (45.0, 15.0, 1.0), 3: "E", 4: (131.0, 8.0, 55.0)}
    raw = io.BytesIO()
    image.save(raw, "JPEG", exif=exif)
    posted = await client.post(
        "/open311/v2/requests.json",
        data=form(),
        files={"media": ("roof.jpg", raw.getvalue(), "image/jpeg")},
    )
    assert posted.status_code == 201, posted.text
    request_id = posted.json()[0]["service_request_id"]
    (read,) = (await client.get(f"/open311/v2/requests/{request_id}.json", params=J)).json()
    assert read["media_url"].endswith("/open311/v2/media/" + read["media_url"].rsplit("/", 1)[1])
    served = await client.get(read["media_url"])
    assert served.status_code == 200
    assert served.headers["content-type"] == "image/jpeg"
    assert dict(Image.open(io.BytesIO(served.content)).getexif()) == {}
    not_a_photo = await client.post(
        "/open311/v2/requests.json",
        data=form(description="另一件"),
        files={"media": ("roof.jpg", b"GIF89a not really", "image/jpeg")},
    )
    assert not_a_photo.status_code == 400
    listed = (await client.get("/open311/v2/requests.json", params=J)).json()
    assert [r["service_request_id"] for r in listed] == [request_id]
