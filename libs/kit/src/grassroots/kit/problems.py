"""RFC 9457 problem details for every error a service answers."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://grassroots.example.org/problems/"


class ProblemError(Exception):
    """An error answered as `application/problem+json`."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        title: str | None = None,
        type_: str | None = None,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.title = title or HTTPStatus(status).phrase
        self.type = type_ or TYPE_BASE + self.title.lower().replace(" ", "-")
        self.errors = errors
        self.headers = headers


class NotFound(ProblemError):
    """404: the resource does not exist (or is outside the caller's view)."""

    def __init__(self, detail: str) -> None:
        super().__init__(404, detail)


class Conflict(ProblemError):
    """409: an illegal state transition or a conflicting write."""

    def __init__(self, detail: str, *, type_: str | None = None) -> None:
        super().__init__(409, detail, type_=type_)


class Invalid(ProblemError):
    """422: a field's value is not acceptable; names the field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(
            422,
            f"{field}: {message}",
            title="Unprocessable Content",
            type_=TYPE_BASE + "validation",
            errors=[{"field": field, "message": message, "pointer": "/" + field.replace(".", "/")}],
        )


class Forbidden(ProblemError):
    """403: the token may not act here."""

    def __init__(self, detail: str) -> None:
        super().__init__(403, detail)


def problem_response(
    status: int,
    detail: str,
    *,
    title: str | None = None,
    type_: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
    instance: str | None = None,
) -> JSONResponse:
    """Build the problem+json response."""
    title = title or HTTPStatus(status).phrase
    body: dict[str, Any] = {
        "type": type_ or TYPE_BASE + title.lower().replace(" ", "-"),
        "title": title,
        "status": status,
        "detail": detail,
    }
    if instance:
        body["instance"] = instance
    if errors is not None:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _field_name(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in {"body", "query", "path", "header", "form"}:
        parts = parts[1:] or parts
    return ".".join(parts)


def validation_errors(raw: list[Any]) -> list[dict[str, Any]]:
    """FastAPI/pydantic errors as the problem's `errors` list, each naming its field."""
    out = []
    for err in raw:
        loc = tuple(err.get("loc", ()))
        field = _field_name(loc)
        out.append(
            {
                "field": field,
                "in": str(loc[0]) if loc else "body",
                "message": err.get("msg", "invalid"),
                "type": err.get("type", "value_error"),
                "pointer": "/" + "/".join(str(p) for p in loc[1:]),
            }
        )
    return out


def install_problem_handlers(app: FastAPI) -> None:
    """Answer every error of `app` as RFC 9457 problem details."""

    async def on_problem(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ProblemError)
        return problem_response(
            exc.status,
            exc.detail,
            title=exc.title,
            type_=exc.type,
            errors=exc.errors,
            headers=exc.headers,
            instance=request.url.path,
        )

    async def on_validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = validation_errors(list(exc.errors()))
        fields = ", ".join(sorted({e["field"] for e in errors}))
        return problem_response(
            422,
            f"invalid input: {fields}",
            title="Unprocessable Content",
            type_=TYPE_BASE + "validation",
            errors=errors,
            instance=request.url.path,
        )

    async def on_http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        headers = dict(exc.headers) if exc.headers else None
        return problem_response(
            exc.status_code, str(exc.detail), headers=headers, instance=request.url.path
        )

    app.add_exception_handler(ProblemError, on_problem)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
