"""The object store of attachments: a folder under var/ by default, S3-compatible in production.

One library (obstore) serves both, so the code path is the same on a laptop and against MinIO.
"""

from __future__ import annotations

from pathlib import Path

import obstore
from obstore.store import LocalStore, ObjectStore, from_url


class ObjectStorage:
    """Put and get bytes by key."""

    def __init__(self, store: ObjectStore) -> None:
        self.store = store

    @classmethod
    def from_settings(
        cls, url: str | None, options: dict[str, str], var_dir: str | Path
    ) -> ObjectStorage:
        """`s3://bucket/prefix` (endpoint and keys in `options`), or a folder (default var/)."""
        if url and "://" in url and not url.startswith("file://"):
            client_options = {}
            if options.get("endpoint", "").startswith("http://"):
                # MinIO inside docker-compose speaks plain HTTP on the private network.
                client_options["allow_http"] = "true"
            return cls(from_url(url, client_options=client_options, **options))  # type: ignore[call-overload]
        folder = Path(url.removeprefix("file://")) if url else Path(var_dir) / "attachments"
        folder.mkdir(parents=True, exist_ok=True)
        return cls(LocalStore(folder.resolve()))

    async def put(self, key: str, data: bytes) -> None:
        """Store `data` under `key` (replacing what was there)."""
        await obstore.put_async(self.store, key, data)

    async def get(self, key: str) -> bytes:
        """The bytes stored under `key`; FileNotFoundError when there are none."""
        result = await obstore.get_async(self.store, key)
        return bytes(await result.bytes_async())
