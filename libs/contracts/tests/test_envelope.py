"""The CloudEvents envelope and event models."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from grassroots.contracts.envelope import CloudEvent
from grassroots.contracts.events import REGISTRY
from grassroots.contracts.events.requests import RequestEscalated

NOW = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


def test_structured_mode_round_trip() -> None:
    data = RequestEscalated(
        request_id="r1",
        org_unit_id="u2",
        area_code="230321100000",
        service_code="S1",
        status="escalated",
        version=3,
        occurred_at=NOW,
        from_org_unit_id="u1",
        cause="overdue",
    )
    event = CloudEvent(
        id="0192f0c8-0000-7000-8000-000000000001",
        source="/grassroots/requests",
        type=data.event_type(),
        subject="r1",
        time=NOW,
        data=data.model_dump(mode="json"),
        areacode="230321100000",
        correlationid="c1",
    )
    raw = event.to_json_bytes()
    back = CloudEvent.from_json_bytes(raw)
    assert back == event
    assert back.specversion == "1.0"
    assert back.type == "gr.requests.escalated.v1"
    assert RequestEscalated.model_validate(back.data) == data
    assert data.subject_for("230321100000") == "gr.requests.v1.escalated.23.03.21.100.000"


def test_envelope_refuses_a_bad_area_code() -> None:
    with pytest.raises(ValidationError):
        CloudEvent(id="x", source="s", type="t", subject="s", data={}, areacode="23")


def test_public_events_carry_no_personal_fields() -> None:
    personal = {"phone", "id_number", "name", "citizen", "email", "destination", "tracking_code"}
    for event_type, model in REGISTRY.items():
        fields = set(model.model_fields)
        if model.PERSONAL:
            assert event_type.startswith("gr.notify.")
            continue
        leaked = fields & personal
        # Organisation units have public names; people never travel by name on public streams.
        if model.DOMAIN == "members" and "org_unit" in model.NAME:
            leaked -= {"name"}
        assert not leaked, f"{event_type} carries {leaked}"


def test_registry_covers_the_required_events() -> None:
    required = {
        "gr.members.org_unit_created.v1",
        "gr.members.org_unit_updated.v1",
        "gr.members.member_registered.v1",
        "gr.members.member_updated.v1",
        "gr.members.member_transferred.v1",
        "gr.members.member_floating.v1",
        "gr.members.member_returned.v1",
        "gr.members.member_exited.v1",
        "gr.members.member_checked_in.v1",
        "gr.members.post_claimed.v1",
        *(
            f"gr.requests.{e}.v1"
            for e in [
                "submitted",
                "accepted",
                "assigned",
                "started",
                "escalated",
                "explained",
                "resolved",
                "feedback_given",
                "reopened",
                "overdue",
                "closed",
            ]
        ),
        "gr.notifications.sent.v1",
        "gr.notifications.failed.v1",
        "gr.evaluation.published.v1",
        "gr.notify.contact_upserted.v1",
    }
    assert required <= set(REGISTRY)
