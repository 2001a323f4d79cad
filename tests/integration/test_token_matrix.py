"""The token matrix: every operation of the OpenAPI documents under bad identities.

Derived from the documents alone, so a new route is in it the day it is written: no token,
a forged signature, `alg: none`, an expired token, a viewer, and an org admin of an unrelated
area, each sending an invalid body. An operation that reads the token must answer 401 to the
first four and 403 to a viewer's write, before it looks at the body (never 422); an org admin
of another area must not succeed on a resource of 230321; nothing answers 5xx. Operations
open without a token are listed below by name, so a route that forgets its check fails here.

It runs twice: with the development HS256 tokens over the four services, and with tokens the
portal signs (EdDSA, verified from its JWKS) over the four services and the portal itself.
A third test sends every write, with each role too low for it, an invalid body: 403, not 422.
"""

from __future__ import annotations

import base64
import os
import re
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import jwt
import pytest
from fastapi import FastAPI

from grassroots.evaluation.main import SPEC as EVALUATION
from grassroots.kit.auth import ROLE_RANK, issue_token
from grassroots.kit.testing.issuer import StandInIssuer, serve
from grassroots.kit.testing.servers import NatsServer, free_port
from grassroots.kit.testing.services import (
    TEST_JWT_SECRET,
    DatabaseFactory,
    RunningService,
    auth,
    run_service,
)
from grassroots.members.main import SPEC as MEMBERS
from grassroots.notifications.main import SPEC as NOTIFICATIONS
from grassroots.portal.config import PortalSettings
from grassroots.portal.main import SPEC as PORTAL
from grassroots.portal.main import build_app as build_portal
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
    # The portal's front door: signing in, and the keys every service verifies with.
    "POST /v1/auth/login",
    "POST /v1/auth/refresh",
    "POST /v1/auth/reset",
    "POST /v1/auth/token",
    "GET /.well-known/jwks.json",
    "GET /.well-known/openid-configuration",
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


BAD_TOKENS = ("forged signature", "alg none", "expired", "wrong audience")


@dataclass
class Target:
    """A service under test: its app (for the document) and a client that reaches it."""

    app: FastAPI
    client: httpx.AsyncClient


@dataclass
class Case:
    service: str
    operation: str
    identity: str
    status: int
    detail: str


Mint = Callable[..., str]


def bearer(token: str) -> dict[str, str]:
    """An Authorization header."""
    return {"Authorization": f"Bearer {token}"}


def identities() -> dict[str, dict[str, str]]:
    """The six callers with development (HS256) tokens, as request headers."""
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


def issuer_identities(mint: Mint, issuer: str, kid: str) -> dict[str, dict[str, str]]:
    """The same callers with tokens of the portal (EdDSA from its JWKS), and a wrong audience."""
    stranger = StandInIssuer(algorithm="EdDSA", issuer=issuer)
    now = int(time.time())
    claims = {"sub": "intruder", "role": "platform_admin", "org": "000000000000"}
    full = {**claims, "iss": issuer, "aud": "grassroots", "iat": now, "exp": now + 300}
    # The portal's key id, another key: the signature is what is forged.
    forged = jwt.encode(full, stranger.keys[stranger.active], "EdDSA", headers={"kid": kid})
    return {
        "no token": {},
        "forged signature": bearer(forged),
        "alg none": bearer(jwt.encode(full, "", algorithm="none", headers={"kid": kid})),
        "expired": bearer(mint(**claims, iat=now - 900, exp=now - 300)),
        "wrong audience": bearer(mint(**claims, aud="another-system")),
        "viewer": bearer(mint(sub="viewer-1", role="viewer", org=COUNTY)),
        "unrelated org_admin": bearer(mint(sub="admin-elsewhere", role="org_admin", org=ELSEWHERE)),
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


def paths_of(path: str, parameters: list[dict[str, Any]], known: dict[str, str]) -> list[str]:
    """The path once per value of each enumerated path parameter (a role may depend on it)."""
    urls = [path]
    for p in parameters:
        values = p.get("schema", {}).get("enum") if p["in"] == "path" else None
        if values and "{" + p["name"] + "}" in path:
            urls = [u.replace("{" + p["name"] + "}", str(v)) for u in urls for v in values]
    return [fill_path(u, parameters, known) for u in urls]


def query_of(parameters: list[dict[str, Any]]) -> dict[str, str]:
    """Required query parameters with plausible values (they are not what is tested)."""
    out = {}
    for p in parameters:
        if p["in"] == "query" and p.get("required"):
            out[p["name"]] = COUNTY if "area" in p["name"] else "2026-11"
    return out


async def seed(members: httpx.AsyncClient, admin: dict[str, str]) -> dict[str, str]:
    """A county unit in 230321, so ids in paths name real things."""
    unit = await members.post(
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
    if case.identity in BAD_TOKENS and secured:
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


def operations_of(app: FastAPI) -> list[tuple[str, str, dict[str, Any], list[dict[str, Any]]]]:
    """(method, path, operation, parameters) of every operation in the app's document."""
    out = []
    for path, item in app.openapi()["paths"].items():
        for method, op in item.items():
            if method in ("get", "post", "put", "patch", "delete"):
                out.append(
                    (method, path, op, [*item.get("parameters", []), *op.get("parameters", [])])
                )
    return out


def invalid_body(op: dict[str, Any]) -> dict[str, Any]:
    """Request arguments carrying a body the operation cannot accept (none if it takes none)."""
    content = op.get("requestBody", {}).get("content", {})
    if "application/json" in content:
        return {"json": ["not", "the", "body"]}
    if "multipart/form-data" in content:
        # Well-formed but empty: the route would answer 422 for the missing file.
        return {
            "content": b"--matrix--\r\n",
            "headers": {"Content-Type": "multipart/form-data; boundary=matrix"},
        }
    if content:
        return {"content": b"not=the&body=1", "headers": {"Content-Type": next(iter(content))}}
    return {}


async def run_matrix(
    targets: dict[str, Target], headers_of: dict[str, dict[str, str]], known: dict[str, str]
) -> tuple[int, int, list[str]]:
    """Every operation of every target under every identity: (operations, cases, findings)."""
    cases = 0
    leaks: list[str] = []
    operations = 0
    for name, target in targets.items():
        for method, path, op, parameters in operations_of(target.app):
            operations += 1
            operation = f"{method.upper()} {path}"
            url = fill_path(path, parameters, known)
            request: dict[str, Any] = {"params": query_of(parameters), **invalid_body(op)}
            for identity, headers in headers_of.items():
                response = await target.client.request(
                    method.upper(),
                    url,
                    **{**request, "headers": {**request.get("headers", {}), **headers}},
                )
                case = Case(name, operation, identity, response.status_code, response.text)
                cases += 1
                wrong = judge(case, op, method)
                if wrong:
                    leaks.append(f"{name} {operation} [{identity}] {case.status}: {wrong}")
                if response.status_code == 401 and DECODER_WORDS.search(response.text):
                    leaks.append(f"{name} {operation} [{identity}]: 401 shows the decoder")
    return operations, cases, leaks


def targets_of(running: dict[str, RunningService]) -> dict[str, Target]:
    return {name: Target(service.app, service.client) for name, service in running.items()}


async def test_token_matrix_over_every_operation(running: dict[str, RunningService]) -> None:
    known = await seed(running["members"].client, auth())
    operations, cases, leaks = await run_matrix(targets_of(running), identities(), known)
    print(f"token matrix: {operations} operations, {cases} cases, {len(leaks)} findings")
    assert not leaks, f"{len(leaks)} findings:\n" + "\n".join(leaks)


@dataclass
class IssuerPlatform:
    """The portal on a real port signing with a known key, and the four services trusting it."""

    targets: dict[str, Target]
    issuer: str
    kid: str
    mint: Mint


@pytest.fixture
async def issuer_platform(
    databases: DatabaseFactory, nats_server: NatsServer
) -> AsyncIterator[IssuerPlatform]:
    port = free_port()
    issuer = f"http://127.0.0.1:{port}"
    kid = "matrix-k1"
    portal = build_portal(
        PortalSettings(
            env="test",
            jwt_secret=TEST_JWT_SECRET,
            portal_database_url=await databases.fresh(PORTAL),
            portal_port=port,
            auth_issuer=issuer,
            portal_signing_keys={kid: base64.urlsafe_b64encode(os.urandom(32)).decode()},
            portal_signing_key_id=kid,
            portal_argon2_time_cost=1,
            portal_argon2_memory_kib=1024,
            portal_argon2_parallelism=1,
            log_json=False,
        )
    )
    keys = portal.state.signing_keys

    def mint(**claims: Any) -> str:
        """A token signed with the portal's own key (as its sign-in would issue one)."""
        now = int(time.time())
        body = {"iss": issuer, "aud": "grassroots", "iat": now, "exp": now + 600, **claims}
        token: str = keys.sign(body)
        return token

    async with AsyncExitStack() as stack:
        await stack.enter_async_context(serve(portal, port))
        client = await stack.enter_async_context(httpx.AsyncClient(base_url=issuer, timeout=30))
        targets = {"portal": Target(portal, client)}
        for spec in (MEMBERS, REQUESTS, NOTIFICATIONS, EVALUATION):
            service = await stack.enter_async_context(
                run_service(
                    spec,
                    database_url=await databases.fresh(spec),
                    nats_url=nats_server.url,
                    wait_ready=False,
                    auth_issuer=issuer,
                )
            )
            targets[spec.name] = Target(service.app, service.client)
        yield IssuerPlatform(targets, issuer, kid, mint)


async def test_token_matrix_with_portal_signed_tokens_over_every_operation(
    issuer_platform: IssuerPlatform,
) -> None:
    platform = issuer_platform
    admin = bearer(platform.mint(sub="root", role="platform_admin", org="000000000000"))
    known = await seed(platform.targets["members"].client, admin)
    headers_of = issuer_identities(platform.mint, platform.issuer, platform.kid)
    operations, cases, leaks = await run_matrix(platform.targets, headers_of, known)
    print(f"token matrix (portal-signed): {operations} operations, {cases} cases, {len(leaks)}")
    assert {"portal", "members", "requests", "notifications", "evaluation"} == set(platform.targets)
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
    known = await seed(running["members"].client, auth())
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


ROLE_REFUSAL = re.compile(r"role \w+ may not (do this|manage)|a viewer's token may only read")
PATTERN_CANDIDATES = ("matrix-1", "2026", "2026-11", "13800138000", "a", COUNTY)


def example(schema: dict[str, Any], components: dict[str, Any], name: str = "") -> Any:
    """A small value the schema accepts (required properties only), or its best guess."""
    if "$ref" in schema:
        return example(components[schema["$ref"].rsplit("/", 1)[1]], components, name)
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    for key in ("anyOf", "oneOf", "allOf"):
        options = [o for o in schema.get(key, []) if o.get("type") != "null"]
        if options:
            return example(options[0], components, name)
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        required = schema.get("required", [])
        return {
            key: example(value, components, key)
            for key, value in schema.get("properties", {}).items()
            if key in required
        }
    if kind == "array":
        items = schema.get("items", {})
        return [example(items, components, name) for _ in range(schema.get("minItems", 0))]
    if kind == "integer" or kind == "number":
        low = schema.get("minimum", schema.get("exclusiveMinimum", 0) + 1)
        return max(1, low) if "maximum" not in schema else min(max(1, low), schema["maximum"])
    if kind == "boolean":
        return False
    if kind == "string":
        if schema.get("format") == "date-time":
            return "2026-11-20T10:00:00+08:00"
        if schema.get("format") == "date":
            return "2026-11-20"
        if schema.get("format") == "binary":
            return "matrix"
        if "pattern" in schema:
            found = [c for c in PATTERN_CANDIDATES if re.fullmatch(schema["pattern"], c)]
            return found[0] if found else "matrix-1"
        if name == "org" or any(word in name for word in ("area", "county", "jurisdiction")):
            return COUNTY
        text = "matrix-1"
        low, high = schema.get("minLength", 1), schema.get("maxLength", len(text))
        return (text * (1 + low // len(text)))[: max(low, min(high, len(text)))]
    return "matrix-1"


def valid_body(op: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    """Request arguments with a body the schema accepts, as far as one can be guessed."""
    content = op.get("requestBody", {}).get("content", {})
    if "application/json" in content:
        return {"json": example(content["application/json"]["schema"], components)}
    for kind in ("multipart/form-data", "application/x-www-form-urlencoded"):
        if kind in content:
            fields = example(content[kind]["schema"], components)
            schema = content[kind]["schema"]
            if "$ref" in schema:
                schema = components[schema["$ref"].rsplit("/", 1)[1]]
            files = {
                key: ("matrix.csv", b"name\n", "text/csv")
                for key, prop in schema.get("properties", {}).items()
                if prop.get("format") == "binary" or prop.get("contentMediaType")
            }
            data = {k: str(v) for k, v in fields.items() if k not in files}
            if kind == "multipart/form-data":
                return {"data": data, "files": files or {"unused": ("x", b"", "text/plain")}}
            return {"data": data}
    return {}


async def test_a_role_too_low_for_a_write_is_refused_before_the_body(
    issuer_platform: IssuerPlatform,
) -> None:
    """Each role below platform admin, scoped to the county the paths name, on every write:
    when a body the schema accepts is refused for the role, an invalid one must be too (a
    403 before the body, never a 422 that shows the schema to a caller who may not write)."""
    platform = issuer_platform
    admin = bearer(platform.mint(sub="root", role="platform_admin", org="000000000000"))
    known = await seed(platform.targets["members"].client, admin)
    roles = [role for role in ROLE_RANK if role != "platform_admin"]
    writes = refused_for_role = 0
    findings: list[str] = []
    for name, target in platform.targets.items():
        components = target.app.openapi().get("components", {}).get("schemas", {})
        for method, path, op, parameters in operations_of(target.app):
            if method == "get" or not op.get("security"):
                continue
            writes += 1
            params = query_of(parameters)
            for url, role in ((u, r) for u in paths_of(path, parameters, known) for r in roles):
                headers = bearer(platform.mint(sub=f"{role}-1", role=role, org=COUNTY))
                good = valid_body(op, components)
                valid = await target.client.request(
                    method.upper(),
                    url,
                    params=params,
                    **{**good, "headers": {**good.get("headers", {}), **headers}},
                )
                if valid.status_code != 403 or not ROLE_REFUSAL.search(valid.text):
                    continue
                refused_for_role += 1
                bad = invalid_body(op)
                invalid = await target.client.request(
                    method.upper(),
                    url,
                    params=params,
                    **{**bad, "headers": {**bad.get("headers", {}), **headers}},
                )
                if invalid.status_code not in (401, 403):
                    findings.append(
                        f"{name} {method.upper()} {url} [{role}]: {invalid.status_code}"
                        f" to an invalid body, 403 to a valid one"
                    )
    print(
        f"roles before the body: {writes} writes x {len(roles)} roles, "
        f"{refused_for_role} refused for the role, {len(findings)} findings"
    )
    assert refused_for_role > 0
    assert not findings, f"{len(findings)} findings:\n" + "\n".join(findings)
