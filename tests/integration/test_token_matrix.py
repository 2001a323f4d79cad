"""The token matrix: every operation of the four OpenAPI documents under six bad identities.

Derived from the documents alone, so a new route is in it the day it is written: no token,
a forged signature, `alg: none`, an expired token, a viewer, and an org admin of an unrelated
area, each sending an invalid body. An operation that reads the token must answer 401 to the
first four and 403 to a viewer's write, before it looks at the body (never 422); an org admin
of another area must not succeed on a resource of 230321; nothing answers 5xx. Operations
open without a token are listed below by name, so a route that forgets its check fails here.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import jwt
import pytest

from grassroots.evaluation.main import SPEC as EVALUATION
from grassroots.kit.auth import issue_token
from grassroots.kit.testing.servers import NatsServer
from grassroots.kit.testing.services import (
    TEST_JWT_SECRET,
    DatabaseFactory,
    RunningService,
    auth,
    run_service,
)
from grassroots.members.main import SPEC as MEMBERS
from grassroots.notifications.main import SPEC as NOTIFICATIONS
from grassroots.requests.main import SPEC as REQUESTS

pytestmark = pytest.mark.integration

COUNTY = "230321000000"
ELSEWHERE = "110101000000"

# Open to callers without a token (a token, when sent, is still checked).
ANONYMOUS = {
    "GET /healthz",
    "GET /readyz",
    "GET /metrics",
    "GET /openapi.json",
    "GET /docs",
    "GET /docs/oauth2-redirect",
    "GET /redoc",
    "POST /v1/requests",
    "GET /v1/catalog",
    "GET /v1/catalog/{county}/{code}",
    "GET /v1/catalog/export",
    "GET /v1/track/{tracking_code}",
    # A citizen's own photos: the tracking code and the phone's last four digits open them.
    "POST /v1/track/{tracking_code}/attachments",
    "GET /v1/track/{tracking_code}/attachments",
    "GET /v1/track/{tracking_code}/attachments/{attachment_id}",
    "GET /open311/v2/media/{attachment_id}",
    "POST /v1/requests/{request_id}/feedback",
    "GET /open311/v2/discovery.{fmt}",
    "GET /open311/v2/services.{fmt}",
    "GET /open311/v2/services/{service_code}.{fmt}",
    "GET /open311/v2/requests.{fmt}",
    "POST /open311/v2/requests.{fmt}",
    "GET /open311/v2/requests/{service_request_id}.{fmt}",
    "GET /open311/v2/tokens/{token}.{fmt}",
    "GET /v1/board",
    "GET /v1/board/{area_code}",
    "GET /v1/publications",
    "GET /v1/publications/{publication_id}",
    "POST /v1/surveys/{survey_id}/responses",
    "GET /v1/surveys/{survey_id}",
    # The development SMS gateway (mounted only in development and tests) takes the
    # notifications service's own posts, as a real gateway would, without a bearer token.
    "POST /dev/sms-sink",
}
DECODER_WORDS = re.compile(r"(?i)signature|segments|algorithm|padding|decod|utf-8|json")
# Write operations a viewer may call: on their own things only.
VIEWER_WRITES = {
    "POST /v1/inbox/{notification_id}/read",
    # Mass raters (群众评议) score with a viewer's token; the route refuses them other parts.
    "POST /v1/evaluations/{review_id}/{part}",
}
# Reads the same for every area (the platform's working-day calendar).
PLATFORM_WIDE = {"GET /v1/calendar/{year}"}


@dataclass
class Case:
    service: str
    operation: str
    identity: str
    status: int
    detail: str


def identities() -> dict[str, dict[str, str]]:
    """The six callers, as request headers."""
    claims = {"sub": "intruder", "role": "platform_admin", "org": "000000000000", "exp": 2**33}
    forged = issue_token(
        "not-the-deployment-secret-0123456789abcdef", sub="x", role="platform_admin"
    )
    return {
        "no token": {},
        "forged signature": {"Authorization": f"Bearer {forged}"},
        "alg none": {"Authorization": f"Bearer {jwt.encode(claims, '', algorithm='none')}"},
        "expired": {
            "Authorization": "Bearer "
            + issue_token(
                TEST_JWT_SECRET, sub="x", role="platform_admin", ttl=timedelta(minutes=-5)
            )
        },
        "viewer": auth("viewer", org=COUNTY, sub="viewer-1"),
        "unrelated org_admin": auth("org_admin", org=ELSEWHERE, sub="admin-elsewhere"),
    }


def fill_path(path: str, parameters: list[dict[str, Any]], known: dict[str, str]) -> str:
    """The path with every parameter given a valid-looking value of area 230321."""
    schemas = {p["name"]: p.get("schema", {}) for p in parameters if p["in"] == "path"}

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in known:
            return known[name]
        if name == "fmt":
            return "json"
        schema = schemas.get(name, {})
        if schema.get("enum"):
            return str(schema["enum"][0])
        if schema.get("type") == "integer" or name == "year":
            return "2026"
        if "area" in name or "county" in name or "jurisdiction" in name:
            return COUNTY
        if name == "recipient":
            return f"member:{known.get('member_id', 'matrix-1')}"
        return "matrix-1"

    return re.sub(r"\{([^}]+)\}", value, path)


def query_of(parameters: list[dict[str, Any]]) -> dict[str, str]:
    """Required query parameters with plausible values (they are not what is tested)."""
    out = {}
    for p in parameters:
        if p["in"] == "query" and p.get("required"):
            out[p["name"]] = COUNTY if "area" in p["name"] else "2026-11"
    return out


async def seed(members: RunningService) -> dict[str, str]:
    """A county unit and a member in 230321, so ids in paths name real things."""
    admin = auth()
    unit = await members.client.post(
        "/v1/org-units",
        json={
            "name": "中共鸡东县委员会",
            "area_code": COUNTY,
            "tier": "county",
            "kind": "committee",
            "domain": "organ",
        },
        headers=admin,
    )
    assert unit.status_code == 201, unit.text
    unit_id = unit.json()["id"]
    return {"unit_id": unit_id, "org_unit_id": unit_id}


@pytest.fixture
async def running(
    databases: DatabaseFactory, nats_server: NatsServer
) -> AsyncIterator[dict[str, RunningService]]:
    async with AsyncExitStack() as stack:
        out = {}
        for spec in (MEMBERS, REQUESTS, NOTIFICATIONS, EVALUATION):
            out[spec.name] = await stack.enter_async_context(
                run_service(
                    spec,
                    database_url=await databases.fresh(spec),
                    nats_url=nats_server.url,
                    wait_ready=False,
                )
            )
        yield out


def judge(case: Case, op: dict[str, Any], method: str) -> str | None:
    """What is wrong with this answer, if anything."""
    secured = bool(op.get("security"))
    anonymous = case.operation in ANONYMOUS
    status = case.status
    if status >= 500:
        return "server error"
    if case.identity in ("forged signature", "alg none", "expired") and secured:
        return None if status == 401 else "a bad token was not refused with 401"
    if case.identity == "no token":
        if anonymous:
            return None if status != 401 or secured else "anonymous operation refused"
        return None if status == 401 else "no token but not 401"
    if case.identity == "viewer" and secured and method in ("post", "put", "patch", "delete"):
        if case.operation in VIEWER_WRITES:
            return None if status // 100 != 2 else "viewer wrote"
        # 404: the placeholder resource does not exist (and no body was looked at).
        return None if status in (403, 404) else "a viewer's write not refused with 403 first"
    if case.identity == "unrelated org_admin" and "{" in case.operation:
        if anonymous or case.operation in PLATFORM_WIDE:
            return None
        return None if status // 100 != 2 else "another area's admin succeeded"
    return None


async def test_token_matrix_over_every_operation(running: dict[str, RunningService]) -> None:
    known = await seed(running["members"])
    headers_of = identities()
    cases: list[Case] = []
    leaks: list[str] = []
    operations = 0
    for name, service in running.items():
        document = service.app.openapi()
        for path, item in document["paths"].items():
            for method, op in item.items():
                if method not in ("get", "post", "put", "patch", "delete"):
                    continue
                operations += 1
                operation = f"{method.upper()} {path}"
                parameters = [*item.get("parameters", []), *op.get("parameters", [])]
                url = fill_path(path, parameters, known)
                request: dict[str, Any] = {"params": query_of(parameters)}
                content = op.get("requestBody", {}).get("content", {})
                if "application/json" in content:
                    request["json"] = ["not", "the", "body"]
                elif "multipart/form-data" in content:
                    # Well-formed but empty: the route would answer 422 for the missing file.
                    request["content"] = b"--matrix--\r\n"
                    request["headers"] = {"Content-Type": "multipart/form-data; boundary=matrix"}
                elif content:
                    request["content"] = b"not=the&body=1"
                    request["headers"] = {"Content-Type": next(iter(content))}
                for identity, headers in headers_of.items():
                    response = await service.client.request(
                        method.upper(),
                        url,
                        **{**request, "headers": {**request.get("headers", {}), **headers}},
                    )
                    case = Case(name, operation, identity, response.status_code, response.text)
                    cases.append(case)
                    wrong = judge(case, op, method)
                    if wrong:
                        leaks.append(f"{name} {operation} [{identity}] {case.status}: {wrong}")
                    if response.status_code == 401 and DECODER_WORDS.search(response.text):
                        leaks.append(f"{name} {operation} [{identity}]: 401 shows the decoder")
    print(f"token matrix: {operations} operations, {len(cases)} cases, {len(leaks)} findings")
    assert not leaks, f"{len(leaks)} findings:\n" + "\n".join(leaks)


HOSTILE_CURSORS = [
    "",
    "garbage!!",
    "W1tbW1tbW1tbW1tbW10",  # unsigned nested JSON, as cursors used to be
    "eyJpZCI6IngifQ",  # unsigned {"id": "x"}
    "WzEsMl0",  # unsigned [1, 2]
    "1" * 400,
    "eyJpZCI6IngifQ.AAAAAAAAAAAAAAAAAAAAAA",  # a forged signature
]


async def test_hostile_cursors_are_a_422_naming_cursor_on_every_list(
    running: dict[str, RunningService],
) -> None:
    known = await seed(running["members"])
    lists = 0
    wrong: list[str] = []
    for name, service in running.items():
        for path, item in service.app.openapi()["paths"].items():
            op = item.get("get")
            parameters = [*item.get("parameters", []), *(op or {}).get("parameters", [])]
            if op is None or not any(
                p["in"] == "query" and p["name"] == "cursor" for p in parameters
            ):
                continue
            lists += 1
            url = fill_path(path, parameters, known)
            for cursor in HOSTILE_CURSORS:
                response = await service.client.get(
                    url, params={**query_of(parameters), "cursor": cursor}, headers=auth()
                )
                fields = [e.get("field") for e in response.json().get("errors", [])]
                if response.status_code != 422 or "cursor" not in fields:
                    wrong.append(
                        f"{name} GET {path} cursor={cursor[:12]!r}: {response.status_code}"
                    )
    print(f"hostile cursors: {lists} list operations, {len(wrong)} findings")
    assert lists >= 20
    assert not wrong, "\n".join(wrong)
