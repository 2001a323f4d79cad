"""The platform's clock: dates in GR_TIME_ZONE, and a clock tests can stop."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from grassroots.kit import clock


def test_today_is_the_date_in_beijing_not_in_utc(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GR_TIME_ZONE", raising=False)
    with clock.frozen(datetime(2026, 12, 1, 17, 30, tzinfo=UTC)):
        assert clock.utcnow() == datetime(2026, 12, 1, 17, 30, tzinfo=UTC)
        assert clock.today() == date(2026, 12, 2)


def test_the_zone_follows_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GR_TIME_ZONE", "Europe/Berlin")
    with clock.frozen(datetime(2026, 12, 1, 23, 30, tzinfo=UTC)):
        assert clock.today() == date(2026, 12, 2)
    monkeypatch.setenv("GR_TIME_ZONE", "America/New_York")
    with clock.frozen(datetime(2026, 12, 1, 23, 30, tzinfo=UTC)):
        assert clock.today() == date(2026, 12, 1)


def test_a_frozen_clock_needs_an_aware_instant() -> None:
    with pytest.raises(ValueError, match="timezone-aware"), clock.frozen(datetime(2026, 1, 1)):
        pass
