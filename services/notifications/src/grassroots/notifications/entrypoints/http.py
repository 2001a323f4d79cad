"""HTTP routes of the notifications service (its own endpoints arrive with its issue)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
