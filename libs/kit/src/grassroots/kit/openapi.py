"""The OpenAPI document says what the service answers: RFC 9457 problems and real media types."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any, Literal

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel

from grassroots.kit.problems import PROBLEM_JSON

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PROBLEM_REF = "#/components/schemas/Problem"
# Every operation may answer these; a route that declares its own (Open311's error array,
# readiness) keeps its own.
ERROR_STATUSES = (400, 401, 403, 404, 409, 413, 422, 429, 500, 503)
FASTAPI_VALIDATION = "#/components/schemas/HTTPValidationError"

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "RFC 9457 problem details; `errors` names each refused field.",
    "type": "object",
    "properties": {
        "type": {"type": "string", "format": "uri-reference"},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 100, "maximum": 599},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "field": {"type": "string"},
                    "in": {"type": "string"},
                    "message": {"type": "string"},
                    "type": {"type": "string"},
                    "pointer": {"type": "string"},
                },
                "required": ["field", "message"],
            },
        },
    },
    "required": ["type", "title", "status"],
}
RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before trying again.",
        "schema": {"type": "integer"},
    }
}


def binary(*media_types: str) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route answering a file in one of `media_types` (exports, charts)."""
    schema = {"type": "string", "format": "binary"}
    return {200: {"content": {media: {"schema": schema} for media in media_types}}}


def text(media_type: str) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route answering plain text (Prometheus metrics)."""
    return {200: {"content": {media_type: {"schema": {"type": "string"}}}}}


class Readiness(BaseModel):
    """What `/readyz` answers: ready or not, and each dependency's state."""

    status: Literal["ready", "not ready"]
    checks: dict[str, str]


def readiness() -> dict[int | str, dict[str, Any]]:
    """`responses=` of `/readyz`: its own body with 200 and with 503."""
    body: dict[str, Any] = {"model": Readiness}
    return {200: body, 503: {**body, "description": "A dependency does not answer"}}


def problem_response(status: int) -> dict[str, Any]:
    """The documented answer for one error status."""
    answer: dict[str, Any] = {
        "description": HTTPStatus(status).phrase,
        "content": {PROBLEM_JSON: {"schema": {"$ref": PROBLEM_REF}}},
    }
    if status in (429, 503):
        answer["headers"] = RETRY_AFTER
    return answer


def document_errors(document: dict[str, Any]) -> dict[str, Any]:
    """Add the problem+json error contract to every operation of a generated document."""
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas["Problem"] = PROBLEM_SCHEMA
    for item in document.get("paths", {}).values():
        for operation in item.values():
            responses = operation.setdefault("responses", {})
            for status in ERROR_STATUSES:
                declared = responses.get(str(status))
                if declared is None or _is_fastapi_validation(declared):
                    responses[str(status)] = problem_response(status)
            for code, answer in responses.items():
                if code.startswith("2"):
                    _drop_placeholder_json(answer)
    for unused in ("HTTPValidationError", "ValidationError"):
        if unused not in _referenced(document):
            schemas.pop(unused, None)
    return document


def _is_fastapi_validation(answer: dict[str, Any]) -> bool:
    content = answer.get("content", {}).get("application/json", {})
    return bool(content.get("schema", {}).get("$ref") == FASTAPI_VALIDATION)


def _drop_placeholder_json(answer: dict[str, Any]) -> None:
    # FastAPI adds `application/json: {}` to routes that answer files; the file types stay.
    content = answer.get("content", {})
    if len(content) > 1 and content.get("application/json", {}).get("schema") == {}:
        content.pop("application/json")


def _referenced(node: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            found.add(ref.rsplit("/", 1)[-1])
        for value in node.values():
            found |= _referenced(value)
    elif isinstance(node, list):
        for value in node:
            found |= _referenced(value)
    return found


def install_openapi(app: FastAPI) -> None:
    """Generate `app`'s document once, with the error contract on every operation."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title,
                version=app.version,
                openapi_version=app.openapi_version,
                description=app.description,
                routes=app.routes,
                tags=app.openapi_tags,
                servers=app.servers,
            )
            app.openapi_schema = document_errors(document)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
