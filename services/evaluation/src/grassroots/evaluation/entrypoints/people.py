"""HTTP routes about people: three-way review, points, surveys and pay."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/v1", tags=["review, points, surveys, pay"])
