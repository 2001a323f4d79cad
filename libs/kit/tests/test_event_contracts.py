"""The published-event check the test plugin applies: envelope, committed schema, offsets."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from grassroots.contracts.events.requests import RequestAccepted
from grassroots.kit.outbox import Outbox
from grassroots.kit.testing.event_contracts import violations


def accepted(**changes: object) -> RequestAccepted:
    values: dict[str, object] = {
        "version": 2,
        "occurred_at": datetime(2026, 12, 1, 9, tzinfo=UTC),
        "request_id": "r-1",
        "org_unit_id": "u-1",
        "area_code": "230321100201",
        "service_code": "dibao-proxy",
        "status": "accepted",
        "due_at": datetime(2026, 12, 8, 9, tzinfo=UTC),
        **changes,
    }
    return RequestAccepted.model_validate(values)


def payload(data: RequestAccepted) -> bytes:
    event = Outbox("/grassroots/test").envelope(data, area_code="230321100201", aggregate_id="r-1")
    return event.to_json_bytes()


def test_a_well_formed_event_passes() -> None:
    assert violations(payload(accepted())) == []


def test_a_naive_time_in_an_event_is_sent_as_utc_with_its_offset() -> None:
    sent = json.loads(payload(accepted(due_at=datetime(2026, 12, 8, 9))))
    assert sent["data"]["due_at"] == "2026-12-08T09:00:00Z"


def test_a_time_without_offset_breaks_the_committed_schema() -> None:
    raw = json.loads(payload(accepted()))
    raw["data"]["occurred_at"] = "2026-12-08T09:00:00"
    found = violations(json.dumps(raw).encode())
    assert len(found) == 1 and "occurred_at" in found[0] and "date-time" in found[0]


def test_a_missing_field_and_an_unknown_type_are_named() -> None:
    raw = json.loads(payload(accepted()))
    del raw["data"]["request_id"]
    assert any("request_id" in v for v in violations(json.dumps(raw).encode()))
    raw["type"] = "gr.requests.nonexistent.v1"
    assert any("no committed schema" in v for v in violations(json.dumps(raw).encode()))
