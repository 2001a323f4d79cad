"""The object store: one library for the local folder and S3-compatible storage."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from moto.server import ThreadedMotoServer

from grassroots.kit.testing.servers import free_port
from grassroots.requests.adapters.storage import ObjectStorage

pytestmark = pytest.mark.component


@pytest.fixture
def s3_endpoint() -> Iterator[str]:
    """A local S3-compatible server (moto) with the bucket `attachments`."""
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        endpoint = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.put(f"{endpoint}/attachments").raise_for_status()
                break
            except httpx.TransportError:
                # The server thread may still be binding its port.
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield endpoint
    finally:
        server.stop()


async def test_files_round_trip_through_s3_compatible_storage(s3_endpoint: str) -> None:
    options = {
        "endpoint": s3_endpoint,
        "region": "us-east-1",
        "access_key_id": "test",
        "secret_access_key": "test",
    }
    storage = ObjectStorage.from_settings("s3://attachments/requests", options, "var")
    await storage.put("r-1/a-1", b"\xff\xd8\xffphoto")
    assert await storage.get("r-1/a-1") == b"\xff\xd8\xffphoto"
    with pytest.raises(FileNotFoundError):
        await storage.get("r-1/missing")


async def test_the_default_is_a_folder_under_var(tmp_path: Path) -> None:
    storage = ObjectStorage.from_settings(None, {}, tmp_path)
    await storage.put("requests/r-1/a-1", b"%PDF-1.4")
    assert (tmp_path / "attachments" / "requests" / "r-1" / "a-1").read_bytes() == b"%PDF-1.4"
    assert await storage.get("requests/r-1/a-1") == b"%PDF-1.4"
