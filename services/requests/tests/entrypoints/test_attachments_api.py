"""Attachments over PostgreSQL and a real NATS: checked by content, stripped of EXIF, in scope."""

from __future__ import annotations

import io
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from PIL import ExifTags, Image

from grassroots.contracts.streams import REQUESTS
from grassroots.kit.testing.servers import NatsServer
from grassroots.kit.testing.services import RunningService, auth, run_service
from grassroots.requests.main import SPEC

from ..conftest import ADMIN, CITIZEN, ITEM, OTHER_VILLAGE, VILLAGE_CADRE, seed_org_tree, submit
from .test_handling_api import published

pytestmark = pytest.mark.component

OTHER_CADRE = auth("cadre", org=OTHER_VILLAGE, sub="cadre-other")
LIMIT = 300_000


def photo_with_location() -> bytes:
    """A phone photo whose EXIF gives away where it was taken (and that it was turned)."""
    image = Image.new("RGB", (800, 600), (200, 30, 30))
    exif = Image.Exif()
    exif[ExifTags.Base.GPSInfo] = {1: "N", 2: (45.0, 17.0, 30.0), 3: "E", 4: (131.0, 7.0, 12.0)}
    exif[ExifTags.Base.Orientation] = 6
    exif[ExifTags.Base.Make] = "TestCam"
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


@pytest.fixture
async def media_service(
    database_url: str, nats_server: NatsServer, tmp_path: Path
) -> AsyncIterator[RunningService]:
    async with run_service(
        SPEC,
        database_url=database_url,
        nats_url=nats_server.url,
        requests_run_scanner=False,
        requests_storage_url=str(tmp_path / "objects"),
        requests_attachment_max_bytes=LIMIT,
    ) as running:
        await seed_org_tree(running.runtime)
        response = await running.client.post("/v1/catalog", json=ITEM, headers=ADMIN)
        assert response.status_code == 201, response.text
        yield running


async def test_a_citizens_photo_loses_its_location_and_stays_in_scope(
    media_service: RunningService, tmp_path: Path
) -> None:
    client = media_service.client
    request = await submit(media_service, lat=45.2503, long=131.1489, address="东升村三组")
    assert (request["lat"], request["long"]) == (45.2503, 131.1489)
    half = {"service_code": "dibao-proxy", "area_code": request["area_code"], "lat": 45.0}
    lonely = await client.post("/v1/requests", json=half, headers=VILLAGE_CADRE)
    assert lonely.status_code == 422
    code, last4 = request["tracking_code"], CITIZEN["phone"][-4:]
    original = photo_with_location()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(ExifTags.IFD.GPSInfo)

    wrong = await client.post(
        f"/v1/track/{code}/attachments",
        files={"file": ("x.jpg", original, "image/jpeg")},
        data={"phone_last4": "0000"},
    )
    assert wrong.status_code == 404
    uploaded = await client.post(
        f"/v1/track/{code}/attachments",
        files={"file": ("IMG_0001.jpg", original, "image/jpeg")},
        data={"phone_last4": last4},
    )
    assert uploaded.status_code == 201, uploaded.text
    body = uploaded.json()
    assert body["content_type"] == "image/jpeg"
    assert (body["width"], body["height"]) == (600, 800)  # turned upright before EXIF went

    path = f"/v1/requests/{request['id']}/attachments/{body['id']}"
    read = await client.get(path, headers=VILLAGE_CADRE)
    assert read.status_code == 200
    assert read.headers["content-type"] == "image/jpeg"
    assert len(read.content) == body["size"]
    clean = Image.open(io.BytesIO(read.content))
    assert dict(clean.getexif()) == {}
    assert b"Exif" not in read.content[:4096]
    thumb = await client.get(path, params={"thumbnail": "true"}, headers=VILLAGE_CADRE)
    assert max(Image.open(io.BytesIO(thumb.content)).size) <= 320
    # Nothing of the original was kept on disk either.
    stored = [p.read_bytes() for p in (tmp_path / "objects").rglob("*") if p.is_file()]
    assert stored and all(b"TestCam" not in s for s in stored)

    # The citizen reads their own back; a cadre of another village reads nothing.
    own = await client.get(
        f"/v1/track/{code}/attachments/{body['id']}", params={"phone_last4": last4}
    )
    assert own.content == read.content
    assert (await client.get(path, headers=OTHER_CADRE)).status_code == 403
    listing = await client.get(f"/v1/requests/{request['id']}/attachments", headers=OTHER_CADRE)
    assert listing.status_code == 403
    upload_elsewhere = await client.post(
        f"/v1/requests/{request['id']}/attachments",
        files={"file": ("x.jpg", original, "image/jpeg")},
        headers=OTHER_CADRE,
    )
    assert upload_elsewhere.status_code == 403
    listing = await client.get(f"/v1/requests/{request['id']}/attachments", headers=VILLAGE_CADRE)
    assert [a["id"] for a in listing.json()["items"]] == [body["id"]]

    messages = await published(media_service, REQUESTS.name, "gr.requests.v1.attachment_added.>")
    (event,) = [json.loads(m.data) for m in messages]
    assert event["data"]["attachment_id"] == body["id"]
    assert event["data"]["uploaded_by"] == "citizen"
    assert CITIZEN["phone"] not in messages[0].data.decode()


async def test_files_are_judged_by_content_and_size(media_service: RunningService) -> None:
    client = media_service.client
    request = await submit(media_service)
    path = f"/v1/requests/{request['id']}/attachments"
    fake = await client.post(
        path,
        files={"file": ("photo.jpg", b"<script>alert(1)</script>", "image/jpeg")},
        headers=VILLAGE_CADRE,
    )
    assert fake.status_code == 422
    assert fake.json()["errors"][0]["field"] == "file"
    broken = await client.post(
        path,
        files={"file": ("photo.jpg", b"\xff\xd8\xff\xe0" + b"\0" * 100, "image/jpeg")},
        headers=VILLAGE_CADRE,
    )
    assert broken.status_code == 422
    big = await client.post(
        path,
        files={"file": ("scan.pdf", b"%PDF-1.4\n" + b"0" * LIMIT + b"\n%%EOF", "application/pdf")},
        headers=VILLAGE_CADRE,
    )
    assert big.status_code == 413
    pdf = await client.post(
        path,
        files={"file": ("done.pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n", "text/plain")},
        headers=VILLAGE_CADRE,
    )
    assert pdf.status_code == 201, pdf.text
    assert pdf.json()["content_type"] == "application/pdf"
    assert (await client.get(path, headers=VILLAGE_CADRE)).json()["items"][0]["thumbnail"] is False
