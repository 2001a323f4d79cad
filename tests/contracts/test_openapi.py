"""Each service's OpenAPI document states the error contract and the media types it answers."""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI

from grassroots.kit.openapi import ERROR_STATUSES, PROBLEM_REF

FILE_ROUTES = {
    "/v1/members/export": {
        "text/csv",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    },
    "/v1/rankings/export": {
        "text/csv",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    },
    "/v1/orgs/{org_unit_id}/indicators/export": {
        "text/csv",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    },
    "/v1/rankings/chart": {"image/png", "image/svg+xml"},
    "/open311/v2/media/{attachment_id}": {"image/jpeg", "image/png", "image/webp"},
    "/v1/orgs/{org_unit_id}/trend": {"image/png", "image/svg+xml"},
    "/metrics": {"text/plain"},
}


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
    ]


def resolve(document: dict[str, Any], ref: str) -> Any:
    node: Any = document
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node


def every_ref(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return own + [r for value in node.values() for r in every_ref(value)]
    if isinstance(node, list):
        return [r for value in node for r in every_ref(value)]
    return []


def test_every_operation_documents_its_errors_as_problems(service_app: FastAPI) -> None:
    document = service_app.openapi()
    assert "HTTPValidationError" not in json.dumps(document)
    for ref in every_ref(document):
        resolve(document, ref)
    problem = resolve(document, PROBLEM_REF)
    assert set(problem["required"]) >= {"type", "title", "status"}
    for path, method, operation in operations(document):
        for status in ERROR_STATUSES:
            answer = operation["responses"].get(str(status))
            assert answer is not None, (method, path, status)
            schemas = [c.get("schema", {}) for c in answer.get("content", {}).values()]
            assert schemas and all(s for s in schemas), (method, path, status)
            if not path.startswith("/open311/") and not (path == "/readyz" and status == 503):
                assert answer["content"]["application/problem+json"]["schema"] == {
                    "$ref": PROBLEM_REF
                }, (method, path, status)


def test_answers_name_their_media_types_and_their_bodies(service_app: FastAPI) -> None:
    document = service_app.openapi()
    for path, method, operation in operations(document):
        success = {c: a for c, a in operation["responses"].items() if c.startswith("2")}
        assert success, (method, path)
        for answer in success.values():
            content = answer.get("content", {})
            if path in FILE_ROUTES:
                assert set(content) == FILE_ROUTES[path], (method, path)
            for media, body in content.items():
                # Only an answer without a body may leave its schema open.
                assert body.get("schema") not in (None, {}) or media != "application/json", (
                    method,
                    path,
                )
        if path.startswith("/open311/") and path not in FILE_ROUTES:
            assert set(next(iter(success.values()))["content"]) == {"application/json", "text/xml"}
