"""Media: duplicate detection at intake against 100,000 open requests, and a 5 MB photo upload.

The requests service runs in this process against fsync-on PostgreSQL and a local
nats-server. The county holds GR_BENCH_MEDIA_OPEN_REQUESTS (100,000) open requests written
with COPY, spread over 300 villages and 10 services within the last 30 days, each with the
word fingerprints intake stores. The detection (segmenting the new description and the
village look-up) is timed per intake; then a 5 MB phone photo goes through the upload
route, and the time until its thumbnail can be read is reported.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import random
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from PIL import ExifTags, Image

from bench.common import report
from grassroots.kit.testing.servers import NatsServer, PostgresServer
from grassroots.kit.testing.services import auth, run_service
from grassroots.requests.config import RequestsSettings
from grassroots.requests.domain.duplicates import terms, warm_up
from grassroots.requests.main import SPEC
from grassroots.requests.service.context import RequestsContext
from grassroots.requests.service.duplicates import propose_duplicates

OPEN_REQUESTS = int(os.environ.get("GR_BENCH_MEDIA_OPEN_REQUESTS", "100000"))
LOOKUPS = int(os.environ.get("GR_BENCH_MEDIA_LOOKUPS", "2000"))
PHOTO_BYTES = 5 * 1024 * 1024
COUNTY = "230321000000"
VILLAGES = [f"230321{100 + t:03d}{200 + v:03d}" for t in range(10) for v in range(30)]
SERVICES = [f"svc-{i}" for i in range(10)]
PLACES = ["村东头", "三组", "学校门口", "村委会旁", "河边", "老磨坊", "北山脚下", "桥头"]
MATTERS = [
    "路灯坏了，晚上太黑，老人走路不安全",
    "水井干了，吃水困难",
    "垃圾没人清运，气味很大",
    "道路塌陷，车辆无法通行",
    "排水沟堵了，下雨就积水",
    "广播喇叭不响了",
    "危房漏雨，需要维修",
    "低保材料不会填，需要代办",
]


def description(rng: random.Random) -> str:
    """A plausible citizen's description."""
    return f"{rng.choice(PLACES)}的{rng.choice(MATTERS)}，{rng.randint(2, 9)}天了"


def percentile(values: list[float], share: float) -> float:
    """The `share` quantile (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def load_open_requests(dsn: str) -> None:
    """OPEN_REQUESTS open requests of the county, with their duplicate fingerprints, by COPY."""
    rng = random.Random(7)
    now = datetime.now(UTC)
    texts = [description(rng) for _ in range(400)]
    prints = {t: json.dumps(terms(t)) for t in texts}
    rows = []
    for i in range(OPEN_REQUESTS):
        village = VILLAGES[i % len(VILLAGES)]
        text = texts[i % len(texts)]
        received = now - timedelta(seconds=rng.uniform(0, 29 * 86400))
        rows.append(
            (
                str(uuid.UUID(int=i + 1)),
                f"M{i:010d}",
                "item-1",
                SERVICES[(i // len(VILLAGES)) % len(SERVICES)],
                COUNTY,
                village,
                "u-village",
                village,
                "village",
                "submitted",
                1,
                "window",
                text,
                True,
                received,
                now + timedelta(days=3),
                False,
                0,
                False,
                "{}",
                now,
                prints[text],
            )
        )
    columns = [
        "id",
        "tracking_code",
        "catalog_item_id",
        "service_code",
        "county_area",
        "area_code",
        "org_unit_id",
        "org_area_code",
        "org_tier",
        "status",
        "version",
        "channel",
        "description",
        "anonymous",
        "received_at",
        "due_at",
        "overdue_marked",
        "escalations",
        "door_to_door",
        "attributes",
        "updated_at",
        "description_terms",
    ]
    conn = await asyncpg.connect(dsn)
    started = time.perf_counter()
    await conn.copy_records_to_table("req_requests", records=rows, columns=columns)
    await conn.execute("ANALYZE req_requests")
    await conn.close()
    report("media_open_requests_loaded", OPEN_REQUESTS)
    report("media_open_requests_load_seconds", time.perf_counter() - started)


async def detection_bench(ctx: RequestsContext) -> None:
    """Segmentation plus the village look-up, as one intake runs them."""
    rng = random.Random(11)
    await asyncio.to_thread(warm_up)
    timings, segmenting, found = [], [], 0
    for _ in range(LOOKUPS):
        text = description(rng)
        village, service = rng.choice(VILLAGES), rng.choice(SERVICES)
        started = time.perf_counter()
        fingerprints = terms(text)
        segmented = time.perf_counter()
        proposed = await propose_duplicates(ctx, village, service, fingerprints, datetime.now(UTC))
        timings.append(time.perf_counter() - started)
        segmenting.append(segmented - started)
        found += bool(proposed)
    report("media_duplicate_detection_lookups", LOOKUPS)
    report("media_duplicate_detection_with_candidates", found)
    report("media_duplicate_detection_p50_ms", percentile(timings, 0.5) * 1000)
    report("media_duplicate_detection_p99_ms", percentile(timings, 0.99) * 1000)
    report("media_duplicate_detection_max_ms", max(timings) * 1000)
    report("media_duplicate_segmentation_p99_ms", percentile(segmenting, 0.99) * 1000)
    report("media_bench_load_average_1m", os.getloadavg()[0])


def phone_photo() -> bytes:
    """A 12-megapixel JPEG of about PHOTO_BYTES with camera EXIF and a GPS position."""
    width, height = 4000, 3000
    noise = Image.effect_noise((width, height), 60)
    base = Image.linear_gradient("L").resize((width, height))
    image = Image.merge("RGB", (noise, base, Image.blend(noise, base, 0.5)))
    exif = Image.Exif()
    exif[ExifTags.Base.GPSInfo] = {1: "N", 2: (45.0, 15.0, 1.0), 3: "E", 4: (131.0, 8.0, 55.0)}
    exif[ExifTags.Base.Make] = "BenchCam"
    best = b""
    for quality in (95, 90, 85, 80, 75, 70, 60, 50):
        out = io.BytesIO()
        image.save(out, "JPEG", quality=quality, exif=exif)
        best = out.getvalue()
        if len(best) <= PHOTO_BYTES * 1.05:
            break
    return best


async def upload_bench(service: Any, request_id: str) -> None:
    """A 5 MB photo through POST /v1/requests/{id}/attachments until its thumbnail is read."""
    photo = await asyncio.to_thread(phone_photo)
    report("media_photo_bytes", len(photo))
    cadre = auth("cadre", org=COUNTY, sub="bench-cadre")
    uploads, ready = [], []
    for _ in range(5):
        started = time.perf_counter()
        answer = await service.client.post(
            f"/v1/requests/{request_id}/attachments",
            files={"file": ("IMG.jpg", photo, "image/jpeg")},
            headers=cadre,
        )
        assert answer.status_code == 201, answer.text
        uploads.append(time.perf_counter() - started)
        thumb = await service.client.get(
            f"/v1/requests/{request_id}/attachments/{answer.json()['id']}",
            params={"thumbnail": "true"},
            headers=cadre,
        )
        assert thumb.status_code == 200
        ready.append(time.perf_counter() - started)
    report("media_photo_upload_median_seconds", statistics.median(uploads))
    report("media_photo_time_to_thumbnail_median_seconds", statistics.median(ready))
    report("media_photo_time_to_thumbnail_max_seconds", max(ready))


async def run() -> None:
    """Measure and print the media figures."""
    nats_server = NatsServer().start()
    postgres = PostgresServer(fsync=True).start()
    try:
        conn = await asyncpg.connect(postgres.dsn())
        await conn.execute("CREATE DATABASE bench_media")
        await conn.close()
        db_url = postgres.url("bench_media")
        await asyncio.to_thread(SPEC.migrate, RequestsSettings(requests_database_url=db_url))
        await load_open_requests(postgres.dsn("bench_media"))
        with tempfile.TemporaryDirectory() as objects:
            async with run_service(
                SPEC,
                database_url=db_url,
                nats_url=nats_server.url,
                requests_run_scanner=False,
                requests_storage_url=objects,
                log_level="WARNING",
            ) as service:
                await detection_bench(service.app.state.requests)
                await upload_bench(service, str(uuid.UUID(int=1)))
    finally:
        postgres.close()
        nats_server.close()
