"""The platform's time zone and the instant type every timestamp of the contract uses."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from functools import lru_cache
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import AfterValidator

DEFAULT_TIME_ZONE = "Asia/Shanghai"


@lru_cache(maxsize=4)
def _zone_named(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def platform_zone() -> ZoneInfo:
    """The zone the dates people mean are in (`GR_TIME_ZONE`, default Asia/Shanghai)."""
    return _zone_named(os.environ.get("GR_TIME_ZONE") or DEFAULT_TIME_ZONE)


def _to_utc(moment: datetime) -> datetime:
    # Internally a naive instant is UTC (what SQLite hands back); on the wire none is naive.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


# An instant that always leaves with its offset (UTC, `...Z`), whatever it was built from.
Instant = Annotated[datetime, AfterValidator(_to_utc)]
