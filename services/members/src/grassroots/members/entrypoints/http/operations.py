"""Routes of operations: re-sealing personal data after a key rotation."""

from __future__ import annotations

from fastapi import APIRouter

from grassroots.kit.guards import PlatformAdmin
from grassroots.members.entrypoints.http.deps import AppDatabase, AppDeps
from grassroots.members.entrypoints.http.schemas import ReencryptOut
from grassroots.members.service import keys

router = APIRouter(prefix="/v1", tags=["operations"])


@router.post("/admin/reencrypt", response_model=ReencryptOut)
async def reencrypt(principal: PlatformAdmin, db: AppDatabase, deps: AppDeps) -> ReencryptOut:
    """After a key rotation: re-seal personal data made with older keys (platform_admin)."""
    return ReencryptOut.model_validate(await keys.reencrypt_personal_data(db, deps, principal))
