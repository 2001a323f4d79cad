"""The API docs page works without internet: every asset it names is served by the service."""

from __future__ import annotations

import re

import httpx
from fastapi import FastAPI

ASSET = re.compile(r"""(?:src|href|url)\s*[:=]\s*['"]([^'"]+)['"]""")


async def test_docs_name_no_external_url_and_their_assets_answer(service_app: FastAPI) -> None:
    transport = httpx.ASGITransport(app=service_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
        page = await client.get("/docs")
        assert page.status_code == 200
        assert "http://" not in page.text and "https://" not in page.text, page.text
        assets = ASSET.findall(page.text)
        assert any(a.endswith(".js") for a in assets) and any(a.endswith(".css") for a in assets)
        for asset in assets:
            answer = await client.get(asset)
            assert answer.status_code == 200, asset
            assert answer.content, asset
