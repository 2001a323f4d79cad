"""Pure delivery rules: channels, opt-outs, retries, quiet hours, SMS length, rate limits."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from grassroots.notifications.domain.policy import (
    RULES_BY_NAME,
    QuietHours,
    RateLimit,
    chosen_channels,
    first_and_fallbacks,
    hold_for_quiet_hours,
    rate_limited_until,
    retry_delay,
    rules_for,
    sms_segments,
)

QUIET = QuietHours()  # 22:00-07:00 at UTC+8


def beijing(hour: int, minute: int = 0, day: int = 22) -> datetime:
    """A moment given in Beijing time, as the UTC instant the service works with."""
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC) - timedelta(hours=8)


def test_escalation_notifies_the_citizen_and_the_supervisors() -> None:
    names = {r.name for r in rules_for("gr.requests.escalated.v1")}
    assert names == {"citizen_escalated", "supervisor_escalated"}


def test_an_opted_out_channel_is_skipped() -> None:
    rule = RULES_BY_NAME["citizen_accepted"]
    assert chosen_channels(rule, "citizen", {"sms"}, {"sms", "email"}) == ["email"]


def test_a_critical_rule_ignores_opt_outs() -> None:
    rule = RULES_BY_NAME["citizen_explained"]
    assert rule.critical
    assert chosen_channels(rule, "citizen", {"sms", "email"}, {"sms"}) == ["sms"]


def test_channels_without_an_address_are_not_planned() -> None:
    rule = RULES_BY_NAME["citizen_accepted"]
    assert chosen_channels(rule, "citizen", set(), {"email"}) == ["email"]
    assert chosen_channels(rule, "citizen", set(), set()) == []


def test_an_unknown_contact_plans_every_channel_not_opted_out() -> None:
    rule = RULES_BY_NAME["citizen_submitted"]
    assert chosen_channels(rule, "citizen", set(), None) == ["sms", "email"]
    assert chosen_channels(rule, "citizen", {"email"}, None) == ["sms"]


def test_a_member_without_contact_details_gets_the_inbox_only() -> None:
    rule = RULES_BY_NAME["supervisor_overdue"]
    assert chosen_channels(rule, "member", set(), None) == ["inbox"]


def test_members_get_the_inbox_even_without_contact_details() -> None:
    rule = RULES_BY_NAME["handler_assigned"]
    assert chosen_channels(rule, "member", set(), set()) == ["inbox"]


@given(st.integers(min_value=1, max_value=30))
def test_back_off_grows_and_stays_within_bounds(attempt: int) -> None:
    rng = random.Random(attempt)
    delay = retry_delay(attempt, base=2.0, cap=600.0, rng=rng)
    ceiling = min(600.0, 2.0 * 2 ** (attempt - 1))
    assert ceiling / 2 <= delay <= ceiling


def test_back_off_is_jittered() -> None:
    rng = random.Random(7)
    delays = {retry_delay(5, base=2.0, cap=600.0, rng=rng) for _ in range(20)}
    assert len(delays) > 10


@pytest.mark.parametrize(
    ("moment", "quiet"),
    [
        (beijing(21, 59), False),
        (beijing(22, 0), True),
        (beijing(23, 30), True),
        (beijing(3, 0), True),
        (beijing(6, 59), True),
        (beijing(7, 0), False),
        (beijing(12, 0), False),
    ],
)
def test_quiet_hours_are_local_time(moment: datetime, quiet: bool) -> None:
    assert QUIET.is_quiet(moment) is quiet


def test_an_evening_sms_waits_for_the_next_morning() -> None:
    release = hold_for_quiet_hours("sms", False, beijing(23, 15), QUIET)
    assert release == beijing(7, 0, day=23)


def test_an_early_sms_waits_for_the_same_morning() -> None:
    assert hold_for_quiet_hours("sms", False, beijing(5, 0), QUIET) == beijing(7, 0)


def test_urgent_sms_and_other_channels_are_not_held() -> None:
    assert hold_for_quiet_hours("sms", True, beijing(23, 0), QUIET) is None
    assert hold_for_quiet_hours("inbox", False, beijing(23, 0), QUIET) is None
    assert hold_for_quiet_hours("sms", False, beijing(10, 0), QUIET) is None


@pytest.mark.parametrize(
    ("length", "segments"), [(0, 1), (1, 1), (70, 1), (71, 2), (134, 2), (135, 3), (201, 3)]
)
def test_sms_segments_count_like_chinese_gateways(length: int, segments: int) -> None:
    assert sms_segments("字" * length) == segments


def test_rate_limit_defers_once_the_budget_is_spent() -> None:
    now = beijing(10)
    limit = RateLimit(count=3, window_seconds=300)
    assert rate_limited_until(2, limit, now) is None
    later = rate_limited_until(3, limit, now)
    assert later is not None
    assert later > now


def test_citizen_rules_try_one_channel_and_keep_the_rest_to_fall_back_to() -> None:
    rule = RULES_BY_NAME["citizen_accepted"]
    assert first_and_fallbacks(rule, ["sms", "email"]) == [("sms", ["email"])]
    assert first_and_fallbacks(rule, ["email"]) == [("email", [])]
    both = RULES_BY_NAME["handler_assigned"]
    assert first_and_fallbacks(both, ["inbox", "sms"]) == [("inbox", []), ("sms", [])]


def test_a_submission_receipt_is_not_held_by_quiet_hours_but_other_news_is() -> None:
    assert RULES_BY_NAME["citizen_submitted"].skips_quiet_hours
    assert not RULES_BY_NAME["citizen_accepted"].skips_quiet_hours
    assert not RULES_BY_NAME["citizen_merged"].skips_quiet_hours
