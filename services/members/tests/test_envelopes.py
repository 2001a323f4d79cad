"""The batch envelope writer produces exactly what the kit's CloudEvent would."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from grassroots.contracts.envelope import CloudEvent
from grassroots.contracts.events.members import MemberRegistered
from grassroots.contracts.events.notify import ContactUpserted
from grassroots.members.service.shared import EnvelopeWriter

NOW = datetime(2026, 11, 22, 21, 5, 30, 230732, tzinfo=UTC)


@pytest.mark.parametrize(
    ("actor", "correlation", "subject"),
    [
        ("admin-7", None, "0193a000-0000-7000-8000-000000000001"),
        ('组织部"王"\\', "corr-1", 'odd "subject"\n'),
        (None, None, "m1"),
    ],
)
def test_written_envelopes_equal_cloud_events(
    actor: str | None, correlation: str | None, subject: str
) -> None:
    writer = EnvelopeWriter(
        source="/grassroots/members",
        time=NOW,
        correlation_id=correlation,
        causation_id=None,
        actor=actor,
    )
    for data in (
        MemberRegistered(
            member_id="m1",
            org_unit_id="u1",
            stage="full",
            skills=["电工"],
            duties=["handler"],
            version=1,
            occurred_at=NOW,
        ),
        ContactUpserted(
            recipient_id="member:m1", recipient_kind="member", name='王"五"', phone="13900000000"
        ),
    ):
        written = writer.envelope("e1", data, subject, "230321100201")
        expected = CloudEvent(
            id="e1",
            source="/grassroots/members",
            type=data.event_type(),
            subject=subject,
            time=NOW,
            data=data.model_dump(mode="json"),
            areacode="230321100201",
            correlationid=correlation,
            actor=actor,
        )
        assert CloudEvent.from_json_bytes(written) == expected
        assert json.loads(written) == json.loads(expected.to_json_bytes())
