"""ISO 8601 durations of catalogue limits (`PT4H`, `P5D`, `P1DT12H`)."""

from __future__ import annotations

from datetime import timedelta

from pydantic import TypeAdapter, ValidationError

_DURATION = TypeAdapter(timedelta)


def parse_limit(text: str) -> timedelta:
    """A positive ISO 8601 duration in days, hours, minutes; raise ValueError otherwise."""
    if not text.startswith("P"):
        raise ValueError("must be an ISO 8601 duration such as PT4H or P5D")
    if any(unit in text.partition("T")[0] for unit in "YM"):
        # Months and years have no fixed length; a limit must say days or hours.
        raise ValueError("must be given in weeks, days, hours or minutes")
    try:
        value = _DURATION.validate_python(text)
    except ValidationError as exc:
        raise ValueError("must be an ISO 8601 duration such as PT4H or P5D") from exc
    if value <= timedelta(0):
        raise ValueError("must be longer than zero")
    if value > timedelta(days=366):
        raise ValueError("must be at most a year")
    return value
