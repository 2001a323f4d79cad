"""The HTTP API of the members service: one router per resource, assembled here."""

from __future__ import annotations

from fastapi import APIRouter

from grassroots.members.entrypoints.http import (
    exports,
    floating,
    imports,
    in_service,
    lifecycle,
    members,
    operations,
    org_units,
    skills,
    stations,
    statistics,
    transfers,
)

# Literal paths (`/members/floating`, `/members/export`, `/members/import/...`) are matched
# before `/members/{member_id}`, so their routers come first.
RESOURCES = (
    org_units,
    stations,
    floating,
    imports,
    exports,
    members,
    lifecycle,
    transfers,
    in_service,
    statistics,
    skills,
    operations,
)


def api_router() -> APIRouter:
    """Every route of the service."""
    router = APIRouter()
    for resource in RESOURCES:
        router.include_router(resource.router)
    return router
