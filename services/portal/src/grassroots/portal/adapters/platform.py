"""The four services as the website reaches them: their public HTTP APIs, nothing else."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx

log = logging.getLogger(__name__)

ServiceName = Literal["members", "requests", "notifications", "evaluation"]


@dataclass
class ServiceProblem(Exception):
    """A service refused or failed a call: its RFC 9457 problem, as answered."""

    service: str
    status: int
    title: str = ""
    detail: str = ""
    errors: list[dict[str, Any]] = field(default_factory=list)

    def __str__(self) -> str:
        return f"{self.service} {self.status}: {self.detail or self.title}"

    @property
    def fields(self) -> list[str]:
        """The fields the problem names (validation errors)."""
        names = []
        for error in self.errors:
            name = error.get("field") or error.get("pointer", "").strip("/").split("/")[-1]
            if name:
                names.append(str(name))
        return names


@dataclass
class ServiceDown(Exception):
    """A service did not answer in time (or at all)."""

    service: str
    reason: str

    def __str__(self) -> str:
        return f"{self.service} unavailable: {self.reason}"


@dataclass(frozen=True)
class Binary:
    """A file a service answered (an image, a chart, an export)."""

    content: bytes
    content_type: str
    filename: str | None = None


class Platform:
    """One pooled HTTP client per service, calls with the caller's bearer token."""

    def __init__(self, urls: Mapping[str, str], timeout: float) -> None:
        limits = httpx.Limits(max_connections=50, max_keepalive_connections=20)
        self._clients = {
            name: httpx.AsyncClient(
                base_url=url.rstrip("/"), timeout=httpx.Timeout(timeout), limits=limits
            )
            for name, url in urls.items()
        }

    async def close(self) -> None:
        """Close every pooled connection."""
        for client in self._clients.values():
            await client.aclose()

    async def call(
        self,
        service: ServiceName,
        method: str,
        path: str,
        *,
        token: str | None = None,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        data: Mapping[str, Any] | None = None,
        files: Mapping[str, tuple[str, bytes, str]] | None = None,
        forwarded_for: str | None = None,
        headers: Mapping[str, str] | None = None,
        wait_seconds: float | None = None,
    ) -> Any:
        """The JSON answer of a call; ServiceProblem for a 4xx/5xx, ServiceDown for no answer.

        `wait_seconds` overrides the client's for a call known to be long (a spreadsheet import).
        """
        response = await self._send(
            service,
            method,
            path,
            token,
            params,
            json,
            data,
            files,
            forwarded_for,
            headers,
            wait_seconds,
        )
        if response.status_code == 204 or not response.content:
            return None
        return response.json()

    async def fetch(
        self,
        service: ServiceName,
        path: str,
        *,
        token: str | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> Binary:
        """A file answer (chart, export, image) with its type and suggested name."""
        response = await self._send(service, "GET", path, token, params)
        disposition = response.headers.get("content-disposition", "")
        filename = None
        if "filename=" in disposition:
            filename = disposition.split("filename=")[-1].strip('"; ')
        return Binary(
            response.content,
            response.headers.get("content-type", "application/octet-stream"),
            filename,
        )

    async def _send(
        self,
        service: ServiceName,
        method: str,
        path: str,
        token: str | None,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        data: Mapping[str, Any] | None = None,
        files: Mapping[str, tuple[str, bytes, str]] | None = None,
        forwarded_for: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
        wait_seconds: float | None = None,
    ) -> httpx.Response:
        headers: dict[str, str] = {"Accept": "application/json, application/problem+json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if forwarded_for:
            headers["X-Forwarded-For"] = forwarded_for
        headers.update(extra_headers or {})
        clean = {k: v for k, v in (params or {}).items() if v not in (None, "")}
        try:
            client = self._clients[service]
            response = await client.request(
                method,
                path,
                params=clean,
                json=json,
                data=data,
                files=files,
                headers=headers,
                timeout=httpx.Timeout(wait_seconds) if wait_seconds else client.timeout,
            )
        except httpx.TimeoutException as exc:
            raise ServiceDown(service, "timeout") from exc
        except httpx.TransportError as exc:
            raise ServiceDown(service, type(exc).__name__) from exc
        if response.status_code >= 400:
            raise _problem(service, response)
        return response


def _problem(service: str, response: httpx.Response) -> ServiceProblem | ServiceDown:
    if response.status_code in (502, 503, 504):
        return ServiceDown(service, f"HTTP {response.status_code}")
    try:
        body = response.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    listed = body.get("errors")
    errors: list[Any] = listed if isinstance(listed, list) else []
    if response.status_code >= 500:
        log.warning("%s answered %s: %s", service, response.status_code, body.get("detail"))
    return ServiceProblem(
        service,
        response.status_code,
        str(body.get("title") or ""),
        str(body.get("detail") or ""),
        [e for e in errors if isinstance(e, dict)],
    )
