"""After a key rotation: personal data sealed with older keys is sealed anew with the active one."""

from __future__ import annotations

from typing import Any

from grassroots.kit.auth import Principal
from grassroots.kit.db import Database
from grassroots.members.adapters.resealing import SEALED_TABLES, reseal_rows
from grassroots.members.service.deps import Deps


async def reencrypt_personal_data(db: Database, deps: Deps, principal: Principal) -> dict[str, Any]:
    """Re-seal every older value, a batch of rows per transaction; how many rows changed."""
    principal.require_role("platform_admin")
    total = 0
    for columns in SEALED_TABLES:
        while True:
            async with db.transaction() as session:
                changed = await reseal_rows(session, deps.cipher, columns)
            total += changed
            if changed == 0:
                break
    return {"reencrypted": total, "active_key_id": deps.cipher.active_key_id}
