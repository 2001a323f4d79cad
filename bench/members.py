"""Members: XLSX and CSV imports into PostgreSQL (rows/s, peak memory), structure statistics.

One run on this machine: a PostgreSQL cluster with fsync on and a nats-server, both started
here; the members app runs in-process and is called over ASGI. The outbox relay is off
during the import so the figure is the import's own (the relay has its own bench).
"""

from __future__ import annotations

import asyncio
import csv
import io
import os
import resource
import statistics
import time
from datetime import date, datetime

import asyncpg

from bench.common import report, stopwatch
from grassroots.kit.testing.servers import NatsServer, PostgresServer
from grassroots.kit.testing.services import auth, run_app, settings_for_tests
from grassroots.members.config import MembersSettings
from grassroots.members.domain.identity import make_id_number
from grassroots.members.main import SPEC

IMPORT_ROWS = int(os.environ.get("GR_BENCH_MEMBERS", "100000"))
PROVINCE_ROWS = int(os.environ.get("GR_BENCH_PROVINCE_MEMBERS", "1000000"))
COUNTIES_PER_CITY, TOWNSHIPS, VILLAGES = 5, 10, 10
COLUMNS = ["name", "id_number", "phone", "org_unit_id", "stage", "joined_at", "education", "skills"]
EDUCATION = [
    "primary_or_below",
    "junior_high",
    "senior_high",
    "vocational",
    "associate",
    "bachelor",
]
STAGES = ["full", "full", "full", "probationary", "candidate", "activist", "applicant"]


async def post_unit(client: object, body: dict[str, object]) -> str:
    """Create one unit through the API and return its id."""
    response = await client.post("/v1/org-units", json=body, headers=auth())  # type: ignore[attr-defined]
    response.raise_for_status()
    return str(response.json()["id"])


async def build_province(client: object) -> tuple[str, str, dict[str, list[str]]]:
    """Province 23 with 2 cities, 5 counties each, 10 townships × 10 villages per county."""
    province = await post_unit(
        client,
        {
            "name": "省委",
            "area_code": "230000000000",
            "tier": "province",
            "kind": "committee",
            "domain": "organ",
        },
    )
    villages: dict[str, list[str]] = {}
    first_county = ""
    for city_code in ("2303", "2304"):
        city = await post_unit(
            client,
            {
                "name": f"市委{city_code}",
                "area_code": city_code.ljust(12, "0"),
                "tier": "city",
                "kind": "committee",
                "domain": "organ",
                "parent_id": province,
            },
        )
        for c in range(COUNTIES_PER_CITY):
            county_code = f"{city_code}{21 + c:02d}"
            county = await post_unit(
                client,
                {
                    "name": f"县委{county_code}",
                    "area_code": county_code.ljust(12, "0"),
                    "tier": "county",
                    "kind": "committee",
                    "domain": "organ",
                    "parent_id": city,
                },
            )
            first_county = first_county or county
            villages[county] = []
            for t in range(TOWNSHIPS):
                town_code = f"{county_code}{100 + t:03d}"
                town = await post_unit(
                    client,
                    {
                        "name": f"镇{town_code}",
                        "area_code": town_code.ljust(12, "0"),
                        "tier": "township",
                        "kind": "committee",
                        "domain": "rural",
                        "parent_id": county,
                    },
                )
                for v in range(VILLAGES):
                    villages[county].append(
                        await post_unit(
                            client,
                            {
                                "name": f"村{v}",
                                "area_code": f"{town_code}{201 + v:03d}",
                                "tier": "village",
                                "kind": "branch",
                                "domain": "rural",
                                "parent_id": town,
                            },
                        )
                    )
    return province, first_county, villages


def county_csv(village_ids: list[str], count: int) -> bytes:
    """`count` valid member rows spread over a county's villages."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    for i in range(count):
        born = date(1940 + i % 65, 1 + i % 12, 1 + i % 28)
        writer.writerow(
            [
                f"党员{i}",
                make_id_number(
                    born, i % 500, female=i % 3 == 0, region=f"23{i // 500 % 100:02d}21"
                ),
                f"13{5 + i % 5}{i:08d}",
                village_ids[i % len(village_ids)],
                STAGES[i % len(STAGES)],
                "2001-07-01",
                EDUCATION[i % len(EDUCATION)],
                "修农机、电工" if i % 2 else "法律援助;养老",
            ]
        )
    return buffer.getvalue().encode()


XLSX_HEADER = [
    "序号",
    "姓名",
    "身份证号码",
    "手机号",
    "所在党组织",
    "人员类别",
    "入党日期",
    "学历",
    "特长",
]
EDUCATION_LABELS = ["小学", "初中", "高中", "中专", "大专", "本科"]
STAGE_LABELS = [
    "正式党员",
    "正式党员",
    "正式党员",
    "预备党员",
    "发展对象",
    "积极分子",
    "入党申请人",
]


def county_xlsx(village_areas: list[str], count: int) -> bytes:
    """`count` rows as a county keeps them in Excel: title row, Chinese headers and labels."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("党员名册")
    sheet.append(["某县党员花名册"])
    sheet.append(XLSX_HEADER)
    for i in range(count):
        born = date(1940 + i % 65, 1 + i % 12, 1 + i % 28)
        sheet.append(
            [
                i + 1,
                f"党员{i}",
                # Another region code than the CSV's, so the two imports never collide.
                make_id_number(
                    born, i % 500, female=i % 3 == 0, region=f"23{i // 500 % 100:02d}22"
                ),
                f"15{5 + i % 5}{i:08d}",
                village_areas[i % len(village_areas)],
                STAGE_LABELS[i % len(STAGE_LABELS)],
                datetime(2001, 7, 1),
                EDUCATION_LABELS[i % len(EDUCATION_LABELS)],
                "修农机、电工" if i % 2 else "法律援助；养老",
            ]
        )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def peak_rss_mb() -> float:
    """The process's peak resident memory so far, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


GENERATE = """
INSERT INTO members (id, org_unit_id, name, gender, birth_date, education, id_number_enc,
    id_number_hash, id_number_masked, stage, stage_since, probation_months, status, skills,
    in_service, duties, public_name_consent, floating, lost_contact, version, created_at,
    updated_at, created_by)
SELECT 'gen-' || g, ($1::text[])[1 + g % array_length($1::text[], 1)], '党员' || g,
    CASE WHEN g % 3 = 0 THEN 'female' ELSE 'male' END,
    date '1940-01-01' + (g::bigint * 7919 % 24000)::int,
    (ARRAY['primary_or_below','junior_high','senior_high','vocational','associate',
           'bachelor'])[1 + g % 6],
    'v1:bench:sealed', md5(g::text) || md5((-g)::text), '230321********0000',
    (ARRAY['full','full','full','probationary','candidate','activist','applicant'])[1 + g % 7],
    date '2020-01-01', 12, 'active', '[]'::json, g % 4 = 0, '[]'::json, false,
    g % 10 = 0, g % 50 = 0, 1, now(), now(), 'bench'
FROM generate_series($2::int, $3::int) AS g
"""


async def timed_stats(client: object, unit_id: str, runs: int = 7) -> float:
    """Median milliseconds of `GET /v1/stats/structure` over a subtree (after one warm-up)."""
    path = f"/v1/stats/structure?org_unit={unit_id}"
    (await client.get(path, headers=auth())).raise_for_status()  # type: ignore[attr-defined]
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        response = await client.get(path, headers=auth())  # type: ignore[attr-defined]
        times.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
    return statistics.median(times)


async def xlsx_import(client: object, county_id: str) -> None:
    """100,000 members from one XLSX (streamed): rows/s and the process's peak memory."""
    listed = await client.get(  # type: ignore[attr-defined]
        f"/v1/org-units/{county_id}/subtree?limit=500", headers=auth()
    )
    listed.raise_for_status()
    areas = [u["area_code"] for u in listed.json()["items"] if u["tier"] == "village"]
    payload = county_xlsx(areas, IMPORT_ROWS)
    report("members_import_xlsx_bytes", len(payload))
    before = peak_rss_mb()
    with stopwatch() as elapsed:
        response = await client.post(  # type: ignore[attr-defined]
            "/v1/members/import",
            files={"file": ("county.xlsx", payload)},
            headers=auth("org_admin"),
            timeout=900,
        )
    response.raise_for_status()
    result = response.json()
    assert result["accepted"] == IMPORT_ROWS, result["rejected"][:3]
    report("members_import_xlsx_rows_per_second", IMPORT_ROWS / elapsed[0], "target >= 5000")
    report("members_import_xlsx_peak_rss_mb", peak_rss_mb(), "whole bench process; target <= 300")
    report("members_import_xlsx_peak_rss_before_mb", before, "the same, before the import")


async def run() -> None:
    """Measure and print the members figures."""
    nats_server = NatsServer().start()
    postgres = PostgresServer(fsync=True).start()
    try:
        conn = await asyncpg.connect(postgres.dsn())
        await conn.execute("CREATE DATABASE bench_members")
        await conn.close()
        url = postgres.url("bench_members")
        settings = settings_for_tests(
            MembersSettings,
            nats_url=nats_server.url,
            members_database_url=url,
            run_relay=False,
            log_level="WARNING",
            max_body_bytes=512 * 1024 * 1024,
            members_stats_refresh_seconds=3600,
        )
        await asyncio.to_thread(SPEC.migrate, settings)
        async with run_app(SPEC.app_factory(settings)) as service:
            client = service.client
            province, county, villages = await build_province(client)
            await xlsx_import(client, next(c for c in villages if c != county))
            payload = county_csv(villages[county], IMPORT_ROWS)
            with stopwatch() as elapsed:
                response = await client.post(
                    "/v1/members/import",
                    files={"file": ("county.csv", payload, "text/csv")},
                    headers=auth("org_admin"),
                    timeout=600,
                )
            response.raise_for_status()
            result = response.json()
            assert result["accepted"] == IMPORT_ROWS, result["rejected"][:3]
            report("members_import_rows_per_second", IMPORT_ROWS / elapsed[0])
            report("members_import_rows", IMPORT_ROWS)
            db = await asyncpg.connect(postgres.dsn("bench_members"))
            await db.execute("VACUUM ANALYZE")
            report(
                "members_stats_county_ms", await timed_stats(client, county), "county of the import"
            )
            other_villages = [v for c, ids in villages.items() if c != county for v in ids]
            step = 100_000
            with stopwatch() as generated:
                for start in range(1, PROVINCE_ROWS - IMPORT_ROWS + 1, step):
                    end = min(start + step - 1, PROVINCE_ROWS - IMPORT_ROWS)
                    await db.execute(GENERATE, other_villages, start, end)
            await db.execute("VACUUM ANALYZE")
            total = await db.fetchval("SELECT count(*) FROM members")
            await db.close()
            report("members_province_rows", total)
            report("members_generate_series_seconds", generated[0], "setup only")
            report(
                "members_stats_county_in_province_ms",
                await timed_stats(client, county),
                "the same county with the province loaded",
            )
            report("members_stats_province_ms", await timed_stats(client, province, runs=5))
    finally:
        nats_server.close()
        postgres.close()
