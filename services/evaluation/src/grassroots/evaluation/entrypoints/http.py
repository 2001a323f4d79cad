"""HTTP routes of the evaluation service."""

from __future__ import annotations

from fastapi import APIRouter

from grassroots.kit.orgtree import replica_router

router = APIRouter()
router.include_router(replica_router())
