"""HTTP routes of exports: CSV, XLSX and charts."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/v1", tags=["exports"])
