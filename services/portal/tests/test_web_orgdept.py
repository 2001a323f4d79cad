"""The department's pages against a faked platform: the import's two steps, error sentences,
CSRF, and the user's own token on every call (the browser tests use the real platform)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest

from grassroots.portal.adapters.platform import Binary, ServiceDown, ServiceProblem
from grassroots.portal.entrypoints.web.orgdept import chinese_part, sentence

from .conftest import COUNTY, Portal, password_of

UNITS = [
    {
        "id": "u-county",
        "name": "中共鸡东县委员会",
        "area_code": COUNTY,
        "tier": "county",
        "kind": "committee",
        "parent_id": None,
    },
    {
        "id": "u-town",
        "name": "中共鸡东镇委员会",
        "area_code": "230321100000",
        "tier": "township",
        "kind": "committee",
        "parent_id": "u-county",
    },
    {
        "id": "u-village",
        "name": "中共鸡东镇东升村支部委员会",
        "area_code": "230321100201",
        "tier": "village",
        "kind": "branch",
        "parent_id": "u-town",
    },
]
REPORT = {
    "dry_run": True,
    "rows_read": 3,
    "accepted": 2,
    "created": 2,
    "updated": 0,
    "unchanged": 0,
    "rejected": [
        {
            "row": 2,
            "errors": [
                {
                    "field": "id_number",
                    "column": "身份证号",
                    "message": "bad check digit",
                    "message_zh": "身份证号校验位错误",
                }
            ],
        }
    ],
    "columns": {},
    "ignored_columns": [],
    "preview": [
        {"row": 1, "member_id": "m1", "action": "created", "values": {"name": "冯建明"}},
        {"row": 3, "member_id": "m2", "action": "created", "values": {"name": "李志国"}},
    ],
}


@dataclass
class FakePlatform:
    """Answers the calls the pages make; records each with its token and parameters."""

    answers: dict[tuple[str, str], Any] = field(default_factory=dict)
    calls: list[dict[str, Any]] = field(default_factory=list)

    async def call(
        self,
        service: str,
        method: str,
        path: str,
        *,
        token: str | None = None,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        files: Mapping[str, tuple[str, bytes, str]] | None = None,
        **_: Any,
    ) -> Any:
        self.calls.append(
            {
                "path": path,
                "method": method,
                "token": token,
                "params": dict(params or {}),
                "json": json,
                "file": files["file"][1] if files else None,
            }
        )
        if path == "/v1/org-units":
            return {"items": UNITS, "next_cursor": None}
        answer = self.answers.get((method, path))
        if isinstance(answer, Exception):
            raise answer
        if callable(answer):
            return answer(params or {})
        return answer

    async def fetch(self, service: str, path: str, **_: Any) -> Binary:
        return Binary(b"\x89PNG", "image/png")

    async def close(self) -> None:
        return None

    def page_calls(self) -> list[dict[str, Any]]:
        """The calls the department's pages made (not the directory's name look-ups)."""
        return [c for c in self.calls if c["path"] not in ("/v1/org-units", "/v1/catalog")]


@pytest.fixture
async def department(portal: Portal) -> tuple[Portal, FakePlatform, str]:
    """A county org admin signed in on the website; the platform behind it faked."""
    created = await portal.create_account(await portal.admin(), "county-org", "org_admin", COUNTY)
    assert created.status_code == 201, created.text
    fake = FakePlatform()
    portal.service.app.state.web.platform = fake
    portal.service.app.state.web.directory.platform = fake
    signed = await portal.client.post(
        "/login", data={"username": "county-org", "password": password_of("county-org")}
    )
    assert signed.status_code == 303, signed.text
    page = await portal.client.get("/org/import")
    assert page.status_code == 200, page.text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf is not None
    return portal, fake, csrf.group(1)


SHEET = ("名册.csv", "姓名,身份证号\n冯建明,1\n".encode("gb18030"), "text/csv")


async def test_the_preview_writes_nothing_and_the_confirmation_imports_that_same_file(
    department: tuple[Portal, FakePlatform, str],
) -> None:
    portal, fake, csrf = department
    fake.answers[("POST", "/v1/members/import")] = lambda params: {
        **REPORT,
        "dry_run": params["dry_run"] == "true",
    }
    preview = await portal.client.post(
        "/org/import", data={"csrf_token": csrf}, files={"file": SHEET}
    )
    assert preview.status_code == 200, preview.text
    assert "第2行" in preview.text and "身份证号校验位错误" in preview.text
    assert "尚未写入任何数据" in preview.text
    assert [c["params"]["dry_run"] for c in fake.page_calls()] == ["true"]
    key = re.search(r'name="key" value="([^"]+)"', preview.text)
    assert key is not None

    done = await portal.client.post(
        "/org/import/confirm", data={"csrf_token": csrf, "key": key.group(1)}
    )
    assert done.status_code == 200, done.text
    assert 'id="imported-count">2<' in done.text
    imports = fake.page_calls()
    assert [c["params"]["dry_run"] for c in imports] == ["true", "false"]
    assert imports[0]["file"] == imports[1]["file"] == SHEET[1]

    again = await portal.client.post(
        "/org/import/confirm", data={"csrf_token": csrf, "key": key.group(1)}
    )
    assert again.status_code == 410
    assert len(fake.page_calls()) == 2


async def test_a_file_with_no_good_row_offers_no_confirmation(
    department: tuple[Portal, FakePlatform, str],
) -> None:
    portal, fake, csrf = department
    fake.answers[("POST", "/v1/members/import")] = {
        **REPORT,
        "accepted": 0,
        "created": 0,
        "preview": [],
    }
    preview = await portal.client.post(
        "/org/import", data={"csrf_token": csrf}, files={"file": SHEET}
    )
    assert preview.status_code == 200
    assert 'id="confirm-form"' not in preview.text
    assert "改好后重新上传" in preview.text


async def test_refusals_of_the_services_are_chinese_sentences_naming_the_problem(
    department: tuple[Portal, FakePlatform, str],
) -> None:
    portal, fake, csrf = department
    fake.answers[("POST", "/v1/members/import")] = ServiceProblem(
        "members",
        422,
        detail="缺少必需的列：身份证号 / missing columns ['id_number']; header read: ['姓名']",
        errors=[{"field": "file", "message": "missing"}],
    )
    refused = await portal.client.post(
        "/org/import", data={"csrf_token": csrf}, files={"file": SHEET}
    )
    assert refused.status_code == 422
    assert "文件无法导入：缺少必需的列：身份证号" in refused.text
    assert "missing columns" not in refused.text

    wrong_type = await portal.client.post(
        "/org/import",
        data={"csrf_token": csrf},
        files={"file": ("名册.xls", b"\xd0\xcf", "application/vnd.ms-excel")},
    )
    assert wrong_type.status_code == 415
    assert "请上传 CSV 或 XLSX" in wrong_type.text

    fake.answers[("POST", "/v1/rankings/publish")] = ServiceProblem(
        "evaluation", 409, detail="published and nothing has changed"
    )
    fake.answers[("GET", "/v1/rankings")] = {
        "items": [],
        "published": True,
        "published_at": "2026-11-30T02:00:00+00:00",
        "version": 1,
    }
    again = await portal.client.post(
        "/org/rankings/publish",
        data={"csrf_token": csrf, "parent": "u-county", "period": "2026-11"},
    )
    assert again.status_code == 409
    assert "不需要再次公示" in again.text

    fake.answers[("GET", "/v1/stats/structure")] = ServiceDown("members", "timeout")
    down = await portal.client.get("/org/stats")
    assert down.status_code == 503
    assert "暂时无法访问" in down.text
    assert "Traceback" not in down.text


async def test_a_reveal_needs_a_reason_before_the_service_is_asked(
    department: tuple[Portal, FakePlatform, str],
) -> None:
    portal, fake, csrf = department
    member = {
        "id": "m1",
        "name": "冯建明",
        "gender": "male",
        "birth_date": "1968-05-02",
        "org_unit_id": "u-village",
        "stage": "full",
        "stage_since": "2011-07-01",
        "status": "active",
        "id_number": "230321********0011",
        "phone": "139****0000",
        "skills": [],
        "duties": [],
    }
    fake.answers[("GET", "/v1/members/m1")] = member
    fake.answers[("GET", "/v1/audit/pii-reads")] = {"items": [], "next_cursor": None}
    short = await portal.client.post(
        "/org/members/m1/reveal", data={"csrf_token": csrf, "reason": "看"}
    )
    assert short.status_code == 422
    assert "至少4个字" in short.text
    assert not [c for c in fake.page_calls() if c["path"].endswith("/reveal")]

    fake.answers[("POST", "/v1/members/m1/reveal")] = {
        "member_id": "m1",
        "id_number": "230321196805020011",
        "phone": "13900000000",
    }
    shown = await portal.client.post(
        "/org/members/m1/reveal", data={"csrf_token": csrf, "reason": "核对转接材料"}
    )
    assert shown.status_code == 200
    assert "230321196805020011" in shown.text
    assert shown.headers["cache-control"] == "no-store"
    reveal = next(c for c in fake.page_calls() if c["path"].endswith("/reveal"))
    assert reveal["json"] == {"reason": "核对转接材料"}


async def test_forms_without_the_sessions_csrf_token_or_from_another_site_are_refused(
    department: tuple[Portal, FakePlatform, str],
) -> None:
    portal, fake, csrf = department
    no_token = await portal.client.post("/org/import", files={"file": SHEET})
    assert no_token.status_code == 403
    other_site = await portal.client.post(
        "/org/rankings/publish",
        data={"csrf_token": csrf, "parent": "u-county", "period": "2026-11"},
        headers={"Origin": "http://elsewhere.example"},
    )
    assert other_site.status_code == 403
    assert fake.page_calls() == []


async def test_every_call_of_the_pages_carries_the_users_own_token(
    department: tuple[Portal, FakePlatform, str],
) -> None:
    portal, fake, _ = department
    fake.answers[("GET", "/v1/members")] = {"items": [], "next_cursor": None}
    fake.answers[("GET", "/v1/rankings")] = {"items": [], "published": False}
    fake.answers[("GET", "/v1/stats/structure")] = {
        "org_unit_id": "u-county",
        "as_of": "2026-12-01",
        "total": 0,
        "by_stage": {},
        "by_education": {},
        "by_gender": {},
        "age_bands": {},
        "aged_over_45_ratio": 0.0,
        "junior_high_or_below_ratio": 0.0,
        "floating": 0,
        "floating_ratio": 0.0,
        "lost_contact": 0,
    }
    for path in ("/org/members", "/org/rankings", "/org/stats", "/org/rankings/chart.png"):
        answer = await portal.client.get(
            path, params={"parent": "u-county", "period": "2026-11"} if "chart" in path else None
        )
        assert answer.status_code == 200, (path, answer.text)
        assert "230321" not in re.sub(r"<[^>]+>", "", answer.text) or path.endswith(".png")
    service_token = portal.service.app.state.web.service_token()
    tokens = {c["token"] for c in fake.page_calls()}
    assert tokens and None not in tokens and service_token not in tokens
    me = await portal.client.get("/v1/auth/me", headers={"Authorization": f"Bearer {tokens.pop()}"})
    assert me.json()["account"]["username"] == "county-org"


async def test_a_cadre_does_not_see_the_departments_link(portal: Portal) -> None:
    created = await portal.create_account(await portal.admin(), "town-cadre", "cadre", COUNTY)
    assert created.status_code == 201
    fake = FakePlatform(answers={("GET", "/v1/requests"): {"items": [], "next_cursor": None}})
    portal.service.app.state.web.platform = fake
    portal.service.app.state.web.directory.platform = fake
    await portal.client.post(
        "/login", data={"username": "town-cadre", "password": password_of("town-cadre")}
    )
    work = await portal.client.get("/work")
    assert work.status_code == 200
    assert 'href="/org"' not in work.text


def test_bilingual_details_give_their_chinese_half() -> None:
    assert chinese_part("at least 10 characters (密码至少 10 位)") == "密码至少 10 位"
    assert chinese_part("缺少必需的列：姓名 / missing columns ['name']") == "缺少必需的列：姓名"
    assert chinese_part("the member's record is exited") == ""
    problem = ServiceProblem("members", 422, errors=[{"field": "reason"}])
    assert sentence(problem) == "以下项目填写有误：原因。"
    assert sentence(ServiceProblem("x", 409), {409: "已经公示。"}) == "已经公示。"
