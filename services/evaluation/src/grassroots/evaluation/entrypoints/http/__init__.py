"""The HTTP API of the evaluation service: one router per resource, assembled here."""

from __future__ import annotations

from fastapi import APIRouter

from grassroots.evaluation.entrypoints.http import (
    appeals,
    attribution,
    bonus,
    exclusions,
    indicators,
    pay,
    points,
    rankings,
    reviews,
    schemes,
    surveys,
    topics,
)
from grassroots.kit.orgtree import replica_router

RESOURCES = (
    indicators,
    schemes,
    rankings,
    bonus,
    reviews,
    points,
    surveys,
    pay,
    exclusions,
    appeals,
    attribution,
    topics,
)


def api_router() -> APIRouter:
    """Every route of the service, with the replica of the org tree."""
    router = APIRouter()
    router.include_router(replica_router())
    for resource in RESOURCES:
        router.include_router(resource.router)
    return router
