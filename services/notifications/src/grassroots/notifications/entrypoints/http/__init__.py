"""The HTTP routes of the notifications service: one router per resource."""

from __future__ import annotations

from fastapi import APIRouter

from grassroots.notifications.entrypoints.http import (
    board,
    broadcasts,
    inbox,
    notifications,
    preferences,
    publications,
    rules,
    sms_sink,
    templates,
    webhooks,
)

RESOURCES = (
    notifications,
    inbox,
    preferences,
    templates,
    rules,
    broadcasts,
    board,
    webhooks,
    publications,
)


def api_router() -> APIRouter:
    """Every `/v1` route of the service."""
    router = APIRouter()
    for module in RESOURCES:
        router.include_router(module.router)
    return router


def dev_router() -> APIRouter:
    """The development SMS sink (`/dev`), mounted only where the settings allow it."""
    return sms_sink.router
