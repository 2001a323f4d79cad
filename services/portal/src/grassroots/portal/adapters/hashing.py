"""Passwords hashed with argon2id (argon2-cffi), off the event loop."""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher as Argon2
from argon2 import Type
from argon2.exceptions import InvalidHashError, VerificationError


class Argon2Hasher:
    """argon2id at the configured cost; verifying runs in a worker thread."""

    def __init__(self, *, time_cost: int, memory_kib: int, parallelism: int) -> None:
        self._argon2 = Argon2(
            time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism, type=Type.ID
        )

    def hash_now(self, password: str) -> str:
        """The hash, computed in this thread (start-up, benches)."""
        return self._argon2.hash(password)

    async def hash(self, password: str) -> str:
        """The argon2id hash of `password`."""
        return await asyncio.to_thread(self._argon2.hash, password)

    def verify_now(self, hashed: str, password: str) -> bool:
        """True when `password` matches `hashed` (in this thread)."""
        try:
            return self._argon2.verify(hashed, password)
        except (VerificationError, InvalidHashError):
            return False

    async def verify(self, hashed: str, password: str) -> bool:
        """True when `password` matches `hashed`."""
        return await asyncio.to_thread(self.verify_now, hashed, password)
