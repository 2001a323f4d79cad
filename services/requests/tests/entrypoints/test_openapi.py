"""The HTTP contract of the requests service stays as committed (issue 11 moved every route)."""

from __future__ import annotations

import json
from pathlib import Path

from grassroots.kit.testing.services import settings_for_tests
from grassroots.requests.config import RequestsSettings
from grassroots.requests.main import SPEC

SNAPSHOT = Path(__file__).with_name("openapi.json")


def test_the_openapi_document_equals_the_committed_one(tmp_path: Path) -> None:
    settings = settings_for_tests(
        RequestsSettings,
        var_dir=tmp_path,
        nats_url="nats://127.0.0.1:1",
        requests_database_url=f"sqlite+aiosqlite:///{tmp_path / 'requests.db'}",
    )
    document = SPEC.app_factory(settings).openapi()
    committed = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    # A deliberate change of the contract rewrites the snapshot (sorted keys, indent 2) with it.
    assert document == committed
    assert {"/v1/requests", "/v1/catalog", "/open311/v2/requests.{fmt}"} <= set(document["paths"])
