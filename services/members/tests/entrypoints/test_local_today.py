"""'Today' is the platform's date (Asia/Shanghai), not the UTC date, for dated member moves."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from grassroots.kit.clock import frozen
from grassroots.kit.testing.services import RunningService, auth

pytestmark = pytest.mark.component

# 01:30 on 2 December in Beijing is still 1 December in UTC.
EARLY_MORNING = datetime(2026, 12, 2, 1, 30, tzinfo=ZoneInfo("Asia/Shanghai"))


async def test_a_stage_change_dated_today_before_eight_in_beijing_is_accepted(
    members: RunningService, tree: dict[str, dict[str, Any]], new_member: Any
) -> None:
    body = new_member(
        tree["village"]["id"], 31, stage="activist", stage_since="2020-01-01", joined_at=None
    )
    created = await members.client.post("/v1/members", json=body, headers=auth())
    assert created.status_code == 201, created.text
    # The token is signed on the real clock: only the service's "today" is stopped.
    headers = auth()
    with frozen(EARLY_MORNING):
        moved = await members.client.post(
            f"/v1/members/{created.json()['id']}/stage",
            json={"to": "candidate", "on": "2026-12-02"},
            headers=headers,
        )
        tomorrow = await members.client.post(
            f"/v1/members/{created.json()['id']}/stage",
            json={"to": "probationary", "on": "2026-12-03"},
            headers=headers,
        )
    assert moved.status_code == 200, moved.text
    assert moved.json()["stage"] == "candidate"
    assert tomorrow.status_code == 409, tomorrow.text
